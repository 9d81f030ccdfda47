#include "base/directory.h"
#include "base/error.h"
#include "base/file_descriptor.h"
#include "base/temp_dir.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <dirent.h>
#include <fcntl.h>
#include <filesystem>

namespace purist {
namespace {

std::vector<std::string> sortedNames(std::vector<DirectoryEntry> entries) {
    std::vector<std::string> names;
    for (auto& e : entries)
        names.push_back(e.name);
    std::sort(names.begin(), names.end());
    return names;
}

TEST(DirectoryTest, ListsEntriesWithoutDotsAndKeepsTheDescriptor) {
    TempDir dir;
    writeFile(dir.path() + "/file", "x");
    std::filesystem::create_directory(dir.path() + "/sub");
    std::filesystem::create_symlink("file", dir.path() + "/link");
    EXPECT_EQ(sortedNames(listDirectory(dir.path())),
              (std::vector<std::string>{"file", "link", "sub"}));

    FileDescriptor fd = openFile(dir.path(), O_RDONLY | O_DIRECTORY);
    auto first = listDirectory(fd.get(), dir.path());
    auto second = listDirectory(fd.get(), dir.path()); // the same descriptor, read again
    EXPECT_EQ(sortedNames(first), sortedNames(second));
    for (const auto& e : first) {
        if (e.type == DT_UNKNOWN) continue; // some file systems do not say
        unsigned char expected = e.name == "sub" ? DT_DIR : e.name == "link" ? DT_LNK : DT_REG;
        EXPECT_EQ(e.type, expected) << e.name;
    }
}

TEST(DirectoryTest, MissingDirectoryIsASysErrorNamingIt) {
    try {
        listDirectory("/nonexistent/purist-dir");
        FAIL() << "expected SysError";
    } catch (const SysError& e) {
        EXPECT_NE(std::string(e.what()).find("/nonexistent/purist-dir"), std::string::npos);
    }
}

} // namespace
} // namespace purist
