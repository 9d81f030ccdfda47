// Builds that try to exhaust the host, run through the purist binary in strict mode, as root
// with build users and as an unprivileged user: a memory bomb, a log bomb, a disk filler and
// a fork bomb in two concurrent builds. Each must end with an error naming the limit (exit
// code 3) and leave the host as it was: no cgroup, no process, no build directory, nothing
// registered. An unprivileged user without a delegated cgroup cannot have the cgroup limits;
// purist must say so, and the limits that need no cgroup must still hold.

#include "base/temp_dir.h"
#include "tests/support/test_support.h"

#include <gtest/gtest.h>

#include <regex>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <dirent.h>
#include <filesystem>
#include <fstream>
#include <grp.h>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>
#include <vector>

namespace purist::testing {
namespace {

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

using testing::listDir;

// The directories of this process's v1 memory and pids cgroups, where purist, started by
// this process, creates its builds' cgroups.
std::vector<std::string> ownCgroupDirs() {
    std::vector<std::string> dirs;
    std::ifstream in("/proc/self/cgroup");
    for (std::string line; std::getline(in, line);) {
        size_t first = line.find(':'), second = line.find(':', first + 1);
        std::string controllers = line.substr(first + 1, second - first - 1);
        std::string path = line.substr(second + 1);
        if (path == "/") path.clear();
        if (controllers == "memory") dirs.push_back("/sys/fs/cgroup/memory" + path);
        if (controllers == "pids") dirs.push_back("/sys/fs/cgroup/pids" + path);
    }
    return dirs;
}

void moveSelfTo(const std::string& dir) {
    std::ofstream procs(dir + "/cgroup.procs");
    procs << "0" << std::flush;
    if (!procs) throw std::runtime_error("cannot move this test into " + dir);
}

// The test runs in cgroups of its own (one per v1 hierarchy), so that the build cgroups
// purist makes below them are told apart from those of suites running beside it, some of
// which kill their purist on purpose (a cgroup such a one leaves is the next purist's to
// remove).
class IsolatedCgroups {
public:
    IsolatedCgroups() {
        for (const std::string& parent : ownCgroupDirs()) {
            std::string dir = parent + "/limits-test-" + std::to_string(::getpid());
            if (::mkdir(dir.c_str(), 0755) == -1 && errno != EEXIST) continue;
            moveSelfTo(dir);
            moved_.emplace_back(parent, dir);
        }
    }
    // Not throwing (a destructor), but failing the test: a cgroup left here stays on the host.
    ~IsolatedCgroups() {
        for (const auto& [parent, dir] : moved_) {
            try {
                moveSelfTo(parent);
            } catch (const std::exception& e) {
                ADD_FAILURE() << e.what();
                continue;
            }
            // Best effort, as before: the last build's processes may still be leaving this
            // cgroup (EBUSY); an empty one left behind holds nothing and the next run's
            // constructor reuses it (EEXIST).
            (void)::rmdir(dir.c_str());
        }
    }
    // Build cgroups left below this test's own.
    std::vector<std::string> leftovers() const {
        std::vector<std::string> left;
        for (const auto& [parent, dir] : moved_)
            for (const std::string& name : listDir(dir))
                if (name.starts_with("purist-")) left.push_back(dir + "/" + name);
        return left;
    }

private:
    std::vector<std::pair<std::string, std::string>> moved_;
};

// Processes whose command line holds `marker`: a build's, if any survived it.
std::vector<std::string> processesWith(const std::string& marker) {
    std::vector<std::string> found;
    for (const std::string& pid : listDir("/proc")) {
        if (pid.empty() || pid[0] < '0' || pid[0] > '9' || pid == std::to_string(::getpid()))
            continue;
        std::ifstream in("/proc/" + pid + "/cmdline");
        std::stringstream text;
        text << in.rdbuf();
        if (contains(text.str(), marker)) found.push_back(pid);
    }
    return found;
}

class LimitsEscapeTest : public ::testing::TestWithParam<bool> {
protected:
    bool asRoot() const { return GetParam(); }

    void SetUp() override {
        if (::geteuid() != 0)
            PURIST_SKIP_OUTSIDE_CI("runs builds as root with build users and as another user");
        if (asRoot() && ::getgrnam("purist-build") == nullptr)
            PURIST_SKIP_OUTSIDE_CI("needs the purist-build group (scripts/create-build-users.sh)");
        if (!asRoot() &&
            runProgram({"unshare", "-Ur", "true"}, "", {}, unprivilegedUser()).exitCode != 0)
            PURIST_SKIP_OUTSIDE_CI("needs unprivileged user namespaces");
        cgroups_.emplace();
        dir_.emplace("limits-escape-");
        std::filesystem::permissions(dir_->path(), std::filesystem::perms(0755));
        root_ = dir_->path() + "/root";
        if (!asRoot()) {
            std::filesystem::create_directory(root_);
            Credentials user = unprivilegedUser();
            if (::chown(root_.c_str(), user.uid, user.gid) == -1) FAIL() << "chown " << root_;
        }
        marker_ = "limits-marker-" + std::to_string(::getpid());
    }

    void TearDown() override {
        if (!dir_) return;
        EXPECT_EQ(cgroups_->leftovers(), std::vector<std::string>{});
        cgroups_.reset();
        EXPECT_EQ(processesWith(marker_), std::vector<std::string>{}) << "a build outlived it";
        // Nothing half-built stays: no build directory, no output.
        for (const std::string& name : listDir(root_ + "/tmp"))
            EXPECT_TRUE(name == "sandbox-root" || name == "output-locks" || name == "userpool")
                << name;
        for (const std::string& name : listDir(root_ + "/store"))
            ADD_FAILURE() << "registered or left in the store: " << name;
    }

    // A spec whose builder runs `script` with sh; the marker in its arguments finds the
    // build's processes.
    std::string spec(const std::string& name, const std::string& script) {
        std::string path = dir_->path() + "/" + name + ".yaml";
        makeFile(path, "name: " + name + "\nbuilder: /bin/sh\nargs: [-c, '" + script + "', " +
                           marker_ + "]\nenv: {PATH: /bin:/usr/bin}\n");
        return path;
    }

    RunResult build(const std::vector<std::string>& specs, const std::vector<std::string>& extra) {
        std::vector<std::string> args = {"--root",
                                         root_,
                                         "build",
                                         "--config",
                                         std::string(PURIST_SOURCE_DIR) + "/examples/purist.yaml",
                                         "--sandbox",
                                         "strict",
                                         "--no-out-link",
                                         "-j",
                                         "2"};
        args.insert(args.end(), extra.begin(), extra.end());
        args.insert(args.end(), specs.begin(), specs.end());
        return asRoot() ? runPurist(args) : runPuristAs(unprivilegedUser(), args);
    }

    // Whether purist can make cgroups as this test's user here: root can on this machine
    // and in CI (the v1 memory and pids controllers); an unprivileged user has none
    // delegated, and purist must then say which limits it cannot enforce.
    bool cgroupsExpected() const { return asRoot(); }

    void expectUnenforcedWarning(const RunResult& r, const std::string& limit) {
        EXPECT_TRUE(contains(r.err, "warning: no cgroup can be created for builds here")) << r.err;
        EXPECT_TRUE(contains(r.err, limit)) << r.err;
    }

    std::optional<IsolatedCgroups> cgroups_;
    std::optional<TempDir> dir_;
    std::string root_;
    std::string marker_;
};

TEST_P(LimitsEscapeTest, AMemoryBombIsKilledAtMaxMemory) {
    std::string bomb = spec("membomb", "echo start; python3 -c \"x = bytearray(256 << 20); "
                                       "print(len(x))\" && echo > $out");
    RunResult r = build({bomb}, {"--option", "max-memory", "64MiB"});
    if (cgroupsExpected()) {
        EXPECT_EQ(r.exitCode, 3) << r.err;
        EXPECT_TRUE(contains(r.err, "builder for 'membomb' exceeded max-memory (64 MiB)")) << r.err;
        EXPECT_FALSE(contains(r.err, "warning: no cgroup")) << r.err;
    } else {
        // Nothing can stop it here; purist must not pretend otherwise. Its output is not
        // registered either way: the test's TearDown accepts no store entry, so it is
        // removed first when the unbounded build succeeds.
        expectUnenforcedWarning(r, "max-memory (not enforced)");
        if (r.exitCode == 0) std::filesystem::remove_all(root_ + "/store");
    }
}

TEST_P(LimitsEscapeTest, ALogBombIsCutAtMaxLogSize) {
    std::string bomb =
        spec("logbomb", "yes 0123456789abcdefghijklmnopqrstuvwxyz | head -c 16000000; echo > $out");
    RunResult r = build({bomb}, {"--option", "max-log-size", "1MiB"});
    EXPECT_EQ(r.exitCode, 3) << r.err.substr(r.err.size() > 2000 ? r.err.size() - 2000 : 0);
    EXPECT_TRUE(contains(r.err, "builder for 'logbomb' exceeded max-log-size (1 MiB)"));
    // Neither the echo nor the stored log holds more than the limit (plus prefixes and the
    // closing line).
    EXPECT_LT(r.err.size(), (1u << 20) + (1u << 20) / 37 * 10 + 4096);
    std::vector<std::string> logs = listDir(root_ + "/logs");
    ASSERT_EQ(logs.size(), 1u);
    std::string log = root_ + "/logs/" + logs[0];
    EXPECT_LE(std::filesystem::file_size(log), (1u << 20) + 200);
    std::ifstream in(log);
    std::string line, last;
    while (std::getline(in, line))
        last = line;
    EXPECT_EQ(last, "purist: the build log exceeded max-log-size (1 MiB); the build was killed");
    std::filesystem::remove_all(root_ + "/logs");
}

TEST_P(LimitsEscapeTest, ADiskFillerRunsOutOfBuildDirSize) {
    // 64 MiB into each scratch directory against a bound of 8 MiB: each write must fail.
    std::string filler = spec("diskfill", "for d in /build /tmp /dev/shm; do "
                                          "dd if=/dev/zero of=$d/fill bs=1M count=64 || exit 1; "
                                          "done; echo > $out");
    RunResult r = build({filler}, {"--option", "build-dir-size", "8MiB"});
    EXPECT_EQ(r.exitCode, 3) << r.err;
    EXPECT_TRUE(contains(r.err, "No space left on device")) << r.err;
    // The three share the one bound (one file system): all three are full.
    const std::string full = "ran out of space in /build, /tmp, /dev/shm (build-dir-size 8 MiB)";
    EXPECT_TRUE(contains(r.err, "builder for 'diskfill' " + full + " and failed with exit code 1"))
        << r.err;
    // /tmp and /dev/shm hold as well, each tried on its own.
    for (const char* dir : {"/tmp", "/dev/shm"}) {
        std::string one = spec(std::string("fill") + (dir[1] == 't' ? "tmp" : "shm"),
                               std::string("dd if=/dev/zero of=") + dir +
                                   "/fill bs=1M count=64 || exit 1; echo > $out");
        RunResult each = build({one}, {"--option", "build-dir-size", "8MiB"});
        EXPECT_EQ(each.exitCode, 3) << each.err;
        EXPECT_TRUE(contains(each.err, full)) << each.err;
    }
    // The bound is their total, not one per directory: 5 MiB in /tmp and 5 MiB in
    // /dev/shm do not both fit in 8 MiB.
    std::string split = spec("fillsplit", "dd if=/dev/zero of=/tmp/fill bs=1M count=5 || exit 1; "
                                          "dd if=/dev/zero of=/dev/shm/fill bs=1M count=5 || "
                                          "exit 1; echo > $out");
    RunResult both = build({split}, {"--option", "build-dir-size", "8MiB"});
    EXPECT_EQ(both.exitCode, 3) << both.err;
    EXPECT_TRUE(contains(both.err, "builder for 'fillsplit' " + full)) << both.err;
}

TEST_P(LimitsEscapeTest, AForkBombInTwoConcurrentBuildsStopsAtMaxProcesses) {
    // Each build tries to hold 300 processes at once; the bound is 32 per build.
    std::string script = "for i in $(seq 300); do sleep 3 & done; wait; echo > $out";
    std::string first = spec("forkbomb-a", script);
    std::string second = spec("forkbomb-b", script);
    // Started once a bomb has ended: it gets that build's cgroup, whose counters remember
    // the limit being hit, and must not be blamed for it.
    std::string fine = spec("fine", "for i in 1 2 3 4; do sleep 0.2 & done; wait; echo > $out");
    RunResult r = build({first, second, fine}, {"--option", "max-processes", "32"});
    if (cgroupsExpected()) {
        EXPECT_EQ(r.exitCode, 3) << r.err;
        EXPECT_TRUE(contains(r.err, "builder for 'forkbomb-a' exceeded max-processes (32)"))
            << r.err;
        EXPECT_TRUE(contains(r.err, "builder for 'forkbomb-b' exceeded max-processes (32)"))
            << r.err;
        EXPECT_FALSE(contains(r.err, "builder for 'fine'")) << r.err;
        bool built = false;
        for (const std::string& name : listDir(root_ + "/store"))
            built = built || name.ends_with("-fine");
        EXPECT_TRUE(built) << r.err;
        std::filesystem::remove_all(root_ + "/store");
    } else {
        // RLIMIT_NPROC is what holds without a cgroup: forks past it fail.
        expectUnenforcedWarning(r, "max-processes (only as RLIMIT_NPROC");
        EXPECT_TRUE(contains(r.err, "Cannot fork")) << r.err;
        // Builds whose forks failed may still succeed here (and `fine` does).
        std::filesystem::remove_all(root_ + "/store");
    }
}

TEST(LimitsConfigTest, ConfigShowExplainsEveryLimit) {
    RunResult r = runPurist({"config", "show", "--explain"}, "", {"PURIST_MAX_MEMORY=2GiB"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    EXPECT_TRUE(std::regex_search(r.out, std::regex("\nmax-memory +2 GiB "))) << r.out;
    EXPECT_TRUE(contains(r.out, "# PURIST_MAX_MEMORY (environment)")) << r.out;
    for (const char* text :
         {"fails with `exceeded max-memory`", "fails with `exceeded max-processes`",
          "fails with `exceeded max-log-size`", "and /dev/shm share one tmpfs of this size",
          "type: size | percent of RAM | 0; default: 50%", "type: seconds; default: 3600"})
        EXPECT_TRUE(contains(r.out, text)) << text << "\n" << r.out;
}

INSTANTIATE_TEST_SUITE_P(AsRootAndUnprivileged, LimitsEscapeTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                             return info.param ? "Root" : "Unprivileged";
                         });

} // namespace
} // namespace purist::testing
