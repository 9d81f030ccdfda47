// kill -9 at random moments of `store add` and `build` (copying, hashing, building,
// registering): after each, a full `store verify` finds nothing wrong, and once that next
// process has run, no scratch space of the killed one is left (issue 10, defect 3 and the
// crash tests); concurrent builders and adders of the same outputs and trees; a killed
// supervising process; an environment past exec(2)'s limits; a store on a small tmpfs that
// fills up. PURIST_CRASH_KILLS=N runs N kills per crash test instead of 30 and 15.

#include "base/file_descriptor.h"
#include "base/temp_dir.h"
#include "tests/support/test_support.h"

#include <gtest/gtest.h>

#include <csignal>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <sstream>
#include <thread>

namespace purist::testing {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

const std::string kExamples = std::string(PURIST_SOURCE_DIR) + "/examples";

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

// Starts the purist binary with output thrown away; the caller kills and reaps it.
pid_t startPurist(const std::vector<std::string>& args) {
    std::vector<std::string> argv{PURIST_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> argvC;
    for (auto& a : argv)
        argvC.push_back(a.data());
    argvC.push_back(nullptr);
    pid_t pid = ::fork();
    if (pid == 0) {
        int null = ::open("/dev/null", O_RDWR);
        ::dup2(null, 0);
        ::dup2(null, 1);
        ::dup2(null, 2);
        ::execv(argvC[0], argvC.data());
        ::_exit(127);
    }
    return pid;
}

// Kills `pid` with SIGKILL after `delay`; true if it was still running then.
bool killAfter(pid_t pid, std::chrono::microseconds delay) {
    std::this_thread::sleep_for(delay);
    int status = 0;
    bool running = ::waitpid(pid, &status, WNOHANG) == 0;
    if (running) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &status, 0);
    }
    return running;
}

// What is under tmp/ besides the two entries every store has there (the path lock file and
// the strict sandbox's mount point): scratch space someone left.
std::vector<std::string> scratchLeft(const std::string& tmpDir) {
    std::vector<std::string> left;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(tmpDir, ec)) {
        std::string name = entry.path().filename().string();
        if (name != "output-locks" && name != "sandbox-root") left.push_back(name);
    }
    return left;
}

// The children of `pid` whose command name is `comm` (empty: any), from /proc/*/stat (the
// kernel here has no /proc/PID/task/PID/children).
std::vector<pid_t> childrenOf(pid_t pid, const std::string& comm = "") {
    std::vector<pid_t> found;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator("/proc", ec)) {
        std::string name = entry.path().filename().string();
        if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
        std::string stat;
        try {
            stat = readFile(entry.path().string() + "/stat");
        } catch (const std::exception&) {
            continue; // gone meanwhile
        }
        // pid (comm) state ppid ...: comm may hold spaces and parentheses, so from the last ')'.
        size_t open = stat.find('('), close = stat.rfind(')');
        if (open == std::string::npos || close == std::string::npos) continue;
        std::istringstream rest(stat.substr(close + 1));
        std::string state;
        pid_t ppid = 0;
        rest >> state >> ppid;
        if (ppid != pid) continue;
        if (comm.empty() || stat.substr(open + 1, close - open - 1) == comm)
            found.push_back(static_cast<pid_t>(std::stol(name)));
    }
    return found;
}

class CrashE2eTest : public ::testing::Test {
protected:
    TempDir dir_{"purist-crash-e2e-"};
    std::string root_ = dir_.path() + "/root";
    std::mt19937 random_{std::random_device{}()};

    // The next process after a crash: a full verify, which must pass and leave no scratch.
    void verifyAfterCrash(const std::string& what) {
        RunResult verify = runPurist({"--root", root_, "store", "verify"});
        EXPECT_EQ(verify.exitCode, 0) << what << "\n" << verify.out << verify.err;
        EXPECT_TRUE(contains(verify.err, " 0 problems")) << what << "\n" << verify.err;
        EXPECT_EQ(scratchLeft(root_ + "/tmp"), std::vector<std::string>{}) << what;
    }

    // The kills per test: `fallback` under ctest; PURIST_CRASH_KILLS for a longer run by hand.
    static int killCount(int fallback) {
        const char* env = std::getenv("PURIST_CRASH_KILLS");
        return env && *env ? std::atoi(env) : fallback;
    }

    // A moment in the first 80% of a run that takes `full` (timed once; the machine is noisy,
    // so a later run may be quicker).
    std::chrono::microseconds randomDelay(Clock::duration full) {
        auto us = std::chrono::duration_cast<std::chrono::microseconds>(full).count() * 4 / 5;
        return std::chrono::microseconds(std::uniform_int_distribution<int64_t>(0, us)(random_));
    }
};

TEST_F(CrashE2eTest, StoreAddKilledAtRandomMomentsLeavesAStoreThatVerifiesAndNoScratch) {
    const int kKills = killCount(30);
    // A tree big enough that copying, hashing and registering each take a while.
    auto makeTree = [&](int variant) {
        std::string at = dir_.path() + "/tree";
        std::string block(8 * 1024, 'x');
        for (int i = 0; i < 32; ++i)
            makeFile(at + "/d" + std::to_string(i % 8) + "/f" + std::to_string(i), block);
        makeFile(at + "/variant", std::to_string(variant));
        return at;
    };
    // How long a whole add takes here: the kills land anywhere in it.
    std::string tree = makeTree(-1);
    Clock::time_point start = Clock::now();
    RunResult first = runPurist({"--root", root_, "store", "add", tree});
    ASSERT_EQ(first.exitCode, 0) << first.err;
    Clock::duration full = Clock::now() - start;

    int landed = 0;
    for (int i = 0; i < kKills; ++i) {
        makeTree(i); // a new path each time, so the kill can land in its registration
        auto delay = randomDelay(full);
        pid_t pid = startPurist({"--root", root_, "store", "add", tree});
        landed += killAfter(pid, delay) ? 1 : 0;
        verifyAfterCrash("add killed after " + std::to_string(delay.count()) + " us");
        if (HasFailure()) break;
    }
    std::printf("store add: %d of %d kill -9s landed while it ran (a full add takes %lld ms)\n",
                landed, kKills,
                static_cast<long long>(
                    std::chrono::duration_cast<std::chrono::milliseconds>(full).count()));
    EXPECT_GE(landed, kKills / 4) << "a quarter of the kills or more must land while the add runs";
}

class CrashBuildE2eTest : public CrashE2eTest {
protected:
    void SetUp() override {
        if (std::string why = whyNoStrictBuilds(); !why.empty()) {
            PURIST_SKIP_OUTSIDE_CI(why);
        }
        fs::permissions(dir_.path(), fs::perms(0755));
    }

    // A build that writes many files, so the kill can land while it runs or while its
    // outputs are scanned, hashed and registered.
    std::string spec(const std::string& name) {
        std::string path = dir_.path() + "/" + name + ".yaml";
        makeFile(path, "name: " + name +
                           "\nbuilder: /bin/sh\nenv: {PATH: /usr/bin:/bin}\n"
                           "args: [-c, 'mkdir $out; i=0; while [ $i -lt 300 ]; do "
                           "echo " +
                           name + " $i > $out/f$i; i=$((i+1)); done']\n");
        return path;
    }
    std::vector<std::string> buildArgs(const std::string& specFile) {
        return {"--root", root_,          "build", "--config", kExamples + "/purist.yaml",
                specFile, "--no-out-link"};
    }
};

TEST_F(CrashBuildE2eTest, BuildKilledAtRandomMomentsLeavesAStoreThatVerifiesAndNoScratch) {
    const int kKills = killCount(15);
    Clock::time_point start = Clock::now();
    RunResult first = runPurist(buildArgs(spec("timing")));
    ASSERT_EQ(first.exitCode, 0) << first.err;
    Clock::duration full = Clock::now() - start;

    int landed = 0;
    for (int i = 0; i < kKills; ++i) {
        auto delay = randomDelay(full);
        pid_t pid = startPurist(buildArgs(spec("crash" + std::to_string(i))));
        landed += killAfter(pid, delay) ? 1 : 0;
        verifyAfterCrash("build killed after " + std::to_string(delay.count()) + " us");
        if (HasFailure()) break;
        // The store still builds: the same spec, now to the end.
        RunResult again =
            runPurist(buildArgs(dir_.path() + "/crash" + std::to_string(i) + ".yaml"));
        ASSERT_EQ(again.exitCode, 0) << again.err;
    }
    verifyAfterCrash("after the rebuilds");
    std::printf("build: %d of %d kill -9s landed while it ran (a full build takes %lld ms)\n",
                landed, kKills,
                static_cast<long long>(
                    std::chrono::duration_cast<std::chrono::milliseconds>(full).count()));
    EXPECT_GE(landed, kKills / 4)
        << "a quarter of the kills or more must land while the build runs";
}

// Builders and adders of the same outputs and trees, all at once: each output is built once,
// every process succeeds, and the store verifies.
TEST_F(CrashBuildE2eTest, ConcurrentBuildersAndAddersOfTheSameOutputsAndTrees) {
    constexpr int kProcesses = 4;
    std::string file = spec("shared");
    std::string tree = dir_.path() + "/tree";
    for (int i = 0; i < 50; ++i)
        makeFile(tree + "/f" + std::to_string(i), std::string(4096, 'a' + i % 26));
    std::vector<RunResult> builds(kProcesses), adds(kProcesses);
    std::vector<std::thread> threads;
    for (int i = 0; i < kProcesses; ++i) {
        threads.emplace_back([&, i] { builds[i] = runPurist(buildArgs(file)); });
        threads.emplace_back([&, i] {
            adds[i] = runPurist({"--root", root_, "store", "add", tree});
        });
    }
    for (std::thread& t : threads)
        t.join();
    int built = 0;
    for (const RunResult& r : builds) {
        EXPECT_EQ(r.exitCode, 0) << r.err;
        EXPECT_EQ(r.out, builds[0].out);
        // A process that waited for another's lock says so instead of building.
        built += contains(r.err, "building 'shared'") &&
                         !contains(r.err, "was built by another purist process meanwhile")
                     ? 1
                     : 0;
    }
    EXPECT_LE(built, 1) << "an output was built twice";
    for (const RunResult& r : adds) {
        EXPECT_EQ(r.exitCode, 0) << r.err;
        EXPECT_EQ(r.out, adds[0].out);
    }
    verifyAfterCrash("after concurrent builders and adders");
}

// Issue 10, defect 6: a supervising process (the intermediate that purist-sandbox forks for
// each build, and which waits for the builder) killed mid-build ended purist with exit 4,
// "the sandbox could not be set up", though the sandbox was set up and the builder ran: it is
// a failed build, exit 3.
TEST_F(CrashBuildE2eTest, AKilledSupervisingProcessFailsTheBuildWithExitThree) {
    std::string file = dir_.path() + "/slow.yaml";
    makeFile(file, "name: slow\nbuilder: /bin/sh\nenv: {PATH: /usr/bin:/bin}\n"
                   "args: [-c, 'while echo waiting; do sleep 0.1; done']\n");
    RunResult result;
    std::thread purist([&] { result = runPurist(buildArgs(file)); });
    // purist -> purist-sandbox (the launcher) -> purist-sandbox (the intermediate) -> builder
    pid_t intermediate = -1;
    for (auto deadline = Clock::now() + std::chrono::seconds(20);
         intermediate < 0 && Clock::now() < deadline;
         std::this_thread::sleep_for(std::chrono::milliseconds(20)))
        for (pid_t p : childrenOf(::getpid(), "purist"))
            for (pid_t launcher : childrenOf(p, "purist-sandbox"))
                for (pid_t child : childrenOf(launcher))
                    if (!childrenOf(child).empty()) intermediate = child;
    ASSERT_GT(intermediate, 0) << "no running build found";
    ::kill(intermediate, SIGKILL);
    purist.join();
    // The builder outlives its supervisor (PR_SET_PDEATHSIG with SIGTERM does not end a PID
    // namespace's init); its loop ends it once purist has closed the log pipe.
    EXPECT_EQ(result.exitCode, 3) << result.err;
    EXPECT_TRUE(contains(result.err, "supervising process died")) << result.err;
    verifyAfterCrash("after the supervising process was killed");
}

// Issue 10, defect 6: a spec over 64 MiB failed with "sending to the sandbox launcher's
// socket: Broken pipe" (the launcher hangs up on a request past its 64 MiB limit), and one
// over exec(2)'s 128 KiB per variable with the builder's E2BIG as exit 127. Both are refused
// before anything runs, naming the variable. (65 MiB, run by hand: the same message; here
// 200 KiB, since parsing a 65 MiB spec takes seconds.)
TEST_F(CrashBuildE2eTest, AnEnvironmentPastExecLimitsIsRefusedNamingTheVariable) {
    std::string file = dir_.path() + "/big.yaml";
    makeFile(file, "name: big\nbuilder: /bin/sh\nenv: {BIG: '" + std::string(200 * 1024, 'a') +
                       "'}\nargs: [-c, 'echo > $out']\n");
    RunResult r = runPurist(buildArgs(file));
    EXPECT_EQ(r.exitCode, 3) << r.err;
    EXPECT_TRUE(contains(r.err, "environment variable BIG is 204804 bytes; exec(2) takes at most "
                                "131071 bytes"))
        << r.err;
    EXPECT_FALSE(contains(r.err, "big> ")) << "nothing may run: " << r.err;
}

// A store on a small file system that fills up (issue 10, defect 6 and the disk-space tests):
// every failure says "no space left on <where> (...; needed N bytes, free M bytes)" instead of
// "disk I/O error", nothing is half registered, and once space returns the store verifies and
// works.
class DiskFullE2eTest : public CrashBuildE2eTest {
protected:
    void SetUp() override {
        if (::geteuid() != 0) {
            PURIST_SKIP_OUTSIDE_CI("mounting a small tmpfs needs root");
            return;
        }
        CrashBuildE2eTest::SetUp();
        mount_ = dir_.path() + "/small";
        fs::create_directories(mount_);
        ASSERT_EQ(::mount("tmpfs", mount_.c_str(), "tmpfs", 0, "size=8m,mode=0755"), 0)
            << std::strerror(errno);
        mounted_ = true;
        root_ = mount_ + "/root";
    }
    void TearDown() override {
        if (mounted_) ::umount2(mount_.c_str(), MNT_DETACH);
    }
    // Fills the file system but for `leave` bytes.
    void fill(uint64_t leave) {
        fs::remove(mount_ + "/filler");
        struct statvfs st {};
        ASSERT_EQ(::statvfs(mount_.c_str(), &st), 0);
        uint64_t free = static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
        ASSERT_GT(free, leave);
        FileDescriptor filler = openFile(mount_ + "/filler", O_WRONLY | O_CREAT | O_TRUNC, 0600);
        ASSERT_EQ(::posix_fallocate(filler.get(), 0, static_cast<off_t>(free - leave)), 0);
    }
    std::vector<std::string> storeEntries() {
        std::vector<std::string> names;
        for (const auto& entry : fs::directory_iterator(root_ + "/store"))
            names.push_back(entry.path().filename().string());
        return names;
    }

    std::string mount_;
    bool mounted_ = false;
};

TEST_F(DiskFullE2eTest, AFullStoreSaysSoRegistersNothingHalfAndWorksAgainOnceSpaceReturns) {
    std::string small = dir_.path() + "/small-src", big = dir_.path() + "/big-src";
    makeFile(small + "/x", "small\n");
    std::string noise;
    std::mt19937 bytes(42);
    for (int i = 0; i < 2 * 1024 * 1024; ++i)
        noise.push_back(static_cast<char>(bytes()));
    makeFile(big + "/a", noise);
    RunResult first = runPurist({"--root", root_, "store", "add", small});
    ASSERT_EQ(first.exitCode, 0) << first.err;
    std::vector<std::string> before = storeEntries();

    // Room for the DB's coordination files but not for the copy.
    fill(256 * 1024);
    RunResult copy = runPurist({"--root", root_, "store", "add", big});
    EXPECT_EQ(copy.exitCode, 2) << copy.err;
    EXPECT_TRUE(contains(copy.err, "no space left on " + root_ + "/tmp (copying '" + big +
                                       "' into the store; needed 2097152 bytes, free "))
        << copy.err;
    RunResult build = runPurist(buildArgs(spec("filling")));
    EXPECT_EQ(build.exitCode, 3) << build.err;
    EXPECT_EQ(storeEntries(), before) << "a failed add or build left something in the store";

    // No room at all: a new tree, however small, cannot be copied, or the DB (its -shm and
    // -wal, if the last process removed them) cannot even be opened; either says so.
    fill(0);
    makeFile(small + "2/y", "another\n");
    RunResult none = runPurist({"--root", root_, "store", "add", small + "2"});
    EXPECT_EQ(none.exitCode, 2) << none.err;
    EXPECT_TRUE(contains(none.err, "purist: error: no space left on " + root_ + "/")) << none.err;
    EXPECT_FALSE(contains(none.err, "I/O error")) << none.err;
    EXPECT_EQ(storeEntries(), before);

    std::printf("full disk, copy: %sfull disk, nothing free: %s", copy.err.c_str(),
                none.err.c_str());

    // Space returns: the store verifies, holds no scratch, and adds and builds again.
    fs::remove(mount_ + "/filler");
    verifyAfterCrash("after the disk was full");
    RunResult again = runPurist({"--root", root_, "store", "add", big});
    EXPECT_EQ(again.exitCode, 0) << again.err;
    RunResult rebuilt = runPurist(buildArgs(dir_.path() + "/filling.yaml"));
    EXPECT_EQ(rebuilt.exitCode, 0) << rebuilt.err;
    verifyAfterCrash("after adding and building again");
}

} // namespace
} // namespace purist::testing
