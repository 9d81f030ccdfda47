#pragma once
// Telling a user who mistyped a command which one they meant.

#include <optional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace purist::cli {

/// For a command line `args` (without argv[0]) that `app` failed to parse: if a word stands
/// where a command must be and names none, the message for it, such as "unknown command
/// 'chek'; did you mean 'check'?" (a suggestion only when one command is close enough to be
/// a typo). nullopt when every word in a command's place names one, so the parser's own
/// message is the right one.
std::optional<std::string> diagnoseUnknownCommand(const CLI::App& app,
                                                  const std::vector<std::string>& args);

/// The edit distance between `a` and `b`, counting an exchange of two adjacent characters
/// as one edit (optimal string alignment): "chek" is 1 from "check", "cehck" 1 from "check".
size_t editDistance(const std::string& a, const std::string& b);

} // namespace purist::cli
