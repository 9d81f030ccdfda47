#include "policy/settings.h"

#include "base/byte_size.h"
#include "base/error.h"
#include "base/yaml_reader.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <sstream>
#include <thread>
#include <unistd.h>

extern char** environ;

namespace purist::policy {
namespace {

ConfigError itemError(const RawSettingItem& item, const std::string& message) {
    if (item.file.empty()) return ConfigError(item.where, message);
    return ConfigError(item.file, item.line, item.column, message);
}

const RawSettingItem& scalarOf(const RawSettingValue& value, std::string_view name) {
    if (value.isList || value.items.size() != 1)
        throw itemError(value.position, std::string(name) + " must be a single value, not a list");
    return value.items.front();
}

uint64_t parseUnsigned(const RawSettingValue& value, std::string_view name) {
    const RawSettingItem& item = scalarOf(value, name);
    bool digits = !item.text.empty() && item.text.size() <= 12;
    for (char c : item.text)
        digits = digits && c >= '0' && c <= '9';
    if (!digits)
        throw itemError(item, std::string(name) + " must be a whole number (0, 1, 2, ...), not '" +
                                  item.text + "'");
    return std::stoull(item.text);
}

std::string requireNonEmpty(const RawSettingValue& value, std::string_view name) {
    const RawSettingItem& item = scalarOf(value, name);
    if (item.text.empty()) throw itemError(item, std::string(name) + " must not be empty");
    return item.text;
}

std::string absolutePathValue(const RawSettingValue& value, std::string_view name) {
    std::string text = requireNonEmpty(value, name);
    if (text.front() != '/')
        throw itemError(value.items.front(),
                        std::string(name) + " must be an absolute path, not '" + text + "'");
    while (text.size() > 1 && text.back() == '/')
        text.pop_back();
    return text;
}

// A size as base/byte_size.h reads it (`512MiB`, `2G`, `500MB`), or, when `allowPercent`, a
// share of the RAM (`50%`).
SizeSetting parseSize(const RawSettingValue& value, std::string_view name, bool allowPercent) {
    const RawSettingItem& item = scalarOf(value, name);
    const std::string& text = item.text;
    auto bad = [&] {
        return itemError(item, std::string(name) + " must be a size such as 512MiB or 2GiB" +
                                   (allowPercent ? ", or a share of the RAM such as 50%" : "") +
                                   ", or 0 for no limit, not '" + text + "'");
    };
    size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9')
        ++digits;
    if (digits == 0 || digits > 15) throw bad();
    uint64_t number = std::stoull(text.substr(0, digits));
    std::string unit = text.substr(digits);
    if (unit == "%") {
        if (!allowPercent || number < 1 || number > 100) throw bad();
        return SizeSetting::ofRam(static_cast<unsigned>(number));
    }
    std::string error;
    std::optional<uint64_t> bytes = parseByteSize(text, error);
    if (!bytes)
        throw itemError(item, std::string(name) + ": " + error +
                                  (allowPercent ? "; or a share of the RAM such as 50%" : ""));
    return SizeSetting{*bytes, 0};
}

std::string showSize(const SizeSetting& size) {
    if (size.percentOfRam > 0)
        return std::to_string(size.percentOfRam) + "% of RAM (" + formatSize(size.bytes) + ")";
    if (size.bytes == 0) return "0 (no limit)";
    return formatSize(size.bytes);
}

std::string joinSandboxPaths(const std::vector<SandboxPath>& paths) {
    std::string out;
    for (const auto& p : paths) {
        if (!out.empty()) out += ' ';
        out += p.target == p.source ? p.source : p.target + "=" + p.source;
        if (p.optional) out += '?';
    }
    return out;
}

const std::vector<SettingDescriptor> kSettings = {
    {"sandbox", "PURIST_SANDBOX", "--sandbox", "strict | relaxed | off", SettingYamlType::String,
     "strict",
     "How builds are isolated. `strict`: every build runs in a sandbox (fixed-output builds "
     "too, with the host network) and a spec with `no-sandbox: true` is refused. `relaxed`: "
     "as strict, but `no-sandbox: true` specs run unsandboxed. `off`: no namespaces; a clean "
     "environment and a private build directory only.",
     [](Settings& s, const RawSettingValue& v) {
         const RawSettingItem& item = scalarOf(v, "sandbox");
         const std::string& text = item.text;
         if (text == "strict")
             s.sandbox = SandboxMode::Strict;
         else if (text == "relaxed")
             s.sandbox = SandboxMode::Relaxed;
         else if (text == "off")
             s.sandbox = SandboxMode::Off;
         else
             throw itemError(item, "sandbox must be strict, relaxed or off, not '" + text + "'");
     },
     [](const Settings& s) { return std::string(sandboxModeName(s.sandbox)); }},
    {"sandbox-paths", "PURIST_SANDBOX_PATHS", "", "list of paths", SettingYamlType::StringList,
     "(empty)",
     "Host paths visible in every sandboxed build, read-only: `target=source` mounts source "
     "at target, `path` mounts a path at itself, and a trailing `?` makes the entry optional "
     "(skipped when the source is missing). The closure of a store path named here is "
     "added automatically. In the environment: entries separated by spaces.",
     [](Settings& s, const RawSettingValue& v) {
         std::vector<SandboxPath> paths;
         if (!v.isList) throw itemError(v.position, "sandbox-paths must be a list of paths");
         for (const auto& item : v.items) {
             try {
                 paths.push_back(parseSandboxPath(item.text));
             } catch (const ConfigError& e) {
                 throw itemError(item, e.what());
             }
         }
         s.sandboxPaths = std::move(paths);
     },
     [](const Settings& s) { return joinSandboxPaths(s.sandboxPaths); }},
    // One list of names rather than a boolean per call: one setting to learn, named as the
    // kernel and docs/sandbox.md name the calls, and a typo is an error, not a new key.
    {"sandbox-allow-syscalls", "PURIST_SANDBOX_ALLOW_SYSCALLS", "", "list of names",
     SettingYamlType::StringList, "(empty)",
     "Kernel facilities that sandboxed builds are refused by default, allowed again for "
     "builds that need one: `perf_event_open` (profilers, perf), `userfaultfd` (some "
     "garbage collectors and checkpointing tools), `io_uring` (io_uring_setup, "
     "io_uring_enter and io_uring_register). Each is a large kernel interface with a "
     "history of privilege escalations; docs/sandbox.md lists what strict mode refuses and "
     "why. In the environment: names separated by spaces.",
     [](Settings& s, const RawSettingValue& v) {
         if (!v.isList)
             throw itemError(v.position, "sandbox-allow-syscalls must be a list of names");
         std::vector<std::string> names;
         for (const auto& item : v.items) {
             bool known = false;
             for (std::string_view name : kAllowableSyscalls)
                 known = known || item.text == name;
             if (!known) {
                 std::string list;
                 for (std::string_view name : kAllowableSyscalls)
                     list += (list.empty() ? "" : ", ") + std::string(name);
                 throw itemError(item, "sandbox-allow-syscalls: '" + item.text +
                                           "' is not one of " + list);
             }
             if (std::find(names.begin(), names.end(), item.text) == names.end())
                 names.push_back(item.text);
         }
         s.sandboxAllowSyscalls = std::move(names);
     },
     [](const Settings& s) {
         std::string out;
         for (const auto& name : s.sandboxAllowSyscalls)
             out += (out.empty() ? "" : " ") + name;
         return out;
     }},
    {"build-users-group", "PURIST_BUILD_USERS_GROUP", "", "group name", SettingYamlType::String,
     "purist-build",
     "When purist runs as root, every build runs as a member of this group, one member "
     "per concurrent build, never as root. purist refuses to build as root when the group "
     "is missing or has no members, and prints the commands that create it "
     "(or run scripts/create-build-users.sh).",
     [](Settings& s, const RawSettingValue& v) {
         s.buildUsersGroup = requireNonEmpty(v, "build-users-group");
     },
     [](const Settings& s) { return s.buildUsersGroup; }},
    {"timeout", "PURIST_TIMEOUT", "--timeout", "seconds", SettingYamlType::Count, "0",
     "A build running longer than this is killed, with every process it started, and "
     "fails. 0: no limit.",
     [](Settings& s, const RawSettingValue& v) { s.timeout = parseUnsigned(v, "timeout"); },
     [](const Settings& s) { return std::to_string(s.timeout); }},
    {"max-silent-time", "PURIST_MAX_SILENT_TIME", "--max-silent-time", "seconds",
     SettingYamlType::Count, "3600",
     "A build that writes nothing to its log for this long is killed and fails. 0: no limit. "
     "Finite by default, so a build that hangs does not hold its share of a shared machine "
     "for ever.",
     [](Settings& s, const RawSettingValue& v) {
         s.maxSilentTime = parseUnsigned(v, "max-silent-time");
     },
     [](const Settings& s) { return std::to_string(s.maxSilentTime); }},
    {"max-memory", "PURIST_MAX_MEMORY", "", "size | percent of RAM | 0", SettingYamlType::Size,
     "50%",
     "Memory one build may use, all its processes and the files it writes to /tmp, /dev/shm "
     "and /build together, swap included. A build that exceeds it is killed and fails with "
     "`exceeded max-memory`. Enforced by a cgroup per build, created below purist's own "
     "(cgroup v2, or the v1 memory controller); where purist cannot create one (an "
     "unprivileged user without a delegated cgroup), it says so once, and the limit does not "
     "hold. 0: no limit.",
     [](Settings& s, const RawSettingValue& v) { s.maxMemory = parseSize(v, "max-memory", true); },
     [](const Settings& s) { return showSize(s.maxMemory); }},
    {"max-processes", "PURIST_MAX_PROCESSES", "", "number | 0", SettingYamlType::Count, "4096",
     "Processes (and threads) one build may hold at once, so that a fork bomb cannot exhaust "
     "the machine's: the `pids.max` of the build's cgroup; a build that reaches it is killed "
     "and fails with `exceeded max-processes`. Without a cgroup (said once), the builder's "
     "RLIMIT_NPROC, which counts every process of the build's user: forks beyond it fail, "
     "and the build is not killed for it. 0: no limit.",
     [](Settings& s, const RawSettingValue& v) {
         s.maxProcesses = parseUnsigned(v, "max-processes");
     },
     [](const Settings& s) { return std::to_string(s.maxProcesses); }},
    {"max-log-size", "PURIST_MAX_LOG_SIZE", "", "size | 0", SettingYamlType::Size, "64MiB",
     "Bytes of output one build may write (Nix's max-build-log-size). Past it the build is "
     "killed and fails with `exceeded max-log-size`, and its log (stored and echoed) ends with "
     "a line saying why. 0: no limit.",
     [](Settings& s, const RawSettingValue& v) {
         s.maxLogSize = parseSize(v, "max-log-size", false).bytes;
     },
     [](const Settings& s) {
         return showSize(SizeSetting{s.maxLogSize, 0});
     }},
    {"build-dir-size", "PURIST_BUILD_DIR_SIZE", "", "size | percent of RAM | 0",
     SettingYamlType::Size, "50%",
     "Size of the file system a sandboxed build writes its scratch files to: /build, /tmp "
     "and /dev/shm share one tmpfs of this size, so a build cannot fill the host's disk or "
     "memory through them (a full one gives ENOSPC; its pages count against max-memory "
     "too). With `--keep-failed`, /build is the host directory that is kept, and unbounded. "
     "Not bounded by it: the build's outputs, which are written to the store's file system "
     "(bounded only by its free space), and every directory of an unsandboxed build. 0: the "
     "kernel's default for a tmpfs, half the RAM.",
     [](Settings& s, const RawSettingValue& v) {
         s.buildDirSize = parseSize(v, "build-dir-size", true);
     },
     [](const Settings& s) { return showSize(s.buildDirSize); }},
    {"max-jobs", "PURIST_MAX_JOBS", "-j, --max-jobs", "number | auto", SettingYamlType::Scalar, "1",
     "How many independent builds run at once. `auto`: the number of CPUs.",
     [](Settings& s, const RawSettingValue& v) {
         const RawSettingItem& item = scalarOf(v, "max-jobs");
         const std::string& text = item.text;
         if (text == "auto") {
             s.maxJobs = std::max(1u, std::thread::hardware_concurrency());
             return;
         }
         uint64_t jobs = parseUnsigned(v, "max-jobs");
         if (jobs < 1 || jobs > 1024)
             throw itemError(item,
                             "max-jobs must be between 1 and 1024, or auto, not '" + text + "'");
         s.maxJobs = static_cast<unsigned>(jobs);
     },
     [](const Settings& s) { return std::to_string(s.maxJobs); }},
    {"store-root", "PURIST_ROOT", "--root", "absolute path", SettingYamlType::String,
     "$XDG_DATA_HOME/purist, else ~/.local/share/purist",
     "The store root, holding store/, db/, gcroots/, logs/ and tmp/.",
     [](Settings& s, const RawSettingValue& v) {
         s.storeRoot = absolutePathValue(v, "store-root");
     },
     [](const Settings& s) { return s.storeRoot; }},
    {"store-dir", "PURIST_STORE_DIR", "--store-dir", "absolute path", SettingYamlType::String,
     "<store-root>/store",
     "The logical store dir that store paths name (what builders see, and what path hashes "
     "cover), e.g. /nix/store to compute the paths Nix would. The files stay under the "
     "store root.",
     [](Settings& s, const RawSettingValue& v) { s.storeDir = absolutePathValue(v, "store-dir"); },
     [](const Settings& s) { return s.storeDir; }},
    {"gc-runtime-roots", "PURIST_GC_RUNTIME_ROOTS", "", "true | false", SettingYamlType::Boolean,
     "true",
     "Whether the garbage collector keeps alive the store paths that running processes use "
     "(their program, cwd, open files, memory maps and environment, read from /proc), as "
     "Nix does. `false` collects them like any path no root names.",
     [](Settings& s, const RawSettingValue& v) {
         const RawSettingItem& item = scalarOf(v, "gc-runtime-roots");
         // The core schema's booleans, as yamlBool reads them in files, for the
         // environment and flags too.
         if (item.text == "true" || item.text == "True" || item.text == "TRUE")
             s.gcRuntimeRoots = true;
         else if (item.text == "false" || item.text == "False" || item.text == "FALSE")
             s.gcRuntimeRoots = false;
         else
             throw itemError(item,
                             "gc-runtime-roots must be true or false, not '" + item.text + "'");
     },
     [](const Settings& s) { return std::string(s.gcRuntimeRoots ? "true" : "false"); }},
    {"min-free", "PURIST_MIN_FREE", "", "size | 0", SettingYamlType::Size, "0",
     "When `purist build` starts with less free space than this on the store's file system, "
     "it first collects garbage (`purist store gc`) until `max-free` is free. 0: never.",
     [](Settings& s, const RawSettingValue& v) {
         s.minFree = parseSize(v, "min-free", false).bytes;
     },
     [](const Settings& s) {
         return showSize(SizeSetting{s.minFree, 0});
     }},
    {"max-free", "PURIST_MAX_FREE", "", "size | 0", SettingYamlType::Size, "0",
     "How much free space an automatic collection (see `min-free`) aims for: it stops once "
     "the paths it deleted add up to the difference. 0: it deletes every dead path.",
     [](Settings& s, const RawSettingValue& v) {
         s.maxFree = parseSize(v, "max-free", false).bytes;
     },
     [](const Settings& s) {
         return showSize(SizeSetting{s.maxFree, 0});
     }},
};

RawSettingItem itemAt(const std::string& file, const YAML::Node& node, std::string text) {
    SourceLocation at = yamlLocation(file, node);
    return RawSettingItem{std::move(text), file, at.line, at.column, at.describe()};
}

/// A config file's value for `descriptor`, read with the YAML reader of its type, as text
/// for `apply`, which parses environment variables and flags the same way.
RawSettingValue readSettingValue(const std::string& file, const SettingDescriptor& descriptor,
                                 const YamlEntry& entry) {
    const std::string& name = entry.key;
    const YAML::Node& node = entry.value;
    RawSettingValue value;
    value.position = itemAt(file, node, "");
    std::string text;
    switch (descriptor.yamlType) {
    case SettingYamlType::StringList: {
        value.isList = true;
        std::vector<std::string> items = yamlStringList(file, node, name);
        size_t i = 0;
        for (const auto& item : node)
            value.items.push_back(itemAt(file, item, std::move(items[i++])));
        return value;
    }
    case SettingYamlType::String:
        text = yamlString(file, node, name);
        break;
    case SettingYamlType::Boolean:
        text = yamlBool(file, node, name) ? "true" : "false";
        break;
    case SettingYamlType::Count:
        text = std::to_string(yamlCount(file, node, name));
        break;
    case SettingYamlType::Size:
        text = yamlSizeText(file, node, name);
        break;
    case SettingYamlType::Scalar:
        text = yamlScalar(file, node, name);
        break;
    }
    value.items = {itemAt(file, node, std::move(text))};
    return value;
}

std::string originName(SettingOrigin::Kind kind) {
    switch (kind) {
    case SettingOrigin::Kind::Default:
        return "default";
    case SettingOrigin::Kind::SystemFile:
        return "system file";
    case SettingOrigin::Kind::UserFile:
        return "user file";
    case SettingOrigin::Kind::ConfigFile:
        return "--config file";
    case SettingOrigin::Kind::Environment:
        return "environment";
    case SettingOrigin::Kind::Flag:
        return "flag";
    }
    return "default";
}

} // namespace

SizeSetting SizeSetting::ofRam(unsigned percent) {
    long pages = ::sysconf(_SC_PHYS_PAGES);
    long pageSize = ::sysconf(_SC_PAGESIZE);
    uint64_t ram = pages > 0 && pageSize > 0 ? uint64_t(pages) * uint64_t(pageSize) : 0;
    return SizeSetting{ram / 100 * percent, percent};
}

std::string formatSize(uint64_t bytes) {
    static const char* const kUnits[] = {"KiB", "MiB", "GiB", "TiB"};
    if (bytes < 1024) return std::to_string(bytes) + (bytes == 1 ? " byte" : " bytes");
    double value = double(bytes) / 1024;
    size_t unit = 0;
    while (value >= 1024 && unit + 1 < std::size(kUnits)) {
        value /= 1024;
        ++unit;
    }
    char text[32];
    // Whole numbers as such: a limit given as 64MiB reads back as 64 MiB.
    if (value == double(uint64_t(value)))
        std::snprintf(text, sizeof text, "%llu %s", static_cast<unsigned long long>(value),
                      kUnits[unit]);
    else
        std::snprintf(text, sizeof text, "%.1f %s", value, kUnits[unit]);
    return text;
}

std::string_view sandboxModeName(SandboxMode mode) {
    switch (mode) {
    case SandboxMode::Strict:
        return "strict";
    case SandboxMode::Relaxed:
        return "relaxed";
    case SandboxMode::Off:
        return "off";
    }
    return "strict";
}

SandboxPath parseSandboxPath(std::string_view entry, const std::string& where) {
    auto fail = [&](const std::string& message) {
        return ConfigError(where, "sandbox-paths entry '" + std::string(entry) + "': " + message);
    };
    SandboxPath path;
    std::string text(entry);
    if (!text.empty() && text.back() == '?') {
        path.optional = true;
        text.pop_back();
    }
    auto eq = text.find('=');
    if (eq == std::string::npos) {
        path.target = path.source = text;
    } else {
        path.target = text.substr(0, eq);
        path.source = text.substr(eq + 1);
    }
    if (path.target.empty() || path.target.front() != '/' || path.source.empty() ||
        path.source.front() != '/')
        throw fail("paths must be absolute (`target=source`, `path` or `path?`)");
    if (path.target == "/") throw fail("cannot mount over the sandbox's root");
    return path;
}

const std::vector<SettingDescriptor>& settingDescriptors() {
    return kSettings;
}

const SettingDescriptor* findSetting(std::string_view name) {
    for (const auto& d : kSettings)
        if (d.name == name) return &d;
    return nullptr;
}

std::string defaultUserConfigFile() {
    const char* xdg = std::getenv("XDG_CONFIG_HOME");
    if (xdg && *xdg) return std::string(xdg) + "/purist/purist.yaml";
    const char* home = std::getenv("HOME");
    if (home && *home) return std::string(home) + "/.config/purist/purist.yaml";
    return "";
}

SettingsSources defaultSettingsSources() {
    SettingsSources sources;
    sources.userFile = defaultUserConfigFile();
    for (char** e = environ; *e; ++e) {
        std::string_view entry(*e);
        if (!entry.starts_with("PURIST_")) continue;
        auto eq = entry.find('=');
        if (eq == std::string_view::npos) continue;
        sources.environment.emplace(std::string(entry.substr(0, eq)),
                                    std::string(entry.substr(eq + 1)));
    }
    return sources;
}

void applySettingsFile(Settings& settings, const std::string& path, SettingOrigin::Kind kind) {
    YAML::Node root = loadYamlFile(path);
    if (root.IsNull()) return; // an empty file sets nothing
    std::vector<std::string> names;
    for (const auto& d : kSettings)
        names.emplace_back(d.name);
    for (const YamlEntry& entry : yamlMapping(path, root, "config file", names)) {
        const SettingDescriptor& descriptor = *findSetting(entry.key);
        // yaml-cpp places an empty value at the next line's start: name the key instead.
        if (entry.value.IsNull()) throw yamlError(path, entry.keyNode, entry.key + " has no value");
        RawSettingValue value = readSettingValue(path, descriptor, entry);
        descriptor.apply(settings, value);
        settings.origins[entry.key] = {kind, value.position.where};
    }
}

Settings loadSettings(const SettingsSources& sources) {
    Settings settings;
    for (const auto& d : kSettings)
        settings.origins[std::string(d.name)] = {};

    auto readFileIfPresent = [&](const std::string& path, SettingOrigin::Kind kind) {
        if (path.empty() || ::access(path.c_str(), F_OK) != 0) return;
        applySettingsFile(settings, path, kind);
    };
    readFileIfPresent(sources.systemFile, SettingOrigin::Kind::SystemFile);
    readFileIfPresent(sources.userFile, SettingOrigin::Kind::UserFile);
    if (!sources.configFile.empty()) {
        if (::access(sources.configFile.c_str(), F_OK) != 0)
            throw ConfigError(sources.configFile, "config file does not exist");
        applySettingsFile(settings, sources.configFile, SettingOrigin::Kind::ConfigFile);
    }

    // Environment variables and flags hold lists as words separated by spaces.
    auto rawFromText = [](const SettingDescriptor& d, const std::string& where,
                          const std::string& text) {
        RawSettingValue value;
        value.position.where = where;
        if (d.type.starts_with("list")) {
            value.isList = true;
            std::istringstream words(text);
            for (std::string word; words >> word;)
                value.items.push_back(RawSettingItem{word, "", 0, 0, where});
        } else {
            value.items = {RawSettingItem{text, "", 0, 0, where}};
        }
        return value;
    };
    for (const auto& d : kSettings) {
        auto it = sources.environment.find(std::string(d.envVar));
        if (it == sources.environment.end()) continue;
        d.apply(settings, rawFromText(d, std::string(d.envVar), it->second));
        settings.origins[std::string(d.name)] = {SettingOrigin::Kind::Environment,
                                                 std::string(d.envVar)};
    }
    for (const auto& [name, flagValue] : sources.flags) {
        const SettingDescriptor* d = findSetting(name);
        if (!d) throw UsageError("unknown setting '" + name + "' given by " + flagValue.first);
        d->apply(settings, rawFromText(*d, flagValue.first, flagValue.second));
        settings.origins[std::string(d->name)] = {SettingOrigin::Kind::Flag, flagValue.first};
    }
    return settings;
}

std::string renderSettingsMarkdown() {
    std::string out =
        "# Configuration\n\n"
        "<!-- Generated from policy/settings.cc's table; tests/policy/settings_test.cc checks\n"
        "     that this file matches it (regenerate with PURIST_TEST_ACCEPT=1). -->\n\n"
        "purist reads its settings from these sources, each later one overriding the earlier:\n\n"
        "1. the built-in defaults below;\n"
        "2. the system file `/etc/purist/purist.yaml`;\n"
        "3. the user file `$XDG_CONFIG_HOME/purist/purist.yaml` (else "
        "`~/.config/purist/purist.yaml`);\n"
        "4. the file given with `--config FILE`;\n"
        "5. `PURIST_*` environment variables;\n"
        "6. command-line flags (the dedicated ones below, or `--option NAME VALUE`).\n\n"
        "A config file is a YAML mapping from setting names to values:\n\n"
        "```yaml\n"
        "sandbox: strict\n"
        "sandbox-paths: [/bin, /usr, /lib, '/lib64?']\n"
        "max-jobs: 2\n"
        "timeout: 3600\n"
        "```\n\n"
        "An unknown setting, a value of the wrong type or a bad value is an error naming the\n"
        "file, line and column (or the variable or flag) that holds it; purist then does\n"
        "nothing (exit code 2). `purist config show` prints every effective value and where it\n"
        "came from. Types follow the YAML 1.2 core schema, as in build specs and rule files,\n"
        "with the same messages: `build-users-group: 5` is refused with `build-users-group\n"
        "must be a string, not the integer 5 (quote it: \"5\")`, and a setting written twice\n"
        "in one file is refused.\n\n"
        "## Settings\n";
    for (const auto& d : kSettings) {
        out += "\n### `" + std::string(d.name) + "`\n\n";
        out += std::string(d.help) + "\n\n";
        out += "- type: " + std::string(d.type) + "\n";
        out += "- default: `" + std::string(d.defaultText) + "`\n";
        out += "- environment: `" + std::string(d.envVar) + "`\n";
        if (!d.flag.empty()) out += "- flag: `" + std::string(d.flag) + "`\n";
    }
    return out;
}

std::string describeOrigin(const SettingOrigin& origin) {
    if (origin.kind == SettingOrigin::Kind::Default) return "default";
    return origin.where + " (" + originName(origin.kind) + ")";
}

} // namespace purist::policy
