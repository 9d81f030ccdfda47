#pragma once
// Helpers every suite shares: skipping honestly, running the purist binary, scratch trees.

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace purist::testing {

/// True when the suite runs under CI (CI=true), where nothing may be skipped.
bool underCi();

/// Skips the current test with `reason` outside CI; under CI=true fails it instead, so a
/// missing capability in CI is a red build, not a silent skip. Use as
/// `if (!haveX) { PURIST_SKIP_OUTSIDE_CI("needs X"); }`.
#define PURIST_SKIP_OUTSIDE_CI(reason)                                                             \
    do {                                                                                           \
        if (::purist::testing::underCi()) {                                                        \
            FAIL() << "required under CI=true: " << (reason);                                      \
        } else {                                                                                   \
            GTEST_SKIP() << (reason);                                                              \
        }                                                                                          \
    } while (0)

/// The result of running a program to completion.
struct RunResult {
    int exitCode = -1; ///< the exit status, or 128 + signal
    std::string out;
    std::string err;
};

/// A uid and gid to run a program as.
struct Credentials {
    uid_t uid;
    gid_t gid;
};

/// The unprivileged user that attacks are also tried as (nobody:nogroup, 65534): purist then
/// isolates with a user namespace instead of build users. Files it must reach (a store
/// root, sources) must be made accessible to it by the test.
Credentials unprivilegedUser();

/// Runs `argv` (argv[0] found on PATH unless it has a slash) with `input` on stdin and
/// optional extra environment entries `NAME=value`; as `as` (no supplementary groups) when
/// given, which needs root. Throws on fork/exec plumbing errors.
RunResult runProgram(const std::vector<std::string>& argv, const std::string& input = "",
                     const std::vector<std::string>& extraEnv = {},
                     std::optional<Credentials> as = std::nullopt);

/// Runs the purist binary under test with `args`.
RunResult runPurist(const std::vector<std::string>& args, const std::string& input = "",
                    const std::vector<std::string>& extraEnv = {});

/// Runs the purist binary under test as `as`: a copy of `purist` and `purist-sandbox` in a
/// directory every user can reach (the build tree may sit below a 0700 home), made once per
/// test process. Needs root.
RunResult runPuristAs(const Credentials& as, const std::vector<std::string>& args,
                      const std::string& input = "", const std::vector<std::string>& extraEnv = {});

/// Golden-file testing: with PURIST_TEST_ACCEPT=1 (exactly "1"), writes `actual` to `path`
/// and compares nothing, so that the diff is reviewed instead (as Nix's characterisation
/// tests do); otherwise expects the file to hold `actual`, naming `path` and how to
/// regenerate it when it does not.
void expectGoldenFile(const std::string& path, const std::string& actual);

/// The names in `dir`, in no particular order; none when it is missing or unreadable.
std::vector<std::string> listDir(const std::string& dir);

/// True if `program` is on PATH.
bool haveProgram(const std::string& program);

/// `nix-build` into the chroot store `store` (Nix's `--store DIR`: paths under
/// DIR/nix/store), as root without build users, sandboxed with only the host's /bin, /lib
/// and /usr, and offline (no substituters: without that every build waits on the network).
/// Append the expression file and `-A attr`s.
std::vector<std::string> nixBuildCommand(const std::string& store);

/// Why strict builds cannot run here, or empty if they can: as root they need the
/// purist-build group (scripts/create-build-users.sh), otherwise unprivileged user namespaces.
std::string whyNoStrictBuilds();

/// Creates parent directories and a file with `contents` and `mode`.
void makeFile(const std::string& path, const std::string& contents, unsigned mode = 0644);

} // namespace purist::testing
