#pragma once
// purist's settings: each one declared once (name, type, default, help) in settings.cc's
// table, which feeds loading, `purist config show` and docs/config.md alike.

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace purist::policy {

/// How much a build is isolated from the host (../shared/DESIGN.md, "Sandbox").
enum class SandboxMode {
    Strict,  ///< every build sandboxed; `no-sandbox` specs are refused
    Relaxed, ///< as strict, but `no-sandbox: true` specs run unsandboxed
    Off,     ///< no namespaces: a clean environment and a private build directory only
};

/// "strict", "relaxed", "off".
std::string_view sandboxModeName(SandboxMode mode);

/// One `sandbox-paths` entry: `target=source`, `path` (target = source) or `path?`.
struct SandboxPath {
    std::string target;
    std::string source;
    bool optional = false;
    friend bool operator==(const SandboxPath&, const SandboxPath&) = default;
};

/// Parses one `sandbox-paths` entry; throws ConfigError (with `where`) unless both sides
/// are absolute paths.
SandboxPath parseSandboxPath(std::string_view entry, const std::string& where = "");

/// The names `sandbox-allow-syscalls` accepts: kernel facilities that sandboxed builds are
/// refused unless allowed (sandbox/seccomp_filter.cc, docs/sandbox.md). `io_uring` stands
/// for its three system calls, which are of no use one without the others.
inline constexpr std::array<std::string_view, 3> kAllowableSyscalls = {"perf_event_open",
                                                                       "userfaultfd", "io_uring"};

/// Where an effective value came from.
struct SettingOrigin {
    enum class Kind { Default, SystemFile, UserFile, ConfigFile, Environment, Flag };
    Kind kind = Kind::Default;
    /// `file:line:column`, the variable name, the flag, or "default".
    std::string where = "default";
};

/// A size in bytes, possibly given as a share of the machine's RAM (`50%`), which is
/// resolved when the value is read and kept for `config show`. 0 bytes: no limit.
struct SizeSetting {
    uint64_t bytes = 0;
    unsigned percentOfRam = 0; ///< 0: given in bytes
    /// `percent` of this machine's physical memory.
    static SizeSetting ofRam(unsigned percent);
};

/// "64 MiB", "1.5 GiB", "100 bytes": for messages that name a limit.
std::string formatSize(uint64_t bytes);

/// The effective settings. Plain data; copy freely.
struct Settings {
    SandboxMode sandbox = SandboxMode::Strict;
    std::vector<SandboxPath> sandboxPaths;
    /// Entries of kAllowableSyscalls that sandboxed builds may use; each at most once.
    std::vector<std::string> sandboxAllowSyscalls;
    std::string buildUsersGroup = "purist-build";
    uint64_t timeout = 0;                              ///< seconds; 0: none
    uint64_t maxSilentTime = 3600;                     ///< seconds; 0: none
    SizeSetting maxMemory = SizeSetting::ofRam(50);    ///< per build
    uint64_t maxProcesses = 4096;                      ///< per build; 0: none
    uint64_t maxLogSize = 64ull << 20;                 ///< bytes per build; 0: none
    SizeSetting buildDirSize = SizeSetting::ofRam(50); ///< each of /build, /tmp, /dev/shm
    unsigned maxJobs = 1;
    std::string storeRoot; ///< empty: $XDG_DATA_HOME/purist or ~/.local/share/purist
    std::string storeDir;  ///< empty: <store-root>/store
    /// Whether store paths that running processes use keep their closure alive (gc).
    bool gcRuntimeRoots = true;
    /// When a build starts with less free space than this on the store's file system, a
    /// collection runs first (Nix's min-free); 0: never.
    uint64_t minFree = 0;
    /// ... and frees up to this much free space (Nix's max-free); 0: everything dead.
    uint64_t maxFree = 0;

    /// Origin of each setting's value, by setting name; every setting has an entry.
    std::map<std::string, SettingOrigin> origins;
};

/// One written value: its text and where it was written (`file:line:column`, `PURIST_X`,
/// `--flag`), so an error names the exact entry.
struct RawSettingItem {
    std::string text;
    std::string file; ///< file name for ConfigError's file field; empty for env and flags
    int line = 0;
    int column = 0;
    std::string where;
};

/// A setting's value as written: one item for a scalar, any number for a list.
struct RawSettingValue {
    std::vector<RawSettingItem> items;
    bool isList = false;
    RawSettingItem position; ///< the value as a whole (its text is unused)
};

/// How a config file writes a setting's value, that is which reader of base/yaml_reader.h
/// reads it, so that a config file follows the type rules of specs and rule files (`5` is
/// not a group name, `yes` is not a boolean). The environment and flags give text, which
/// `apply` parses either way.
enum class SettingYamlType {
    String,     ///< yamlString
    StringList, ///< yamlStringList
    Boolean,    ///< yamlBool
    Count,      ///< yamlCount
    Size,       ///< yamlSizeText: `512MiB`, `0`, and for some settings `50%`
    Scalar,     ///< yamlScalar: a value of more than one type, such as `4` or `auto`
};

/// The declaration of one setting. The table is immutable; safe to read from any thread.
struct SettingDescriptor {
    std::string_view name;    ///< key in purist.yaml, and `--option` name
    std::string_view envVar;  ///< environment variable that sets it
    std::string_view flag;    ///< dedicated command-line flag, or empty
    std::string_view type;    ///< for people: "strict | relaxed | off", "list of paths", ...
    SettingYamlType yamlType; ///< how a config file writes it
    std::string_view defaultText;
    std::string_view help;
    /// Parses `value` into `settings`; throws ConfigError naming value's position.
    void (*apply)(Settings& settings, const RawSettingValue& value);
    /// The current value in `settings`, as `config show` prints it.
    std::string (*show)(const Settings& settings);
};

/// Every setting, in the order `config show` and docs/config.md list them.
const std::vector<SettingDescriptor>& settingDescriptors();
/// The descriptor named `name`, or nullptr.
const SettingDescriptor* findSetting(std::string_view name);

/// Where settings are read from. Empty paths are skipped; a missing system or user file
/// is not an error, a missing `configFile` is.
struct SettingsSources {
    std::string systemFile = "/etc/purist/purist.yaml";
    std::string userFile;   ///< see defaultUserConfigFile()
    std::string configFile; ///< --config FILE
    /// The environment, as `NAME=value` lookups; defaults to the process environment.
    std::map<std::string, std::string> environment;
    /// Values given on the command line, by setting name, with the flag that gave them.
    std::vector<std::pair<std::string, std::pair<std::string, std::string>>> flags;
};

/// `$XDG_CONFIG_HOME/purist/purist.yaml`, else `~/.config/purist/purist.yaml`, else "".
std::string defaultUserConfigFile();
/// Sources with the default files and the current process environment's PURIST_* vars.
SettingsSources defaultSettingsSources();

/// Applies, in order (later wins): defaults, system file, user file, config file,
/// environment, flags. Unknown keys, wrong types and bad values throw ConfigError with
/// the file, line and column (or the variable or flag) that holds them; nothing is
/// returned from a half-read configuration.
Settings loadSettings(const SettingsSources& sources);

/// Reads one YAML file into `settings` (used by loadSettings; exposed for tests).
void applySettingsFile(Settings& settings, const std::string& path, SettingOrigin::Kind kind);

/// "default", or `where (kind)` such as `/etc/purist/purist.yaml:3:10 (system file)`.
std::string describeOrigin(const SettingOrigin& origin);

/// docs/config.md's content, generated from the table.
std::string renderSettingsMarkdown();

} // namespace purist::policy
