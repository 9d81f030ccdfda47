// store_link_probe: the builder of store_link_escape_test. Linked statically, so that a
// build needs nothing from the host but this one store path: no sandbox-paths at all.
//
// An argument `@var/rest` stands for the environment variable `var` followed by `/rest`
// (`@out` is the build's output). Subcommands:
//
//   link TARGET          makes $out a symlink to TARGET
//   read LINK PATH       prints `readlink LINK: <target or error>` and
//                        `read PATH: ok <contents>` or `read PATH: failed <error>`, then
//                        writes $out
//   send-fd SOCKET TEXT  writes TEXT to $out (a flat fixed-output), connects to the unix
//                        socket SOCKET (a path, or @@name for an abstract one), sends it a
//                        writable descriptor of $out with SCM_RIGHTS, waits for one byte
//                        back; prints `send-fd: sent` or `send-fd: failed <step> <error>`
//                        (and still exits 0, so the build registers)
//
// Every subcommand exits 0 unless its usage is wrong (2) or $out cannot be written (1).

#include <cerrno>
#include <climits>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace {

std::string expand(const std::string& arg) {
    if (arg.empty() || arg[0] != '@' || arg.rfind("@@", 0) == 0) return arg;
    size_t slash = arg.find('/');
    std::string var = arg.substr(1, slash == std::string::npos ? std::string::npos : slash - 1);
    const char* value = std::getenv(var.c_str());
    return std::string(value ? value : "") +
           (slash == std::string::npos ? std::string() : arg.substr(slash));
}

std::string errorText() {
    return std::strerror(errno);
}

void writeOut(const std::string& text) {
    std::string out = expand("@out");
    FILE* f = std::fopen(out.c_str(), "w");
    if (!f || std::fputs(text.c_str(), f) < 0 || std::fclose(f) != 0) {
        std::printf("cannot write %s: %s\n", out.c_str(), errorText().c_str());
        std::exit(1);
    }
}

int readPath(const std::string& link, const std::string& shown, const std::string& path) {
    char target[PATH_MAX];
    ssize_t n = ::readlink(expand(link).c_str(), target, sizeof target - 1);
    std::printf("readlink %s: %s\n", link.c_str(),
                n >= 0 ? std::string(target, static_cast<size_t>(n)).c_str() : errorText().c_str());
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd == -1) {
        std::printf("read %s: failed %s\n", shown.c_str(), errorText().c_str());
    } else {
        char buffer[4096];
        ssize_t got = ::read(fd, buffer, sizeof buffer - 1);
        std::string text = got >= 0 ? std::string(buffer, static_cast<size_t>(got)) : "";
        for (char& c : text)
            if (c == '\n') c = ' ';
        if (got < 0) {
            std::printf("read %s: failed %s\n", shown.c_str(), errorText().c_str());
        } else {
            std::printf("read %s: ok %s\n", shown.c_str(), text.c_str());
        }
        ::close(fd);
    }
    std::fflush(stdout);
    writeOut("read\n");
    return 0;
}

int failSend(const char* step) {
    std::printf("send-fd: failed %s %s\n", step, errorText().c_str());
    return 0;
}

int sendFd(const std::string& socketPath, const std::string& text) {
    std::string out = expand("@out");
    int file = ::open(out.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (file == -1 ||
        ::write(file, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
        std::printf("cannot write %s: %s\n", out.c_str(), errorText().c_str());
        return 1;
    }
    int sock = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (sock == -1) return failSend("socket");
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    socklen_t length;
    if (socketPath.rfind("@@", 0) == 0) {
        std::string name = socketPath.substr(2);
        std::memcpy(address.sun_path + 1, name.data(), name.size());
        length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
    } else {
        std::memcpy(address.sun_path, socketPath.data(), socketPath.size());
        length = sizeof address;
    }
    if (::connect(sock, reinterpret_cast<sockaddr*>(&address), length) == -1)
        return failSend("connect");
    char byte = 'f';
    iovec iov{&byte, 1};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    msghdr message{};
    message.msg_iov = &iov;
    message.msg_iovlen = 1;
    message.msg_control = control;
    message.msg_controllen = sizeof control;
    cmsghdr* header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_RIGHTS;
    header->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(header), &file, sizeof file);
    if (::sendmsg(sock, &message, 0) != 1) return failSend("sendmsg");
    if (::read(sock, &byte, 1) != 1) return failSend("waiting for the receiver");
    std::printf("send-fd: sent\n");
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    std::string command = argc > 1 ? argv[1] : "";
    if (command == "link" && argc == 3) {
        std::string out = expand("@out");
        if (::symlink(argv[2], out.c_str()) == -1) {
            std::printf("cannot make %s a symlink: %s\n", out.c_str(), errorText().c_str());
            return 1;
        }
        return 0;
    }
    if (command == "read" && argc == 4) return readPath(argv[2], argv[3], expand(argv[3]));
    if (command == "send-fd" && argc == 4) return sendFd(expand(argv[2]), argv[3]);
    std::fprintf(stderr,
                 "usage: store_link_probe link TARGET | read LINK PATH | send-fd SOCKET TEXT\n");
    return 2;
}
