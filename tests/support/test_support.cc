#include "tests/support/test_support.h"

#include "base/error.h"
#include "base/file_descriptor.h"

#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <grp.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace purist::testing {

bool underCi() {
    const char* ci = std::getenv("CI");
    return ci && std::string(ci) == "true";
}

Credentials unprivilegedUser() {
    return {65534, 65534};
}

RunResult runProgram(const std::vector<std::string>& argv, const std::string& input,
                     const std::vector<std::string>& extraEnv, std::optional<Credentials> as) {
    int inPipe[2], outPipe[2], errPipe[2];
    if (::pipe2(inPipe, O_CLOEXEC) || ::pipe2(outPipe, O_CLOEXEC) || ::pipe2(errPipe, O_CLOEXEC))
        throw SysError("creating pipes");
    std::vector<std::string> env;
    for (char** e = environ; *e; ++e)
        env.emplace_back(*e);
    for (const auto& e : extraEnv)
        env.push_back(e);
    std::vector<char*> argvC, envC;
    for (const auto& a : argv)
        argvC.push_back(const_cast<char*>(a.c_str()));
    argvC.push_back(nullptr);
    for (const auto& e : env)
        envC.push_back(const_cast<char*>(e.c_str()));
    envC.push_back(nullptr);

    pid_t pid = ::fork();
    if (pid == -1) throw SysError("fork");
    if (pid == 0) {
        ::dup2(inPipe[0], 0);
        ::dup2(outPipe[1], 1);
        ::dup2(errPipe[1], 2);
        if (as &&
            (::setgroups(0, nullptr) == -1 || ::setgid(as->gid) == -1 || ::setuid(as->uid) == -1)) {
            std::string msg =
                "cannot become " + std::to_string(as->uid) + ": " + std::strerror(errno) + "\n";
            (void)!::write(2, msg.data(), msg.size());
            ::_exit(126);
        }
        ::execvpe(argvC[0], argvC.data(), envC.data());
        std::string msg = "exec " + argv[0] + ": " + std::strerror(errno) + "\n";
        (void)!::write(2, msg.data(), msg.size());
        ::_exit(127);
    }
    ::close(inPipe[0]);
    ::close(outPipe[1]);
    ::close(errPipe[1]);
    FileDescriptor in(inPipe[1]), out(outPipe[0]), err(errPipe[0]);

    RunResult result;
    size_t written = 0;
    if (input.empty()) in.close();
    // Feed stdin and drain both outputs together so neither side can block the other.
    while (out || err) {
        std::vector<pollfd> fds;
        if (in) fds.push_back({in.get(), POLLOUT, 0});
        if (out) fds.push_back({out.get(), POLLIN, 0});
        if (err) fds.push_back({err.get(), POLLIN, 0});
        if (::poll(fds.data(), fds.size(), -1) == -1) {
            if (errno == EINTR) continue;
            throw SysError("poll");
        }
        for (auto& p : fds) {
            if (!p.revents) continue;
            if (in && p.fd == in.get()) {
                ssize_t n = ::write(in.get(), input.data() + written, input.size() - written);
                if (n > 0) written += static_cast<size_t>(n);
                if (n < 0 || written == input.size()) in.close();
                continue;
            }
            char buffer[65536];
            ssize_t n = ::read(p.fd, buffer, sizeof buffer);
            std::string& target = (out && p.fd == out.get()) ? result.out : result.err;
            if (n > 0) {
                target.append(buffer, static_cast<size_t>(n));
            } else if (out && p.fd == out.get()) {
                out.close();
            } else {
                err.close();
            }
        }
    }
    if (in) in.close();
    int status = 0;
    while (::waitpid(pid, &status, 0) == -1)
        if (errno != EINTR) throw SysError("waitpid");
    result.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return result;
}

RunResult runPurist(const std::vector<std::string>& args, const std::string& input,
                    const std::vector<std::string>& extraEnv) {
    std::vector<std::string> argv{PURIST_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    return runProgram(argv, input, extraEnv);
}

RunResult runPuristAs(const Credentials& as, const std::vector<std::string>& args,
                      const std::string& input, const std::vector<std::string>& extraEnv) {
    // Copied once, into a 0755 directory that lives as long as the test process.
    static const std::string binary = [] {
        std::filesystem::path source(PURIST_BINARY);
        auto dir =
            std::filesystem::temp_directory_path() / ("purist-bin-" + std::to_string(::getpid()));
        std::filesystem::create_directories(dir);
        if (::chmod(dir.c_str(), 0755) == -1) throw SysError("chmod '" + dir.string() + "'");
        for (const char* name : {"purist", "purist-sandbox"})
            std::filesystem::copy_file(source.parent_path() / name, dir / name,
                                       std::filesystem::copy_options::overwrite_existing);
        std::atexit([] {
            std::error_code ignored;
            std::filesystem::remove_all(std::filesystem::temp_directory_path() /
                                            ("purist-bin-" + std::to_string(::getpid())),
                                        ignored);
        });
        return (dir / "purist").string();
    }();
    std::vector<std::string> argv{binary};
    argv.insert(argv.end(), args.begin(), args.end());
    return runProgram(argv, input, extraEnv, as);
}

std::string whyNoStrictBuilds() {
    bool ready = ::geteuid() == 0 ? ::getgrnam("purist-build") != nullptr
                                  : runProgram({"unshare", "-Ur", "true"}).exitCode == 0;
    return ready ? ""
                 : "strict builds need root with the purist-build group "
                   "(scripts/create-build-users.sh) or unprivileged user namespaces";
}

void expectGoldenFile(const std::string& path, const std::string& actual) {
    const char* accept = std::getenv("PURIST_TEST_ACCEPT");
    if (accept && std::strcmp(accept, "1") == 0) {
        writeFile(path, actual);
        return;
    }
    std::string expected;
    try {
        expected = readFile(path);
    } catch (const SysError& e) {
        ADD_FAILURE() << e.what() << "; create it with PURIST_TEST_ACCEPT=1 and review it";
        return;
    }
    EXPECT_EQ(expected, actual) << "differs from " << path
                                << "; regenerate with PURIST_TEST_ACCEPT=1 and review the diff";
}

std::vector<std::string> listDir(const std::string& dir) {
    std::vector<std::string> names;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
        names.push_back(entry.path().filename().string());
    return names;
}

std::vector<std::string> nixBuildCommand(const std::string& store) {
    return {"nix-build",    "--store",           store,
            "--option",     "build-users-group", "",
            "--option",     "sandbox",           "true",
            "--option",     "sandbox-paths",     "/bin /lib /lib64? /usr",
            "--option",     "substituters",      "",
            "--no-out-link"};
}

bool haveProgram(const std::string& program) {
    return runProgram({"sh", "-c", "command -v " + program}).exitCode == 0;
}

void makeFile(const std::string& path, const std::string& contents, unsigned mode) {
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    writeFile(path, contents, mode);
    if (::chmod(path.c_str(), mode) == -1) throw SysError("chmod '" + path + "'");
}

} // namespace purist::testing
