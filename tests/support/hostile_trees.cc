#include "tests/support/hostile_trees.h"

#include "base/error.h"
#include "base/file_descriptor.h"
#include "base/temp_dir.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <dirent.h>
#include <fcntl.h>
#include <filesystem>
#include <sstream>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace purist::testing {
namespace {

void check(bool ok, const std::string& what) {
    if (!ok) throw SysError(what);
}

void setOldTime(const std::string& path) {
    struct timespec times[2] = {{123456789, 0}, {123456789, 0}};
    check(::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW) == 0,
          "utimensat " + path);
}

void makeDir(const std::string& path, mode_t mode) {
    check(::mkdir(path.c_str(), 0755) == 0, "mkdir " + path);
    check(::chmod(path.c_str(), mode) == 0, "chmod " + path);
}

void link(const std::string& target, const std::string& path) {
    check(::symlink(target.c_str(), path.c_str()) == 0, "symlink " + path);
}

std::string chainName(size_t level, size_t length) {
    std::string name = "d" + std::to_string(level) + "-";
    name.resize(std::max(length, name.size()), 'x');
    return name;
}

} // namespace

std::string scratchParent() {
    struct stat st;
    if (::stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) && ::access("/dev/shm", W_OK) == 0)
        return "/dev/shm";
    return "";
}

std::string deepChainPath(size_t depth, size_t nameLength) {
    std::string path;
    for (size_t i = 0; i < depth; ++i)
        path += (i ? "/" : "") + chainName(i, nameLength);
    return path;
}

void makeDeepChain(const std::string& root, size_t depth, size_t nameLength,
                   const std::string& leaf) {
    check(::mkdir(root.c_str(), 0755) == 0, "mkdir " + root);
    FileDescriptor dir = openFile(root, O_RDONLY | O_DIRECTORY);
    for (size_t i = 0; i < depth; ++i) {
        std::string name = chainName(i, nameLength);
        check(::mkdirat(dir.get(), name.c_str(), 0755) == 0, "mkdirat " + name);
        dir = openFileAt(dir.get(), name, O_RDONLY | O_DIRECTORY, 0, name);
    }
    FileDescriptor file = openFileAt(dir.get(), "leaf", O_WRONLY | O_CREAT | O_EXCL, 0644, "leaf");
    writeAll(file.get(), leaf, "leaf");
}

std::string nestedDirectoryNar(size_t depth, bool closed) {
    std::string nar;
    auto token = [&nar](std::string_view s) {
        for (int i = 0; i < 8; ++i)
            nar.push_back(static_cast<char>(static_cast<uint64_t>(s.size()) >> (8 * i)));
        nar.append(s);
        nar.append((8 - s.size() % 8) % 8, '\0');
    };
    token("nix-archive-1");
    for (size_t i = 0; i < depth; ++i)
        for (const char* t : {"(", "type", "directory", "entry", "(", "name", "d", "node"})
            token(t);
    for (const char* t : {"(", "type", "regular", "contents", "bottom\n", ")"})
        token(t);
    if (closed)
        for (size_t i = 0; i < 2 * depth; ++i)
            token(")");
    return nar;
}

void makeOutside(const std::string& outside) {
    makeDir(outside, 0755);
    writeFile(outside + "/precious", "keep me\n", 0644);
    makeDir(outside + "/sub", 0755);
    writeFile(outside + "/sub/secret", "secret\n", 0600);
    for (const char* p : {"/sub/secret", "/sub", "/precious", ""})
        setOldTime(outside + p);
}

const std::vector<HostileTree>& hostileTrees() {
    static const std::vector<HostileTree> trees = {
        {"symlink to /etc",
         [](const std::string& root, const std::string&) {
             makeDir(root, 0755);
             link("/etc", root + "/etc");
             link("/etc/passwd", root + "/passwd");
             writeFile(root + "/file", "x", 0644);
         }},
        {"symlinks out of the tree",
         [](const std::string& root, const std::string& outside) {
             makeDir(root, 0755);
             link(outside, root + "/outside");
             link(outside + "/precious", root + "/precious");
             link(outside + "/sub", root + "/sub");
             link("..", root + "/up");
             link(".", root + "/self");
         }},
        {"symlink loops",
         [](const std::string& root, const std::string&) {
             makeDir(root, 0755);
             link("loop-b", root + "/loop-a");
             link("loop-a", root + "/loop-b");
             link("me", root + "/me");
             makeDir(root + "/d", 0755);
             link("../d", root + "/d/back");
         }},
        {"read-only directories",
         [](const std::string& root, const std::string& outside) {
             makeDir(root, 0755);
             makeDir(root + "/ro", 0755);
             makeDir(root + "/ro/inner", 0755);
             writeFile(root + "/ro/inner/file", "x", 0444);
             link(outside, root + "/ro/inner/outside");
             ::chmod((root + "/ro/inner").c_str(), 0555);
             ::chmod((root + "/ro").c_str(), 0555);
             makeDir(root + "/locked", 0755);
             writeFile(root + "/locked/file", "y", 0000);
             ::chmod((root + "/locked").c_str(), 0000);
             ::chmod(root.c_str(), 0555);
         }},
        {"5,000-deep chain of 200-byte names",
         [](const std::string& root, const std::string& outside) {
             makeDeepChain(root, 5000, 200);
             link(outside, root + "/outside");
         }},
    };
    return trees;
}

void forEachHostileTree(
    const std::string& dir, bool readsOnly,
    const std::function<void(const HostileTree&, const std::string&, const std::string&)>& body) {
    std::string outside = dir + "/outside";
    makeOutside(outside);
    std::string before = snapshotOf(outside);
    for (const HostileTree& tree : hostileTrees()) {
        SCOPED_TRACE(tree.name);
        if (readsOnly && ::geteuid() != 0 && tree.name == "read-only directories") continue;
        std::string root = dir + "/tree";
        tree.make(root, outside);
        body(tree, root, outside);
        EXPECT_EQ(snapshotOf(outside), before) << "a walk changed what a symlink points at";
        removeTree(root);
        removeTree(dir + "/copy");
    }
}

std::string snapshotOf(const std::string& dir) {
    std::ostringstream out;
    std::vector<std::string> paths = {dir};
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir))
        paths.push_back(entry.path().string());
    std::sort(paths.begin(), paths.end());
    for (const std::string& path : paths) {
        struct stat st;
        check(::lstat(path.c_str(), &st) == 0, "lstat " + path);
        out << path << " mode " << std::oct << st.st_mode << std::dec << " uid " << st.st_uid
            << " gid " << st.st_gid << " mtime " << st.st_mtim.tv_sec << "." << st.st_mtim.tv_nsec
            << " links " << st.st_nlink;
        if (S_ISREG(st.st_mode)) out << " contents " << readFile(path);
        out << "\n";
    }
    return out.str();
}

void withDescriptorLimit(rlim_t limit, const std::function<void()>& body) {
    struct rlimit saved;
    check(::getrlimit(RLIMIT_NOFILE, &saved) == 0, "getrlimit");
    struct rlimit lowered = saved;
    lowered.rlim_cur = limit;
    check(::setrlimit(RLIMIT_NOFILE, &lowered) == 0, "setrlimit");
    try {
        body();
    } catch (...) {
        ::setrlimit(RLIMIT_NOFILE, &saved);
        throw;
    }
    check(::setrlimit(RLIMIT_NOFILE, &saved) == 0, "setrlimit");
}

long peakKibInChild(const std::function<void()>& body, bool& failed) {
    pid_t pid = ::fork();
    check(pid != -1, "fork");
    if (pid == 0) {
        int code = 0;
        try {
            body();
        } catch (...) {
            code = 1;
        }
        ::_exit(code);
    }
    int status = 0;
    struct rusage usage {};
    check(::wait4(pid, &status, 0, &usage) == pid, "wait4");
    failed = !WIFEXITED(status) || WEXITSTATUS(status) != 0;
    return usage.ru_maxrss;
}

std::string smallQuarantineAsanOptions() {
    if (!kAddressSanitizer) return "";
    const char* options = std::getenv("ASAN_OPTIONS");
    // ASan reads its options in order; a later one wins.
    return std::string(options != nullptr ? options : "") + ":quarantine_size_mb=16";
}

} // namespace purist::testing
