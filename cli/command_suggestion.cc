#include "cli/command_suggestion.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <numeric>

namespace purist::cli {
namespace {

// The option `name` as `app` or one of its parents knows it (global options fall through).
const CLI::Option* findOption(const CLI::App* app, const std::string& name) {
    for (; app; app = app->get_parent())
        if (const CLI::Option* option = app->get_option_no_throw(name)) return option;
    return nullptr;
}

// The command of `app` closest to `word`, if it is close enough to be a typo: at most one
// edit for short names, a third of the word for longer ones; none when two tie.
std::optional<std::string> closestCommand(const CLI::App& app, const std::string& word) {
    size_t allowed = std::max<size_t>(1, word.size() / 3);
    std::optional<std::string> best;
    size_t bestDistance = allowed + 1;
    bool tie = false;
    for (const CLI::App* command : app.get_subcommands({})) {
        size_t distance = editDistance(word, command->get_name());
        if (distance < bestDistance) {
            best = command->get_name();
            bestDistance = distance;
            tie = false;
        } else if (distance == bestDistance) {
            tie = true;
        }
    }
    if (tie) return std::nullopt;
    return best;
}

} // namespace

size_t editDistance(const std::string& a, const std::string& b) {
    // Three rows of the dynamic-programming table: two back for transpositions.
    std::vector<size_t> twoBack(b.size() + 1), previous(b.size() + 1), current(b.size() + 1);
    std::iota(previous.begin(), previous.end(), size_t{0});
    for (size_t i = 1; i <= a.size(); ++i) {
        current[0] = i;
        for (size_t j = 1; j <= b.size(); ++j) {
            size_t substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
            current[j] = std::min({previous[j] + 1, current[j - 1] + 1, substitution});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                current[j] = std::min(current[j], twoBack[j - 2] + 1);
        }
        twoBack.swap(previous);
        previous.swap(current);
    }
    return previous[b.size()];
}

std::optional<std::string> diagnoseUnknownCommand(const CLI::App& app,
                                                  const std::vector<std::string>& args) {
    const CLI::App* current = &app;
    std::string path; // the commands named so far, "store " for `purist store lst`
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& word = args[i];
        if (word == "--") return std::nullopt;
        if (word.size() > 1 && word[0] == '-') {
            // An option: skip its value when it takes one that is not attached with '='.
            if (word.find('=') != std::string::npos) continue;
            const CLI::Option* option = findOption(current, word);
            if (option && option->get_items_expected_min() > 0) ++i;
            continue;
        }
        if (current->get_subcommands({}).empty()) return std::nullopt;
        const CLI::App* next = nullptr;
        for (const CLI::App* command : current->get_subcommands({}))
            if (command->check_name(word)) next = command;
        if (!next) {
            std::string message = "unknown command '" + path + word + "'";
            if (auto suggestion = closestCommand(*current, word))
                message += "; did you mean '" + path + *suggestion + "'?";
            return message;
        }
        path += word + " ";
        current = next;
    }
    return std::nullopt;
}

} // namespace purist::cli
