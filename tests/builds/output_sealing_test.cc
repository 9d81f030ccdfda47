// Tests for builds/output_sealing.cc: which builds' outputs are sealed, and that sealing
// replaces each output by a copy and removes the original.

#include "builds/output_sealing.h"

#include "base/temp_dir.h"
#include "tests/support/test_support.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

namespace purist::builds {
namespace {

std::string contentsOf(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// Only a build whose every descriptor is gone with it, isolated and with no host directory
// mounted and no host network, registers its outputs in place.
TEST(OutputSealing, OutputsAreSealedUnlessNoDescriptorCanLeaveTheBuild) {
    struct Case {
        bool fixedOutput, isolated, hostPathMounted, sealed;
    };
    const Case cases[] = {
        {false, true, false, false}, {true, true, false, true},  {false, false, false, true},
        {false, true, true, true},   {true, false, true, true},  {true, true, true, true},
        {false, false, true, true},  {true, false, false, true},
    };
    for (const Case& c : cases)
        EXPECT_EQ(mustSealOutputs(c.fixedOutput, c.isolated, c.hostPathMounted), c.sealed)
            << "fixed " << c.fixedOutput << ", isolated " << c.isolated << ", host path "
            << c.hostPathMounted;
}

TEST(OutputSealing, EachOutputIsReplacedByACopyAndTheOriginalGoes) {
    TempDir dir("output-sealing-test-");
    std::string built = dir.path() + "/out", sealedDir = dir.path() + "/sealed";
    std::filesystem::create_directory(sealedDir);
    StorePath file = StorePath::fromBaseName(std::string(32, 'a') + "-file");
    StorePath tree = StorePath::fromBaseName(std::string(32, 'b') + "-tree");
    testing::makeFile(built + "/" + file.baseName(), "one file\n");
    testing::makeFile(built + "/" + tree.baseName() + "/sub/f", "in a tree\n");
    struct stat before {};
    ASSERT_EQ(::stat((built + "/" + file.baseName()).c_str(), &before), 0);
    std::vector<NewPath> outputs = {{file, built + "/" + file.baseName(), std::nullopt, ""},
                                    {tree, built + "/" + tree.baseName(), std::nullopt, ""}};

    sealOutputs(outputs, sealedDir);
    EXPECT_EQ(outputs[0].location, sealedDir + "/" + file.baseName());
    EXPECT_EQ(outputs[1].location, sealedDir + "/" + tree.baseName());
    EXPECT_EQ(contentsOf(outputs[0].location), "one file\n");
    EXPECT_EQ(contentsOf(outputs[1].location + "/sub/f"), "in a tree\n");
    EXPECT_TRUE(std::filesystem::is_empty(built)) << "the originals are removed at once";
    struct stat after {};
    ASSERT_EQ(::stat(outputs[0].location.c_str(), &after), 0);
    EXPECT_NE(after.st_ino, before.st_ino) << "a new inode";
}

} // namespace
} // namespace purist::builds
