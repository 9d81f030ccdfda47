// examples/README.md as a new user runs it: the build it shows, then each "failure mode"
// line exactly as written (build/purist replaced by the binary under test, the store root
// by a temporary one), each expected to exit with the code its comment gives. Issue 13:
// both failure modes the README showed exited 0.

#include "base/file_descriptor.h"
#include "base/temp_dir.h"
#include "tests/support/test_support.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace purist {
namespace {

const std::string kSource = PURIST_SOURCE_DIR;

/// The lines of the first ```sh block after `heading` in examples/README.md.
std::vector<std::string> commandsAfter(const std::string& heading) {
    std::string text = readFile(kSource + "/examples/README.md");
    size_t at = text.find(heading);
    EXPECT_NE(at, std::string::npos) << heading;
    size_t start = text.find("```sh\n", at) + 6;
    size_t end = text.find("```", start);
    std::vector<std::string> lines;
    std::istringstream in(text.substr(start, end - start));
    for (std::string line; std::getline(in, line);)
        if (!line.empty()) lines.push_back(line);
    return lines;
}

/// Splits a README line into arguments (after `build/purist`) and the exit code its
/// `# exit N` comment announces (-1 when none).
std::pair<std::vector<std::string>, int> parseLine(const std::string& line) {
    std::string command = line.substr(0, line.find('#'));
    int exitCode = -1;
    std::smatch match;
    if (std::regex_search(line, match, std::regex("# exit ([0-9]+)")))
        exitCode = std::stoi(match[1]);
    std::istringstream words(command);
    std::vector<std::string> args;
    std::string word;
    words >> word;
    EXPECT_EQ(word, "build/purist") << line;
    while (words >> word)
        args.push_back(word.starts_with("examples/") ? kSource + "/" + word : word);
    return {args, exitCode};
}

TEST(ExamplesReadme, FailureModesFailAsDescribed) {
    if (std::string why = testing::whyNoStrictBuilds(); !why.empty()) {
        PURIST_SKIP_OUTSIDE_CI(why);
    }
    TempDir dir("purist-readme-");
    std::filesystem::permissions(dir.path(), std::filesystem::perms(0755));
    const std::string root = dir.path() + "/root";
    auto run = [&](std::vector<std::string> args) {
        args.insert(args.begin(), {"--root", root});
        args.push_back("--no-out-link");
        // --no-out-link is a build flag; other commands refuse it.
        if (args[2] != "build") args.pop_back();
        return testing::runPurist(args);
    };
    // The build the README shows first, so that the check below has outputs to check.
    auto builds = commandsAfter("Build it");
    ASSERT_FALSE(builds.empty());
    auto [buildArgs, unused] = parseLine(builds.front());
    auto built = run(buildArgs);
    ASSERT_EQ(built.exitCode, 0) << built.err;

    auto failures = commandsAfter("Try the failure modes");
    ASSERT_GE(failures.size(), 2u);
    for (const std::string& line : failures) {
        auto [args, expected] = parseLine(line);
        ASSERT_GT(expected, 0) << "each failure mode says its exit code: " << line;
        auto result = run(args);
        EXPECT_EQ(result.exitCode, expected) << line << "\n" << result.out << result.err;
    }
}

} // namespace
} // namespace purist
