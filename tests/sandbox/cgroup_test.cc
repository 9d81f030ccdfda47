// Tests of sandbox/cgroup.cc on cgroup v2, which this machine has only in part: a hybrid
// layout whose v2 hierarchy (/sys/fs/cgroup/unified) holds no controllers, the memory and
// pids controllers being v1's. Two halves:
//
// - the v2 logic against a directory tree that mimics cgroupfs (CgroupFileSystem): which
//   files purist writes and what, how it reads the counters, how it kills a build;
// - what the unified hierarchy here does for real, which that logic relies on: a cgroup
//   below this process's own, a process moved in by writing "0" to cgroup.procs (as the
//   builder does), cgroup.kill ending all of it, cgroup.events reporting and notifying
//   (POLLPRI) whether anything is left.
//
// What neither half covers (the controllers' own files on a real kernel: memory.max,
// memory.swap.max, pids.max, memory.events, pids.events) is said in docs/sandbox.md.

#include "base/error.h"
#include "base/file_descriptor.h"
#include "base/temp_dir.h"
#include "sandbox/cgroup.h"
#include "tests/support/test_support.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <poll.h>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace purist::sandbox {
namespace {

namespace fs = std::filesystem;

std::string contentOf(const std::string& path) {
    std::ifstream in(path);
    std::stringstream out;
    out << in.rdbuf();
    return out.str();
}

void put(const std::string& path, const std::string& content) {
    std::ofstream out(path, std::ios::trunc);
    out << content;
    if (!out.flush()) throw std::runtime_error("cannot write " + path);
}

// The files a v2 cgroup has once the kernel has made it, with their values before any
// build. Those purist writes start empty here: a write to a cgroup file replaces its value,
// a write to a plain file only overwrites its first bytes (on cgroupfs they read "max").
const std::pair<const char*, const char*> kCgroupFiles[] = {
    {"cgroup.procs", ""},
    {"cgroup.kill", ""},
    {"cgroup.events", "populated 0\nfrozen 0\n"},
    {"cgroup.controllers", "memory pids\n"},
    {"cgroup.subtree_control", ""},
    {"memory.max", ""},
    {"memory.swap.max", ""},
    {"memory.events", "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n"},
    {"pids.max", ""},
    {"pids.events", "max 0\n"},
};

// A fake machine on cgroup v2 only, purist running in /user.slice/purist.scope, which has
// the memory and pids controllers, not yet handed down.
class FakeCgroupV2 : public ::testing::Test {
protected:
    void SetUp() override {
        fs::create_directories(root() + "/proc/self");
        put(root() + "/proc/self/cgroup", "0::/user.slice/purist.scope\n");
        put(root() + "/proc/self/mountinfo",
            "25 1 0:22 / / rw,relatime - ext4 /dev/vda1 rw\n"
            "30 25 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec - cgroup2 cgroup2 "
            "rw,nsdelegate,memory_recursiveprot\n");
        fs::create_directories(own());
        for (const auto& [name, value] : kCgroupFiles)
            put(own() + "/" + name, value);
        files_.root = root();
        files_.created = [this](const std::string& dir) {
            created_.push_back(dir);
            for (const auto& [name, value] : kCgroupFiles)
                put(dir + "/" + name, value);
        };
        files_.removing = [this](const std::string& dir) {
            removed_.push_back(dir);
            for (const auto& [name, value] : kCgroupFiles)
                fs::remove(dir + "/" + name);
        };
    }

    std::string root() const { return dir_.path(); }
    std::string own() const { return root() + "/sys/fs/cgroup/user.slice/purist.scope"; }

    TempDir dir_{"purist-cgroup-test-"};
    CgroupFileSystem files_;
    std::vector<std::string> created_, removed_;
};

TEST_F(FakeCgroupV2, HandsTheControllersDownAndCreatesBuildCgroupsBelowItsOwn) {
    CgroupSupport support = probeCgroups(files_);
    EXPECT_EQ(support.version, CgroupSupport::Version::V2);
    EXPECT_TRUE(support.memory) << support.whyNot;
    EXPECT_TRUE(support.pids) << support.whyNot;
    EXPECT_EQ(support.memoryParent, own());
    EXPECT_EQ(support.pidsParent, own());
    // Handed down to the build cgroups below purist's.
    EXPECT_EQ(contentOf(own() + "/cgroup.subtree_control"), "+memory +pids");
    // The probe made one to see that it can, and removed it.
    ASSERT_EQ(created_.size(), 1u);
    EXPECT_EQ(fs::path(created_[0]).parent_path(), own());
    EXPECT_EQ(removed_, created_);
    EXPECT_FALSE(fs::exists(created_[0]));
}

TEST_F(FakeCgroupV2, WritesTheLimitsReadsTheCountersAndKillsThroughCgroupKill) {
    CgroupSupport support = probeCgroups(files_);
    ASSERT_TRUE(support.memory && support.pids) << support.whyNot;
    std::optional<BuildCgroup> cgroup = BuildCgroup::create(support, 2ull << 30, 100);
    ASSERT_TRUE(cgroup.has_value());
    std::string dir = cgroup->memoryDir();
    EXPECT_EQ(fs::path(dir).parent_path(), own());
    EXPECT_EQ(cgroup->pidsDir(), dir) << "v2 has one directory for both";
    EXPECT_EQ(contentOf(dir + "/memory.max"), "2147483648");
    EXPECT_EQ(contentOf(dir + "/memory.swap.max"), "0") << "swapping must not lift the limit";
    EXPECT_EQ(contentOf(dir + "/pids.max"), "100");
    // The builder joins the one directory.
    EXPECT_EQ(cgroup->joinFiles(), std::vector<std::string>{dir + "/cgroup.procs"});
    EXPECT_TRUE(cgroup->limitsProcesses());
    // Regular files cannot be polled, as memory.events and pids.events are on a real
    // kernel: the counters are then asked every few hundred milliseconds.
    EXPECT_TRUE(cgroup->needsPolling());

    EXPECT_EQ(cgroup->limitHit(), CgroupLimit::None);
    put(dir + "/memory.events", "low 0\nhigh 0\nmax 7\noom 1\noom_kill 1\noom_group_kill 0\n");
    EXPECT_EQ(cgroup->limitHit(), CgroupLimit::Memory);
    put(dir + "/memory.events", "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n");
    put(dir + "/pids.events", "max 3\n");
    EXPECT_EQ(cgroup->limitHit(), CgroupLimit::Processes);

    // cgroup.events counts the cgroups below the build's too.
    EXPECT_FALSE(cgroup->populated());
    put(dir + "/cgroup.events", "populated 1\nfrozen 0\n");
    EXPECT_TRUE(cgroup->populated());
    cgroup->killAll();
    EXPECT_EQ(contentOf(dir + "/cgroup.kill"), "1");

    put(dir + "/cgroup.events", "populated 0\nfrozen 0\n");
    cgroup->remove();
    EXPECT_FALSE(fs::exists(dir));
    EXPECT_EQ(removed_.back(), dir);
}

TEST_F(FakeCgroupV2, OnlyTheLimitsAskedForAreWritten) {
    CgroupSupport support = probeCgroups(files_);
    std::optional<BuildCgroup> cgroup = BuildCgroup::create(support, 0, 64);
    ASSERT_TRUE(cgroup.has_value());
    EXPECT_EQ(cgroup->memoryDir(), "");
    std::string dir = cgroup->pidsDir();
    EXPECT_EQ(contentOf(dir + "/memory.max"), "");
    EXPECT_EQ(contentOf(dir + "/pids.max"), "64");
    cgroup->remove();
    EXPECT_FALSE(fs::exists(dir));
    EXPECT_FALSE(BuildCgroup::create(support, 0, 0).has_value());
}

TEST_F(FakeCgroupV2, AHierarchyWithoutControllersSaysWhichLimitIsMissing) {
    put(own() + "/cgroup.controllers", "cpu pids\n");
    CgroupSupport support = probeCgroups(files_);
    EXPECT_EQ(support.version, CgroupSupport::Version::V2);
    EXPECT_FALSE(support.memory);
    EXPECT_TRUE(support.pids);
    EXPECT_EQ(contentOf(own() + "/cgroup.subtree_control"), "+pids");
    EXPECT_NE(support.whyNot.find("no memory controller"), std::string::npos) << support.whyNot;
}

TEST_F(FakeCgroupV2, ACgroupSharedWithOtherProcessesCannotHandControllersDown) {
    // The kernel refuses to enable controllers below a cgroup that holds processes (and
    // purist cannot move them all): here, writes to cgroup.subtree_control fail.
    fs::remove(own() + "/cgroup.subtree_control");
    fs::create_directory(own() + "/cgroup.subtree_control");
    CgroupSupport support = probeCgroups(files_);
    EXPECT_FALSE(support.memory);
    EXPECT_FALSE(support.pids);
    EXPECT_NE(support.whyNot.find("other processes share purist's cgroup"), std::string::npos)
        << support.whyNot;
    // It tried by moving itself into a leaf of its own first, as Nix does.
    ASSERT_EQ(created_.size(), 1u);
    EXPECT_EQ(contentOf(created_[0] + "/cgroup.procs"), "0");
}

// ---- The unified hierarchy of this machine, for real ----

// This process's own directory in the mounted cgroup v2 hierarchy, or "" if none is.
std::string ownV2Directory() {
    std::string mountPoint, root;
    std::ifstream mounts("/proc/self/mountinfo");
    for (std::string line; std::getline(mounts, line);) {
        std::istringstream fields(line);
        std::string id, parent, device, mountRoot, point, word;
        fields >> id >> parent >> device >> mountRoot >> point;
        while (fields >> word && word != "-") {
        }
        std::string type;
        fields >> type;
        if (type == "cgroup2") {
            mountPoint = point;
            root = mountRoot;
            break;
        }
    }
    if (mountPoint.empty()) return "";
    std::ifstream cgroups("/proc/self/cgroup");
    for (std::string line; std::getline(cgroups, line);) {
        if (line.rfind("0::", 0) != 0) continue;
        std::string path = line.substr(3);
        if (root != "/" && path.rfind(root, 0) == 0) path = path.substr(root.size());
        return mountPoint + (path == "/" ? "" : path);
    }
    return "";
}

// Waits until cgroup.events says `populated`, polling for its change notification.
bool waitForPopulated(int eventsFd, bool populated) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (std::chrono::steady_clock::now() < deadline) {
        char buffer[256];
        ssize_t n = ::pread(eventsFd, buffer, sizeof buffer - 1, 0);
        if (n < 0) throw SysError("reading cgroup.events");
        std::string text(buffer, static_cast<size_t>(n));
        if ((text.find("populated 1") != std::string::npos) == populated) return true;
        pollfd waiter{eventsFd, POLLPRI, 0};
        ::poll(&waiter, 1, 100);
    }
    return false;
}

TEST(RealCgroupV2, ABuildCgroupBelowOursIsJoinedKilledAsAWholeAndRemoved) {
    if (::geteuid() != 0) PURIST_SKIP_OUTSIDE_CI("needs root to create cgroups");
    std::string own = ownV2Directory();
    if (own.empty()) PURIST_SKIP_OUTSIDE_CI("no cgroup v2 hierarchy is mounted");
    std::string dir = own + "/purist-test-" + std::to_string(::getpid());
    ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0) << SysError("mkdir " + dir).what();
    struct Cleanup {
        std::string dir;
        ~Cleanup() { ::rmdir(dir.c_str()); }
    } cleanup{dir};
    FileDescriptor events = openFile(dir + "/cgroup.events", O_RDONLY | O_CLOEXEC);
    ASSERT_TRUE(waitForPopulated(events.get(), false));

    // A builder-like child: joins by writing "0" (as joinCgroups does), then starts a
    // process tree that outlives nothing but would otherwise run on.
    int ready[2];
    ASSERT_EQ(::pipe2(ready, O_CLOEXEC), 0);
    pid_t child = ::fork();
    ASSERT_NE(child, -1);
    if (child == 0) {
        int procs = ::open((dir + "/cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC);
        if (procs == -1 || ::write(procs, "0", 1) != 1) ::_exit(1);
        for (int i = 0; i < 3; ++i) {
            if (::fork() == 0) {
                ::setsid(); // out of the child's session: only the cgroup holds them
                for (;;)
                    ::pause();
            }
        }
        (void)!::write(ready[1], "r", 1);
        for (;;)
            ::pause();
    }
    ::close(ready[1]);
    char byte;
    ASSERT_EQ(::read(ready[0], &byte, 1), 1) << "the child could not join " << dir;
    ::close(ready[0]);
    ASSERT_TRUE(waitForPopulated(events.get(), true));
    std::string members = contentOf(dir + "/cgroup.procs");
    EXPECT_EQ(std::count(members.begin(), members.end(), '\n'), 4) << members;

    // cgroup.kill (Linux 5.14) ends every process in it at once.
    std::ofstream(dir + "/cgroup.kill") << "1" << std::flush;
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
    // The grandchildren, reparented to init, are gone too: nothing is left in it, and the
    // kernel says so through cgroup.events, with a notification (POLLPRI).
    EXPECT_TRUE(waitForPopulated(events.get(), false)) << contentOf(dir + "/cgroup.procs");
    EXPECT_EQ(contentOf(dir + "/cgroup.procs"), "");
    EXPECT_EQ(::rmdir(dir.c_str()), 0) << SysError("rmdir " + dir).what();
}

} // namespace
} // namespace purist::sandbox
