#pragma once
// The command-line flags that set policy settings, shared by `purist build` and
// `purist config show`, and loading the effective settings from every source.

#include "cli/global_options.h"
#include "policy/settings.h"

#include <CLI/CLI.hpp>

#include <string>
#include <utility>
#include <vector>

namespace purist::cli {

struct SettingsFlags {
    std::string configFile;
    std::string sandbox;
    std::string maxJobs;
    std::string timeout;
    std::string maxSilentTime;
    std::vector<std::pair<std::string, std::string>> options; ///< --option NAME VALUE
};

/// Adds --config, --sandbox, -j/--max-jobs, --timeout, --max-silent-time and --option.
void addSettingsFlags(CLI::App& command, SettingsFlags& flags);

/// The effective settings: files, PURIST_* variables, then these flags and the global
/// --root/--store-dir. Also points `options` at the store root and dir they select.
policy::Settings loadEffectiveSettings(const SettingsFlags& flags, GlobalOptions& options);

} // namespace purist::cli
