// `purist config show`: every effective setting and where its value came from.

#include "cli/exit_codes.h"
#include "cli/global_options.h"
#include "cli/settings_flags.h"

#include <nlohmann/json.hpp>

#include <array>
#include <iomanip>
#include <iostream>
#include <memory>
#include <sstream>

namespace purist::cli {

namespace {

// A setting's help, wrapped and indented below its row, then its type and default.
void printExplanation(const policy::SettingDescriptor& d) {
    constexpr size_t kWidth = 88;
    std::string line = "   ";
    std::istringstream words{std::string(d.help)};
    for (std::string word; words >> word;) {
        if (line.size() + 1 + word.size() > kWidth) {
            std::cout << line << "\n";
            line = "   ";
        }
        line += " " + word;
    }
    std::cout << line << "\n    type: " << d.type << "; default: " << d.defaultText << "\n\n";
}

} // namespace

void addConfigCommands(CLI::App& app, GlobalOptions& options) {
    auto* config = app.add_subcommand("config", "Inspect purist's settings");
    config->require_subcommand(1);
    auto* show = config->add_subcommand(
        "show", "Print each effective setting, its value and where it came from (a file and "
                "line, an environment variable, a flag, or the default)");
    auto flags = std::make_shared<SettingsFlags>();
    addSettingsFlags(*show, *flags);
    auto explain = std::make_shared<bool>(false);
    show->add_flag("--explain", *explain,
                   "Also print what each setting does, its type and default (the text of "
                   "docs/config.md)");
    auto json = std::make_shared<bool>(false);
    show->add_flag("--json", *json,
                   "Print a JSON array: {name, value, origin, type, default, help} per setting, "
                   "value as the settings file would write it ('' when empty)");
    show->callback([&options, flags, explain, json] {
        options.action = [&options, flags, explain, json] {
            policy::Settings settings = loadEffectiveSettings(*flags, options);
            StoreLayout layout = selectLayout(options);
            std::vector<std::array<std::string, 3>> rows;
            nlohmann::ordered_json out = nlohmann::ordered_json::array();
            for (const auto& d : policy::settingDescriptors()) {
                std::string name(d.name);
                std::string value = d.show(settings);
                // The store's defaults depend on the environment; show what they resolve to.
                if (name == "store-root" && value.empty()) value = layout.root;
                if (name == "store-dir" && value.empty()) value = layout.storeDir;
                if (*json) {
                    out.push_back({{"name", name},
                                   {"value", value},
                                   {"origin", policy::describeOrigin(settings.origins.at(name))},
                                   {"type", std::string(d.type)},
                                   {"default", std::string(d.defaultText)},
                                   {"help", std::string(d.help)}});
                    continue;
                }
                if (value.empty()) value = "(empty)";
                rows.push_back({name, value, policy::describeOrigin(settings.origins.at(name))});
            }
            if (*json) {
                std::cout << out.dump(2) << "\n";
                return kExitOk;
            }
            size_t nameWidth = 0, valueWidth = 0;
            for (const auto& row : rows) {
                nameWidth = std::max(nameWidth, row[0].size());
                valueWidth = std::max(valueWidth, row[1].size());
            }
            const auto& descriptors = policy::settingDescriptors();
            for (size_t i = 0; i < rows.size(); ++i) {
                const auto& row = rows[i];
                std::cout << std::left << std::setw(static_cast<int>(nameWidth) + 2) << row[0]
                          << std::setw(static_cast<int>(valueWidth) + 2) << row[1] << "# " << row[2]
                          << "\n";
                if (*explain) printExplanation(descriptors[i]);
            }
            return kExitOk;
        };
    });
}

} // namespace purist::cli
