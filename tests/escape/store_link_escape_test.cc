// Store paths are data, never a route; a registered output cannot be changed afterwards.
// Issue 9, doors 1 and 2, tried for real through the purist binary in strict mode, as root
// with build users and as an unprivileged user (nobody, with a user namespace and a store
// root of its own).
//
// Door 1: a build makes its output a symlink (to a file in a root-only directory, to
// /etc, to `..`), or a spec's source is one; a second build takes it as an input and
// reads through it. The input must appear in the second sandbox as the same symlink,
// resolved inside the sandbox, where the host's file is not.
//
// Door 2: a build passes a writable descriptor of its output to a cooperating host
// process over a unix socket; after registration the host process writes through it.
// `purist store verify` must still find the registered path intact.
//
// Every build's builder is store_link_probe, a static binary added to the store, so the
// builds need no sandbox-paths: only the store paths they name are in their sandbox.

#include "base/error.h"
#include "base/file_descriptor.h"
#include "base/temp_dir.h"
#include "tests/support/test_support.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstring>
#include <filesystem>
#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <thread>
#include <unistd.h>

namespace purist::testing {
namespace {

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

std::string trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' '))
        s.pop_back();
    return s;
}

// The SRI hash of the 5 bytes "fixed", the fixed-output builds' content.
constexpr char kFixedHash[] = "sha256-mSqTRVxx/t02rJu8Q5lSwEHPYURZWEcq9Hkmm42HNRM=";

// A unix socket the host listens on, and a thread that accepts one connection, takes the
// descriptor it carries (SCM_RIGHTS) and answers one byte. The descriptor is the door-2
// attacker's: the test writes through it after the build has registered its output.
class DescriptorCatcher {
public:
    // `path` for a socket in the file system, else an abstract socket named `abstract`.
    DescriptorCatcher(const std::string& path, const std::string& abstract) {
        int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd == -1) throw SysError("socket(AF_UNIX)");
        listener_ = FileDescriptor(fd);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        socklen_t length = sizeof address;
        if (!path.empty()) {
            std::memcpy(address.sun_path, path.data(), path.size());
        } else {
            std::memcpy(address.sun_path + 1, abstract.data(), abstract.size());
            length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + abstract.size());
        }
        if (::bind(fd, reinterpret_cast<sockaddr*>(&address), length) == -1 ||
            ::listen(fd, 4) == -1)
            throw SysError("listening on a unix socket");
        // The builder runs as a build user, or as nobody's mapped uid: it must be able to
        // connect.
        if (!path.empty() && ::chmod(path.c_str(), 0777) == -1) throw SysError("chmod " + path);
        thread_ = std::thread([this] { catchOne(); });
    }
    ~DescriptorCatcher() {
        ::shutdown(listener_.get(), SHUT_RDWR);
        if (thread_.joinable()) thread_.join();
    }
    DescriptorCatcher(const DescriptorCatcher&) = delete;
    DescriptorCatcher& operator=(const DescriptorCatcher&) = delete;

    /// The descriptor received, once the build that sent it is over; -1 if none came.
    int caught() {
        ::shutdown(listener_.get(), SHUT_RDWR);
        if (thread_.joinable()) thread_.join();
        return caught_.get();
    }

private:
    void catchOne() {
        int connection = ::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC);
        if (connection == -1) return;
        FileDescriptor owned(connection);
        char byte;
        iovec iov{&byte, 1};
        alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
        msghdr message{};
        message.msg_iov = &iov;
        message.msg_iovlen = 1;
        message.msg_control = control;
        message.msg_controllen = sizeof control;
        if (::recvmsg(connection, &message, MSG_CMSG_CLOEXEC) != 1) return;
        cmsghdr* header = CMSG_FIRSTHDR(&message);
        if (!header || header->cmsg_type != SCM_RIGHTS) return;
        int fd;
        std::memcpy(&fd, CMSG_DATA(header), sizeof fd);
        caught_ = FileDescriptor(fd);
        (void)!::write(connection, "k", 1);
    }

    FileDescriptor listener_;
    FileDescriptor caught_;
    std::thread thread_;
};

enum class Attacker { Root, Unprivileged };

std::string attackerName(const ::testing::TestParamInfo<Attacker>& info) {
    return info.param == Attacker::Root ? "AsRootWithBuildUsers" : "AsUnprivilegedUser";
}

class StoreLinkEscapeTest : public ::testing::TestWithParam<Attacker> {
protected:
    void SetUp() override {
        if (::geteuid() != 0) {
            PURIST_SKIP_OUTSIDE_CI("the attacks run as root with build users and as nobody, "
                                   "which needs root to switch to");
            return;
        }
        if (GetParam() == Attacker::Root && !::getgrnam("purist-build")) {
            PURIST_SKIP_OUTSIDE_CI("needs the purist-build group (scripts/create-build-users.sh)");
            return;
        }
        if (GetParam() == Attacker::Unprivileged &&
            runProgram({"unshare", "-Ur", "true"}, "", {}, unprivilegedUser()).exitCode != 0) {
            PURIST_SKIP_OUTSIDE_CI("needs unprivileged user namespaces");
            return;
        }
        dir_.emplace("store-link-escape-");
        const std::string& d = dir_->path();
        std::filesystem::permissions(d, std::filesystem::perms(0755));
        root_ = d + "/root";
        writeConfig({});
        std::filesystem::copy_file(PURIST_STORE_LINK_PROBE, d + "/store_link_probe");
        giveToAttacker(d);
        giveToAttacker(d + "/store_link_probe");
        probe_ = addToStore(d + "/store_link_probe");
    }

    bool unprivileged() const { return GetParam() == Attacker::Unprivileged; }

    // Files the unprivileged attacker's purist must own: its store root and its inputs.
    void giveToAttacker(const std::string& path) {
        if (!unprivileged()) return;
        Credentials as = unprivilegedUser();
        if (::lchown(path.c_str(), as.uid, as.gid) == -1) throw SysError("chown " + path);
    }

    RunResult purist(std::vector<std::string> args) {
        args.insert(args.begin(), {"--root", root_});
        return unprivileged() ? runPuristAs(unprivilegedUser(), args) : runPurist(args);
    }

    std::string addToStore(const std::string& path) {
        RunResult added = purist({"store", "add", path});
        EXPECT_EQ(added.exitCode, 0) << added.err;
        return trim(added.out);
    }

    void writeConfig(const std::vector<std::string>& sandboxPaths) {
        std::string text = "sandbox: strict\ntimeout: 60\n";
        if (!sandboxPaths.empty()) {
            text += "sandbox-paths:\n";
            for (const auto& p : sandboxPaths)
                text += "  - " + p + "\n";
        }
        makeFile(dir_->path() + "/purist.yaml", text);
    }

    std::string spec(const std::string& name, const std::string& text) {
        std::string path = dir_->path() + "/" + name;
        makeFile(path, text);
        giveToAttacker(path);
        return path;
    }

    RunResult build(const std::string& specFile) {
        return purist(
            {"build", "--config", dir_->path() + "/purist.yaml", "--no-out-link", specFile});
    }

    // A build whose output is a symlink to `target`, and a second build that takes it as
    // the input `victim` and reads `victim + suffix`. Returns the second build's run.
    RunResult readThroughLinkOutput(const std::string& target, const std::string& suffix) {
        spec("link.yaml", "name: link\nbuilder: " + probe_ + "\nargs: [link, '" + target +
                              "']\ninputs: [" + probe_ + "]\n");
        std::string reader =
            spec("reader.yaml", "name: reader\nbuilder: " + probe_ +
                                    "\nargs: [read, '@victim', '@victim" + suffix +
                                    "']\ninputs: {victim: link.yaml, probe: " + probe_ + "}\n");
        return build(reader);
    }

    // What every door-1 case asserts: the second build ran, saw its input as the symlink
    // the first build made, and found nothing at its target inside the sandbox.
    void expectLinkNotFollowed(const RunResult& run, const std::string& shown,
                               const std::string& linkTarget, const std::string& secret) {
        EXPECT_EQ(run.exitCode, 0) << run.err;
        EXPECT_TRUE(contains(run.err, "readlink @victim: " + linkTarget)) << run.err;
        EXPECT_TRUE(contains(run.err, "read " + shown + ": failed No such file or directory"))
            << run.err;
        EXPECT_FALSE(contains(run.err, ": ok ")) << run.err;
        EXPECT_FALSE(contains(run.err, secret)) << run.err;
    }

    std::optional<TempDir> dir_;
    std::string root_, probe_;
};

// (a) A file in a root-only 0700 directory: bind-mounted, a build user (or nobody) would
// read what the directory keeps from it.
TEST_P(StoreLinkEscapeTest, OutputLinkToRootOnlyFileIsNotFollowed) {
    std::string secretDir = dir_->path() + "/root-only";
    makeFile(secretDir + "/secret", "root-only-secret\n", 0644);
    ASSERT_EQ(::chmod(secretDir.c_str(), 0700), 0);
    RunResult run = readThroughLinkOutput(secretDir + "/secret", "");
    expectLinkNotFollowed(run, "@victim", secretDir + "/secret", "root-only-secret");
}

// A world-readable regular file in the host's /etc that the sandbox's own /etc (passwd,
// group, hosts, resolv.conf) does not have.
std::string hostEtcFile() {
    for (const char* name : {"debian_version", "issue", "hostname", "machine-id", "fstab"}) {
        struct stat st {};
        std::string path = std::string("/etc/") + name;
        if (::lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & S_IROTH) &&
            st.st_size > 0)
            return name;
    }
    return "";
}

// (b) The host's /etc.
TEST_P(StoreLinkEscapeTest, OutputLinkToEtcIsNotFollowed) {
    std::string name = hostEtcFile();
    ASSERT_FALSE(name.empty()) << "the host needs a readable file in /etc such as /etc/issue";
    RunResult run = readThroughLinkOutput("/etc", "/" + name);
    expectLinkNotFollowed(run, "@victim/" + name, "/etc", "read @victim/" + name + ": ok");
}

// (c) `..`: from a path in the store dir, the store root, with the store dir (a path
// outside the closure is reachable by name) and the DB.
TEST_P(StoreLinkEscapeTest, OutputLinkToStoreDirIsNotFollowed) {
    std::string secretFile = dir_->path() + "/not-in-closure";
    makeFile(secretFile, "store-secret-outside-the-closure\n");
    giveToAttacker(secretFile);
    std::string secret = addToStore(secretFile);
    std::string secretBase = secret.substr(secret.rfind('/') + 1);
    RunResult run = readThroughLinkOutput("..", "/store/" + secretBase);
    expectLinkNotFollowed(run, "@victim/store/" + secretBase, "..", "store-secret-outside");
}

// A spec's source that is a symlink is stored as a symlink, and mounted as one.
TEST_P(StoreLinkEscapeTest, SourceLinkToEtcIsNotFollowed) {
    std::string name = hostEtcFile();
    ASSERT_FALSE(name.empty()) << "the host needs a readable file in /etc such as /etc/issue";
    std::string link = dir_->path() + "/etc-link";
    ASSERT_EQ(::symlink("/etc", link.c_str()), 0);
    giveToAttacker(link);
    std::string reader = spec("reader.yaml", "name: reader\nbuilder: " + probe_ +
                                                 "\nargs: [read, '@victim', '@victim/" + name +
                                                 "']\n"
                                                 "sources: {victim: ./etc-link}\ninputs: [" +
                                                 probe_ + "]\n");
    RunResult run = build(reader);
    expectLinkNotFollowed(run, "@victim/" + name, "/etc", "read @victim/" + name + ": ok");
}

// A sandbox-paths entry below a store path is opened beneath the store dir too: a store
// path on its way that is a symlink stops the build instead of leading to the host's
// file.
TEST_P(StoreLinkEscapeTest, SandboxPathThroughStoreLinkIsRefused) {
    std::string name = hostEtcFile();
    ASSERT_FALSE(name.empty()) << "the host needs a readable file in /etc such as /etc/issue";
    std::string link = spec("link.yaml", "name: link\nbuilder: " + probe_ +
                                             "\nargs: [link, /etc]\ninputs: [" + probe_ + "]\n");
    RunResult built = build(link);
    ASSERT_EQ(built.exitCode, 0) << built.err;
    std::string linkPath = trim(built.out);
    writeConfig({"/victim=" + linkPath + "/" + name});
    std::string reader =
        spec("reader.yaml", "name: reader\nbuilder: " + probe_ +
                                "\nargs: [read, /victim, /victim]\ninputs: [" + probe_ + "]\n");
    RunResult run = build(reader);
    EXPECT_EQ(run.exitCode, 4) << run.err;
    EXPECT_TRUE(contains(run.err, "opening '" + linkPath + "/" + name +
                                      "': a component of its path is a symlink"))
        << run.err;
    EXPECT_FALSE(contains(run.err, ": ok ")) << run.err;
}

// Door 2: the build hands a host process a writable descriptor of its output, then the
// host process writes through it after registration.
class OutputDescriptorTest : public StoreLinkEscapeTest {
protected:
    // A socket directory the host listens in, exposed to builds as /hostsock.
    std::string exposeSocketDir() {
        std::string sockets = dir_->path() + "/sockets";
        std::filesystem::create_directory(sockets);
        giveToAttacker(sockets);
        writeConfig({"/hostsock=" + sockets});
        return sockets + "/s";
    }

    // Runs `specFile`, whose builder sends its output's descriptor to `catcher`; then
    // writes through the descriptor and checks that the registered output is unchanged.
    void expectRegisteredOutputSealed(const std::string& specFile, DescriptorCatcher& catcher) {
        RunResult run = build(specFile);
        ASSERT_EQ(run.exitCode, 0) << run.err;
        // The attack's first half worked: a host process holds a writable descriptor of
        // what the build wrote as its output.
        ASSERT_TRUE(contains(run.err, "send-fd: sent")) << run.err;
        int fd = catcher.caught();
        ASSERT_GE(fd, 0);
        std::string output = trim(run.out);
        ASSERT_EQ(::pwrite(fd, "EVIL!", 5, 0), 5) << std::strerror(errno);

        EXPECT_EQ(readFile(output), "fixed") << output << " changed after registration";
        RunResult verify = purist({"store", "verify", output});
        EXPECT_EQ(verify.exitCode, 0) << verify.out << verify.err;
        EXPECT_FALSE(contains(verify.out, "NAR hash")) << verify.out;
    }
};

TEST_P(OutputDescriptorTest, FixedOutputCannotBeChangedThroughAPassedDescriptor) {
    std::string socket = exposeSocketDir();
    DescriptorCatcher catcher(socket, "");
    std::string fetch =
        spec("fetch.yaml", "name: fetched\nbuilder: " + probe_ +
                               "\nargs: [send-fd, /hostsock/s, fixed]\ninputs: [" + probe_ +
                               "]\nfixed-output: {hash: '" + kFixedHash + "', mode: flat}\n");
    expectRegisteredOutputSealed(fetch, catcher);
}

// A sandbox-paths entry is a host directory that may hold sockets: builds that have one
// are sealed the same way.
TEST_P(OutputDescriptorTest, OutputWithHostSandboxPathCannotBeChanged) {
    std::string socket = exposeSocketDir();
    DescriptorCatcher catcher(socket, "");
    std::string plain =
        spec("plain.yaml", "name: plain\nbuilder: " + probe_ +
                               "\nargs: [send-fd, /hostsock/s, fixed]\ninputs: [" + probe_ + "]\n");
    expectRegisteredOutputSealed(plain, catcher);
}

// An unsandboxed build (relaxed mode, `no-sandbox: true`) runs on the host and reaches
// any socket: its outputs, written straight into the store dir, are sealed the same way.
TEST_P(OutputDescriptorTest, UnsandboxedOutputCannotBeChanged) {
    std::string sockets = dir_->path() + "/sockets";
    std::filesystem::create_directory(sockets);
    giveToAttacker(sockets);
    makeFile(dir_->path() + "/purist.yaml", "sandbox: relaxed\ntimeout: 60\n");
    DescriptorCatcher catcher(sockets + "/s", "");
    std::string plain =
        spec("plain.yaml", "name: plain\nbuilder: " + probe_ + "\nargs: [send-fd, '" + sockets +
                               "/s', fixed]\nno-sandbox: true\n");
    expectRegisteredOutputSealed(plain, catcher);
}

// Why an ordinary build with only store paths in its sandbox needs no copy: it has no
// channel to a host process that could carry a descriptor. Its network namespace holds
// none of the host's abstract sockets, and no host path (a socket above all) is mounted.
TEST_P(OutputDescriptorTest, BuildWithoutHostPathsHasNoDescriptorChannel) {
    std::string sockets = dir_->path() + "/sockets";
    std::filesystem::create_directory(sockets);
    giveToAttacker(sockets);
    DescriptorCatcher byPath(sockets + "/s", "");
    std::string abstract = "purist-store-link-" + std::to_string(::getpid());
    DescriptorCatcher byName("", abstract);
    std::string viaPath =
        spec("via-path.yaml", "name: via-path\nbuilder: " + probe_ + "\nargs: [send-fd, '" +
                                  sockets + "/s', fixed]\ninputs: [" + probe_ + "]\n");
    RunResult run = build(viaPath);
    EXPECT_EQ(run.exitCode, 0) << run.err;
    EXPECT_TRUE(contains(run.err, "send-fd: failed connect No such file or directory")) << run.err;
    std::string viaName =
        spec("via-name.yaml", "name: via-name\nbuilder: " + probe_ + "\nargs: [send-fd, '@@" +
                                  abstract + "', fixed]\ninputs: [" + probe_ + "]\n");
    run = build(viaName);
    EXPECT_EQ(run.exitCode, 0) << run.err;
    EXPECT_TRUE(contains(run.err, "send-fd: failed connect Connection refused")) << run.err;
    EXPECT_EQ(byPath.caught(), -1);
    EXPECT_EQ(byName.caught(), -1);
}

// The same reason needs door 1 closed: an input that is a symlink to a host socket was
// bind-mounted, socket and all, and gave a build with no host path a channel out.
TEST_P(OutputDescriptorTest, InputLinkToHostSocketIsNoChannel) {
    std::string sockets = dir_->path() + "/sockets";
    std::filesystem::create_directory(sockets);
    giveToAttacker(sockets);
    DescriptorCatcher catcher(sockets + "/s", "");
    spec("link.yaml", "name: link\nbuilder: " + probe_ + "\nargs: [link, '" + sockets +
                          "/s']\ninputs: [" + probe_ + "]\n");
    std::string sender = spec("sender.yaml", "name: sender\nbuilder: " + probe_ +
                                                 "\nargs: [send-fd, '@victim', fixed]\n"
                                                 "inputs: {victim: link.yaml, probe: " +
                                                 probe_ + "}\n");
    RunResult run = build(sender);
    EXPECT_EQ(run.exitCode, 0) << run.err;
    EXPECT_TRUE(contains(run.err, "send-fd: failed connect No such file or directory")) << run.err;
    EXPECT_EQ(catcher.caught(), -1);
}

INSTANTIATE_TEST_SUITE_P(Attackers, StoreLinkEscapeTest,
                         ::testing::Values(Attacker::Root, Attacker::Unprivileged), attackerName);
INSTANTIATE_TEST_SUITE_P(Attackers, OutputDescriptorTest,
                         ::testing::Values(Attacker::Root, Attacker::Unprivileged), attackerName);

} // namespace
} // namespace purist::testing
