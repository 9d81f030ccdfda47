#pragma once
// What purist and its sandbox helper (purist-sandbox, sandbox/launcher.h) say to each other
// over their socket. Internal to sandbox/.

#include "base/error.h"
#include "base/file_descriptor.h"
#include "sandbox/sandbox.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace purist::sandbox {

/// The descriptors of one request, in ChildPipes order, passed as SCM_RIGHTS.
constexpr size_t kPipeCount = 4;
/// Where the helper finds its end of the socket: purist puts it there before the exec.
constexpr int kLauncherSocketFd = 3;

/// A failed step of the launcher, as the SandboxError that names it.
SandboxError launcherFailure(const std::string& step, int errorNumber = errno);

/// The first byte of a request: start a build's intermediate (the config follows, and the
/// four descriptors), or probe whether namespaces can be created (answered with one
/// message: a byte, 1 or 0, then why not, as text).
constexpr char kLaunchRequest = 'L';
constexpr char kProbeRequest = 'P';

/// The fields of SandboxConfig the intermediate and the builder use, as bytes and back.
std::string encodeConfig(const SandboxConfig& config);
/// Throws SandboxError for bytes encodeConfig did not make.
SandboxConfig decodeConfig(std::string_view bytes);

/// Sends one message: a 32-bit length, `payload`, and `fds` (SCM_RIGHTS) with its first
/// byte. A dead peer is a SysError (EPIPE), never SIGPIPE.
void sendMessage(int socket, const std::string& payload, const int* fds, size_t fdCount);

/// Receives one message and up to `maxFds` descriptors (owned by the caller afterwards, in
/// `fds`). Returns nullopt at end of file before the first byte. Throws SysError or
/// SandboxError on a broken or malformed message.
std::optional<std::string> receiveMessage(int socket, std::vector<FileDescriptor>& fds,
                                          size_t maxFds);

/// The helper's main loop on `socket`: serves every request by forking the intermediate
/// (runIntermediate), reaps them, and ends the process when the socket does.
[[noreturn]] void runLauncher(int socket);

} // namespace purist::sandbox
