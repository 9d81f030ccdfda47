#include "sandbox/launcher_protocol.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sys/socket.h>

namespace purist::sandbox {
namespace {

// A request larger than this is refused: a corrupt length, not a config.
constexpr uint32_t kMaxRequest = 64u << 20;

// ---- The request: the fields of SandboxConfig the intermediate and builder use. ----

class Encoder {
public:
    void u8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
    void u32(uint32_t v) { out_.append(reinterpret_cast<const char*>(&v), sizeof v); }
    void u64(uint64_t v) { out_.append(reinterpret_cast<const char*>(&v), sizeof v); }
    void str(const std::string& s) {
        u32(static_cast<uint32_t>(s.size()));
        out_.append(s);
    }
    std::string take() { return std::move(out_); }

private:
    std::string out_;
};

class Decoder {
public:
    explicit Decoder(std::string_view in) : in_(in) {}
    uint8_t u8() { return static_cast<uint8_t>(bytes(1)[0]); }
    uint32_t u32() { return fixed<uint32_t>(); }
    uint64_t u64() { return fixed<uint64_t>(); }
    std::string str() { return std::string(bytes(u32())); }
    void finish() const {
        if (!in_.empty()) throw SandboxError("sandbox launcher: trailing bytes in a request");
    }

private:
    template <typename T> T fixed() {
        T v;
        std::memcpy(&v, bytes(sizeof v).data(), sizeof v);
        return v;
    }
    std::string_view bytes(size_t n) {
        if (n > in_.size()) throw SandboxError("sandbox launcher: truncated request");
        std::string_view out = in_.substr(0, n);
        in_.remove_prefix(n);
        return out;
    }
    std::string_view in_;
};

} // namespace

std::string encodeConfig(const SandboxConfig& c) {
    Encoder e;
    e.u8(c.isolate);
    e.u8(c.hostNetwork);
    e.str(c.builder);
    e.u32(static_cast<uint32_t>(c.args.size()));
    for (const auto& arg : c.args)
        e.str(arg);
    e.u32(static_cast<uint32_t>(c.env.size()));
    for (const auto& [name, value] : c.env) {
        e.str(name);
        e.str(value);
    }
    e.str(c.sandboxRoot);
    e.str(c.storeDir);
    e.str(c.realStoreDir);
    e.str(c.outputDir);
    e.str(c.buildDir);
    e.u32(static_cast<uint32_t>(c.mounts.size()));
    for (const auto& m : c.mounts) {
        e.str(m.source);
        e.str(m.target);
        e.u8(m.readOnly);
        e.u8(m.optional);
        e.u8(m.fromStore);
    }
    e.u8(c.buildUid.has_value());
    e.u32(c.buildUid.value_or(0));
    e.u32(c.buildGid.value_or(0));
    e.u64(c.maxProcesses);
    e.u32(static_cast<uint32_t>(c.allowedSyscalls.size()));
    for (const auto& name : c.allowedSyscalls)
        e.str(name);
    e.u64(c.buildDirSize);
    e.u8(c.buildDirOnHost);
    e.u32(static_cast<uint32_t>(c.cgroupJoin.size()));
    for (const auto& file : c.cgroupJoin)
        e.str(file);
    return e.take();
}

SandboxConfig decodeConfig(std::string_view bytes) {
    Decoder d(bytes);
    SandboxConfig c;
    c.isolate = d.u8();
    c.hostNetwork = d.u8();
    c.builder = d.str();
    for (uint32_t n = d.u32(); n > 0; --n)
        c.args.push_back(d.str());
    for (uint32_t n = d.u32(); n > 0; --n) {
        std::string name = d.str();
        c.env[name] = d.str();
    }
    c.sandboxRoot = d.str();
    c.storeDir = d.str();
    c.realStoreDir = d.str();
    c.outputDir = d.str();
    c.buildDir = d.str();
    for (uint32_t n = d.u32(); n > 0; --n) {
        BindMount m;
        m.source = d.str();
        m.target = d.str();
        m.readOnly = d.u8();
        m.optional = d.u8();
        m.fromStore = d.u8();
        c.mounts.push_back(std::move(m));
    }
    bool hasUser = d.u8();
    uid_t uid = d.u32();
    gid_t gid = d.u32();
    if (hasUser) {
        c.buildUid = uid;
        c.buildGid = gid;
    }
    c.maxProcesses = d.u64();
    for (uint32_t n = d.u32(); n > 0; --n)
        c.allowedSyscalls.push_back(d.str());
    c.buildDirSize = d.u64();
    c.buildDirOnHost = d.u8();
    for (uint32_t n = d.u32(); n > 0; --n)
        c.cgroupJoin.push_back(d.str());
    d.finish();
    return c;
}

// ---- Messages: a 32-bit length, the bytes, and descriptors on the first byte. ----

void sendMessage(int socket, const std::string& payload, const int* fds, size_t fdCount) {
    uint32_t length = static_cast<uint32_t>(payload.size());
    std::string frame(reinterpret_cast<const char*>(&length), sizeof length);
    frame += payload;
    size_t sent = 0;
    while (sent < frame.size()) {
        iovec iov{frame.data() + sent, frame.size() - sent};
        msghdr msg{};
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kPipeCount)];
        if (sent == 0 && fdCount > 0) {
            msg.msg_control = control;
            msg.msg_controllen = CMSG_SPACE(sizeof(int) * fdCount);
            cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
            cmsg->cmsg_level = SOL_SOCKET;
            cmsg->cmsg_type = SCM_RIGHTS;
            cmsg->cmsg_len = CMSG_LEN(sizeof(int) * fdCount);
            std::memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * fdCount);
        }
        ssize_t n = ::sendmsg(socket, &msg, MSG_NOSIGNAL);
        if (n == -1) {
            if (errno == EINTR) continue;
            throw SysError("sending to the sandbox launcher's socket");
        }
        sent += static_cast<size_t>(n);
    }
}

std::optional<std::string> receiveMessage(int socket, std::vector<FileDescriptor>& fds,
                                          size_t maxFds) {
    std::string frame;
    size_t want = sizeof(uint32_t);
    bool haveLength = false;
    while (frame.size() < want) {
        char buffer[65536];
        iovec iov{buffer, std::min(sizeof buffer, want - frame.size())};
        msghdr msg{};
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kPipeCount)];
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
        ssize_t n = ::recvmsg(socket, &msg, MSG_CMSG_CLOEXEC);
        if (n == -1) {
            if (errno == EINTR) continue;
            throw SysError("reading the sandbox launcher's socket");
        }
        for (cmsghdr* cmsg = CMSG_FIRSTHDR(&msg); cmsg; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
            if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS) continue;
            size_t count = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            for (size_t i = 0; i < count; ++i) {
                int fd;
                std::memcpy(&fd, CMSG_DATA(cmsg) + i * sizeof(int), sizeof fd);
                fds.emplace_back(fd); // owned even when over the limit, so it is closed
            }
        }
        if (fds.size() > maxFds)
            throw SandboxError("sandbox launcher: a message carried too many descriptors");
        if (n == 0) {
            if (frame.empty()) return std::nullopt;
            throw SandboxError("sandbox launcher: the other end closed the socket mid-message");
        }
        frame.append(buffer, static_cast<size_t>(n));
        if (!haveLength && frame.size() == sizeof(uint32_t)) {
            uint32_t length;
            std::memcpy(&length, frame.data(), sizeof length);
            if (length > kMaxRequest)
                throw SandboxError("sandbox launcher: a message of " + std::to_string(length) +
                                   " bytes is too large");
            haveLength = true;
            want += length;
        }
    }
    return frame.substr(sizeof(uint32_t));
}

SandboxError launcherFailure(const std::string& step, int errorNumber) {
    return SandboxError("sandbox launcher: " + std::string(SysError(errorNumber, step).what()));
}

} // namespace purist::sandbox
