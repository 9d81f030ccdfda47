// sandbox_bench: the per-build cost of runInSandbox, without the build orchestration.
//
//   sandbox_bench [--mode strict|off|plain] [--builds N] [--store-paths N]
//                 [--builder PATH [ARGS...]]
//
// Runs N trivial builds one after another and prints the median and mean wall time of
// one build. `strict` and `off` call runInSandbox (strict with /bin /lib /lib64 /usr
// bind-mounted read-only, as the escape suite does); `plain` is fork + exec + wait of the
// same builder, the floor every sandbox adds to. As root, builds run as uid/gid
// 30001/30000. bench/sandbox_bench.sh runs it side by side with bwrap and nix-build.
// `--store-paths N` adds an input closure of N store paths (directories in a scratch
// store), mounted as purist build mounts a build's inputs.

#include "base/error.h"
#include "base/temp_dir.h"
#include "sandbox/sandbox.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <numeric>
#include <sstream>
#include <string>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
using purist::sandbox::SandboxConfig;

struct Options {
    std::string mode = "strict";
    int builds = 20;
    int storePaths = 0;
    std::vector<std::string> builder{"/bin/true"};
};

Options parse(int argc, char** argv) {
    Options options;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--mode" && i + 1 < argc) {
            options.mode = argv[++i];
        } else if (arg == "--builds" && i + 1 < argc) {
            options.builds = std::stoi(argv[++i]);
        } else if (arg == "--store-paths" && i + 1 < argc) {
            options.storePaths = std::stoi(argv[++i]);
        } else if (arg == "--builder" && i + 1 < argc) {
            options.builder.assign(argv + i + 1, argv + argc);
            break;
        } else {
            throw purist::UsageError("usage: sandbox_bench [--mode strict|off|plain] [--builds N] "
                                     "[--store-paths N] [--builder PATH ARGS...]");
        }
    }
    if (options.mode != "strict" && options.mode != "off" && options.mode != "plain")
        throw purist::UsageError("unknown mode '" + options.mode + "'");
    return options;
}

void runPlain(const std::vector<std::string>& builder) {
    std::vector<char*> argv;
    for (const auto& a : builder)
        argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    pid_t pid = ::fork();
    if (pid == -1) throw purist::SysError("fork");
    if (pid == 0) {
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    int status = 0;
    if (::waitpid(pid, &status, 0) == -1) throw purist::SysError("waitpid");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        throw purist::BuildError("the builder failed");
}

// The base name of the bench's i-th store path: a valid hash part and a name.
std::string storeBaseName(int i) {
    std::string hash(32, '0');
    std::string digits = std::to_string(i);
    hash.replace(32 - digits.size(), digits.size(), digits);
    return hash + "-input";
}

void makeStorePaths(const Options& options, const std::string& scratch) {
    std::filesystem::create_directories(scratch + "/real-store");
    for (int i = 0; i < options.storePaths; ++i)
        std::filesystem::create_directories(scratch + "/real-store/" + storeBaseName(i) + "/bin");
}

void runSandboxed(const Options& options, const std::string& scratch, int index) {
    // One root mount point for every build, as purist build uses.
    std::string root = scratch + "/root";
    std::string build = scratch + "/build-" + std::to_string(index);
    std::string out = scratch + "/out-" + std::to_string(index);
    if ((::mkdir(root.c_str(), 0755) == -1 && errno != EEXIST) ||
        ::mkdir(build.c_str(), 0755) == -1 || ::mkdir(out.c_str(), 0755) == -1)
        throw purist::SysError("creating the directories of build " + std::to_string(index));
    SandboxConfig config;
    config.isolate = options.mode == "strict";
    config.builder = options.builder[0];
    config.args.assign(options.builder.begin() + 1, options.builder.end());
    config.env = {{"PATH", "/path-not-set"}, {"HOME", "/homeless-shelter"}};
    config.sandboxRoot = root;
    config.storeDir = scratch + "/store";
    config.outputDir = out;
    config.buildDir = build;
    for (const char* path : {"/bin", "/lib", "/lib64", "/usr"})
        config.mounts.push_back({path, path, true, true});
    config.realStoreDir = scratch + "/real-store";
    for (int i = 0; i < options.storePaths; ++i)
        config.mounts.push_back(
            {storeBaseName(i), config.storeDir + "/" + storeBaseName(i), true, false, true});
    // The limits purist build sets by default (policy/settings.cc): a cgroup for memory and
    // processes, and bounded tmpfs scratch space, /build included.
    config.maxMemory = 2ull << 30;
    config.maxLogSize = 64ull << 20;
    config.buildDirSize = 2ull << 30;
    config.buildDirOnHost = false;
    if (::geteuid() == 0) {
        config.buildUid = 30001;
        config.buildGid = 30000;
    }
    auto result = purist::sandbox::runInSandbox(config);
    if (!result.succeeded())
        throw purist::BuildError("build " + std::to_string(index) + " failed with exit code " +
                                 std::to_string(result.exitCode));
}

// CPU time of this process and every descendant it has waited for, in milliseconds: less
// sensitive than wall time to other load on a shared machine.
double cpuMilliseconds() {
    double total = 0;
    for (int who : {RUSAGE_SELF, RUSAGE_CHILDREN}) {
        rusage usage{};
        ::getrusage(who, &usage);
        for (const timeval& t : {usage.ru_utime, usage.ru_stime})
            total += static_cast<double>(t.tv_sec) * 1000 + static_cast<double>(t.tv_usec) / 1000;
    }
    return total;
}

// CPU time of the sandbox's helper (purist-sandbox, a child of this process that forks
// the builds rather than this process), with that of every build process it has reaped,
// in milliseconds, from /proc.
double helperMilliseconds() {
    double total = 0;
    const double perTick = 1000.0 / static_cast<double>(::sysconf(_SC_CLK_TCK));
    const std::string self = std::to_string(::getpid());
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
        std::string name = entry.path().filename().string();
        if (name.empty() || name[0] < '0' || name[0] > '9') continue;
        std::ifstream in(entry.path() / "stat");
        std::string line;
        if (!std::getline(in, line)) continue;
        // "pid (comm) state ppid ...": fields after the comm, which may hold anything.
        std::istringstream fields(line.substr(line.rfind(')') + 2));
        std::vector<std::string> f{std::istream_iterator<std::string>(fields), {}};
        if (f.size() < 15 || f[1] != self) continue; // f[1]: ppid; f[11..14]: times
        for (size_t i = 11; i <= 14; ++i)
            total += std::stod(f[i]) * perTick;
    }
    return total;
}

} // namespace

int main(int argc, char** argv) {
    try {
        Options options = parse(argc, argv);
        purist::TempDir scratch("purist-sandbox-bench-");
        ::chmod(scratch.path().c_str(), 0755);
        std::vector<double> times;
        makeStorePaths(options, scratch.path());
        // The helper starts outside the timed builds, as at the start of `purist build`.
        if (options.mode != "plain") purist::sandbox::prepareSandbox();
        double cpuStart = cpuMilliseconds() + helperMilliseconds();
        for (int i = 0; i < options.builds; ++i) {
            auto start = Clock::now();
            if (options.mode == "plain") {
                runPlain(options.builder);
            } else {
                runSandboxed(options, scratch.path(), i);
            }
            times.push_back(
                std::chrono::duration<double, std::milli>(Clock::now() - start).count());
        }
        double cpuPerBuild = (cpuMilliseconds() + helperMilliseconds() - cpuStart) / options.builds;
        std::vector<double> sorted = times;
        std::sort(sorted.begin(), sorted.end());
        double median = sorted.size() % 2
                            ? sorted[sorted.size() / 2]
                            : (sorted[sorted.size() / 2 - 1] + sorted[sorted.size() / 2]) / 2;
        double mean = std::accumulate(times.begin(), times.end(), 0.0) / times.size();
        std::printf("mode=%s builds=%d median_ms=%.3f mean_ms=%.3f min_ms=%.3f max_ms=%.3f "
                    "cpu_ms_per_build=%.3f\n",
                    options.mode.c_str(), options.builds, median, mean, sorted.front(),
                    sorted.back(), cpuPerBuild);
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "sandbox_bench: %s\n", e.what());
        return 1;
    }
}
