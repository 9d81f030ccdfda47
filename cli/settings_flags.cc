#include "cli/settings_flags.h"

#include <cstdlib>

namespace purist::cli {

void addSettingsFlags(CLI::App& command, SettingsFlags& flags) {
    command.add_option("--config", flags.configFile,
                       "Read settings from this YAML file too (after the system and user files)");
    command.add_option("--sandbox", flags.sandbox, "Sandbox mode: strict, relaxed or off")
        ->check(CLI::IsMember({"strict", "relaxed", "off"}));
    command.add_option("-j,--max-jobs", flags.maxJobs,
                       "How many independent builds run at once (a number or auto)");
    command.add_option("--timeout", flags.timeout,
                       "Kill a build after this many seconds (0: never)");
    command.add_option("--max-silent-time", flags.maxSilentTime,
                       "Kill a build silent for this many seconds (0: never)");
    command
        .add_option("--option", flags.options,
                    "Set any setting: --option NAME VALUE (see `purist config show`)")
        ->type_size(2)
        ->allow_extra_args(false);
}

policy::Settings loadEffectiveSettings(const SettingsFlags& flags, GlobalOptions& options) {
    policy::SettingsSources sources = policy::defaultSettingsSources();
    sources.configFile = flags.configFile;
    // options.root and options.storeDir hold the flags only (the variables are settings
    // sources of their own); a flag equal to its variable adds nothing.
    auto fromFlag = [](const std::string& value, const char* variable) {
        const char* env = std::getenv(variable);
        return !value.empty() && (!env || value != env);
    };
    if (fromFlag(options.root, "PURIST_ROOT"))
        sources.flags.push_back({"store-root", {"--root", options.root}});
    if (fromFlag(options.storeDir, "PURIST_STORE_DIR"))
        sources.flags.push_back({"store-dir", {"--store-dir", options.storeDir}});
    for (const auto& [name, value] : flags.options)
        sources.flags.push_back({name, {"--option " + name, value}});
    if (!flags.sandbox.empty()) sources.flags.push_back({"sandbox", {"--sandbox", flags.sandbox}});
    if (!flags.maxJobs.empty())
        sources.flags.push_back({"max-jobs", {"--max-jobs", flags.maxJobs}});
    if (!flags.timeout.empty()) sources.flags.push_back({"timeout", {"--timeout", flags.timeout}});
    if (!flags.maxSilentTime.empty())
        sources.flags.push_back({"max-silent-time", {"--max-silent-time", flags.maxSilentTime}});

    policy::Settings settings = policy::loadSettings(sources);
    if (!settings.storeRoot.empty()) options.root = settings.storeRoot;
    if (!settings.storeDir.empty()) options.storeDir = settings.storeDir;
    return settings;
}

} // namespace purist::cli
