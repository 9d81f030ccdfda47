// purist installed (`cmake --install` into a scratch prefix) and copied: the sandbox helper
// and the rule packs are found from where the binary is, never from the build tree it was
// built in; a copy without its helper says what is missing and where it looked; the man
// page and the completions cover every command and option that --help shows.

#include "base/temp_dir.h"
#include "base/version.h"
#include "tests/support/test_support.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <sys/stat.h>

namespace purist::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

const fs::path kBuildTree = fs::path(PURIST_BINARY).parent_path();
const std::string kExamples = std::string(PURIST_SOURCE_DIR) + "/examples";

std::string readFile(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

RunResult run(const fs::path& purist, std::vector<std::string> args) {
    args.insert(args.begin(), purist.string());
    return runProgram(args);
}

// One prefix for the whole suite: `cmake --install` takes a few hundred ms.
class InstallE2eTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        scratch_ = new TempDir("purist-install-e2e-");
        // Builds run as build users, who must reach the store and the binaries.
        fs::permissions(scratch_->path(), fs::perms(0755));
        prefix_ = fs::path(scratch_->path()) / "prefix";
        installResult_ =
            new RunResult(runProgram({PURIST_CMAKE_COMMAND, "--install", kBuildTree.string(),
                                      "--prefix", prefix_.string()}));
    }
    static void TearDownTestSuite() {
        delete installResult_;
        delete scratch_;
    }
    void SetUp() override {
        ASSERT_EQ(installResult_->exitCode, 0) << installResult_->out << installResult_->err;
    }

    static fs::path scratch() { return scratch_->path(); }
    static fs::path installed() { return prefix_ / "bin/purist"; }

    // A directory holding a copy of purist alone, as <dir>/bin/purist.
    static fs::path loneCopy() {
        fs::path bin = scratch() / "lone/bin";
        if (!fs::exists(bin / "purist")) {
            fs::create_directories(bin);
            fs::copy_file(PURIST_BINARY, bin / "purist");
            fs::permissions(scratch() / "lone", fs::perms(0755));
            fs::permissions(bin, fs::perms(0755));
        }
        return bin / "purist";
    }

    // A spec that builds in the strict sandbox with the examples' settings.
    static std::string tinySpec() {
        std::string spec = (scratch() / "tiny.yaml").string();
        if (!fs::exists(spec))
            makeFile(spec, "name: tiny-1.0\nbuilder: /bin/sh\nargs: [-c, 'echo built > $out']\n");
        return spec;
    }

    RunResult build(const fs::path& purist, const std::string& root) {
        return run(purist, {"--root", root, "build", "--config", kExamples + "/purist.yaml",
                            "--no-out-link", tinySpec()});
    }

    static TempDir* scratch_;
    static fs::path prefix_;
    static RunResult* installResult_;
};

TempDir* InstallE2eTest::scratch_ = nullptr;
fs::path InstallE2eTest::prefix_;
RunResult* InstallE2eTest::installResult_ = nullptr;

TEST_F(InstallE2eTest, InstallsTheProgramItsHelperPacksDocsManPageAndCompletions) {
    for (const char* file :
         {"bin/purist", "libexec/purist/purist-sandbox",
          "share/purist/rules/packs/impure-paths.yaml",
          "share/purist/rules/packs/bootstrap-tools.yaml",
          "share/purist/rules/packs/store-permissions.yaml", "share/purist/rules/rule-schema.json",
          "share/purist/examples/hello.yaml", "share/purist/scripts/demo.sh",
          "share/purist/scripts/create-build-users.sh", "share/doc/purist/README.md",
          "share/doc/purist/rules.md", "share/man/man1/purist.1",
          "share/bash-completion/completions/purist", "share/zsh/site-functions/_purist"})
        EXPECT_TRUE(fs::is_regular_file(prefix_ / file)) << file;
    // Not installed: a helper beside the program (it lives in libexec), test programs.
    EXPECT_FALSE(fs::exists(prefix_ / "bin/purist-sandbox"));
    EXPECT_EQ(fs::directory_iterator(prefix_ / "bin")->path().filename(), "purist");
    // What is installed is what this purist generates now.
    EXPECT_EQ(readFile(prefix_ / "share/man/man1/purist.1"),
              run(installed(), {"__generate", "man"}).out);
    EXPECT_EQ(readFile(prefix_ / "share/bash-completion/completions/purist"),
              run(installed(), {"__generate", "bash"}).out);
    EXPECT_EQ(readFile(prefix_ / "share/zsh/site-functions/_purist"),
              run(installed(), {"__generate", "zsh"}).out);
}

TEST_F(InstallE2eTest, TheVersionComesFromTheProjectVersion) {
    EXPECT_EQ(run(installed(), {"--version"}).out, std::string("purist ") + kVersion + "\n");
    EXPECT_THAT(std::string(kVersion), ::testing::MatchesRegex("[0-9]+\\.[0-9]+\\.[0-9]+"));
}

TEST_F(InstallE2eTest, AnInstalledPuristBuildsWithTheInstalledHelper) {
    if (std::string why = whyNoStrictBuilds(); !why.empty()) PURIST_SKIP_OUTSIDE_CI(why);
    RunResult result = build(installed(), (scratch() / "root-installed").string());
    EXPECT_EQ(result.exitCode, 0) << result.err;
    EXPECT_THAT(result.out, HasSubstr("-tiny-1.0"));
}

// The build tree's helper is there and usable (the test suites use it), yet a copy of
// purist elsewhere must not pick it up: it names the two places that count and fails.
TEST_F(InstallE2eTest, ACopyWithoutItsHelperSaysWhatIsMissingAndWhereItLooked) {
    ASSERT_TRUE(fs::exists(kBuildTree / "purist-sandbox"));
    const fs::path lone = loneCopy();
    RunResult result = build(lone, (scratch() / "root-lone").string());
    EXPECT_EQ(result.exitCode, 4) << result.out << result.err;
    const std::string beside = (lone.parent_path() / "purist-sandbox").string();
    const std::string libexec = (scratch() / "lone/libexec/purist/purist-sandbox").string();
    EXPECT_THAT(result.err, HasSubstr("the sandbox helper purist-sandbox is missing: looked for " +
                                      beside + ", " + libexec + ";"));
    EXPECT_THAT(result.err, Not(HasSubstr((kBuildTree / "purist-sandbox").string())));
}

TEST_F(InstallE2eTest, AHelperBesideACopyIsUsed) {
    if (std::string why = whyNoStrictBuilds(); !why.empty()) PURIST_SKIP_OUTSIDE_CI(why);
    fs::path bin = scratch() / "pair";
    fs::create_directories(bin);
    fs::permissions(bin, fs::perms(0755));
    for (const char* name : {"purist", "purist-sandbox"})
        fs::copy_file(kBuildTree / name, bin / name, fs::copy_options::overwrite_existing);
    RunResult result = build(bin / "purist", (scratch() / "root-pair").string());
    EXPECT_EQ(result.exitCode, 0) << result.err;
}

TEST_F(InstallE2eTest, RulePacksAreFoundByNameFromTheInstallAndTheBuildTree) {
    const std::string root = (scratch() / "root-packs").string();
    makeFile((scratch() / "source/file").string(), "uses /usr/bin/env\n");
    RunResult added =
        run(installed(), {"--root", root, "store", "add", (scratch() / "source").string()});
    ASSERT_EQ(added.exitCode, 0) << added.err;
    const std::string path = added.out.substr(0, added.out.find('\n'));

    RunResult fromInstall =
        run(installed(), {"--root", root, "check", "--policy", "impure-paths", path});
    EXPECT_EQ(fromInstall.exitCode, 1) << fromInstall.err;
    EXPECT_THAT(fromInstall.out, HasSubstr("impure-paths/host-usr"));
    EXPECT_THAT(fromInstall.out,
                HasSubstr((prefix_ / "share/purist/rules/packs/impure-paths.yaml").string()));
    EXPECT_THAT(fromInstall.out, HasSubstr("purist " + std::string(kVersion)));

    // The build tree's purist reads the source tree's packs.
    RunResult fromBuildTree =
        runPurist({"--root", root, "check", "--policy", "impure-paths.yaml", path});
    EXPECT_EQ(fromBuildTree.exitCode, 1) << fromBuildTree.err;
    EXPECT_THAT(fromBuildTree.out,
                HasSubstr(std::string(PURIST_SOURCE_DIR) + "/rules/packs/impure-paths.yaml"));

    RunResult unknown = run(installed(), {"--root", root, "check", "--policy", "no-such", path});
    EXPECT_EQ(unknown.exitCode, 2);
    EXPECT_THAT(unknown.err,
                HasSubstr("--policy no-such: no such file, and no rule pack of that name in " +
                          (prefix_ / "share/purist/rules/packs").string() +
                          " (the packs there: bootstrap-tools, impure-paths, store-permissions)"));

    // A copy without the install's share/ finds no pack, and never the source tree's.
    RunResult lone = run(loneCopy(), {"--root", root, "check", "--policy", "impure-paths", path});
    EXPECT_EQ(lone.exitCode, 2);
    EXPECT_THAT(lone.err, HasSubstr("no rule pack of that name in " +
                                    (scratch() / "lone/share/purist/rules/packs").string()));
    EXPECT_THAT(lone.err, Not(HasSubstr(PURIST_SOURCE_DIR)));
}

// ---- the man page and the completions against --help ----

/// What `purist ... --help` lists: the command's subcommands, options and positionals.
struct Help {
    std::vector<std::string> subcommands, options, positionals;
};

Help parseHelp(const std::string& text) {
    Help help;
    std::vector<std::string>* section = nullptr;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        if (line == "Subcommands:") section = &help.subcommands;
        if (line == "Options:") section = &help.options;
        if (line == "Positionals:") section = &help.positionals;
        // An entry: two spaces, then its name(s); a description alone is indented further.
        if (!section || line.size() < 3 || line.compare(0, 2, "  ") != 0 || line[2] == ' ')
            continue;
        std::string names = line.substr(2, line.find(' ', 2) - 2);
        if (section == &help.options) {
            std::istringstream split(names);
            for (std::string name; std::getline(split, name, ',');)
                section->push_back(name);
        } else {
            section->push_back(names);
        }
    }
    return help;
}

/// Every command path ("purist", "purist store", "purist store add", ...) with its --help.
std::map<std::string, Help> helpTree() {
    std::map<std::string, Help> tree;
    std::vector<std::vector<std::string>> pending = {{}};
    while (!pending.empty()) {
        std::vector<std::string> words = pending.back();
        pending.pop_back();
        std::vector<std::string> args = words;
        args.push_back("--help");
        RunResult result = runPurist(args);
        EXPECT_EQ(result.exitCode, 0) << result.err;
        std::string path = "purist";
        for (const auto& word : words)
            path += " " + word;
        tree[path] = parseHelp(result.out);
        for (const auto& sub : tree[path].subcommands) {
            pending.push_back(words);
            pending.back().push_back(sub);
        }
    }
    return tree;
}

/// A name as roff writes it: every '-' escaped.
std::string roffName(const std::string& name) {
    std::string out;
    for (char c : name)
        out += c == '-' ? std::string("\\-") : std::string(1, c);
    return out;
}

/// The part of `text` from the line starting with `start` to the next line starting with
/// one of `ends`; empty if there is no such line.
std::string section(const std::string& text, const std::string& start,
                    const std::vector<std::string>& ends) {
    size_t from = text.find("\n" + start);
    if (from == std::string::npos) return "";
    size_t to = std::string::npos;
    for (const auto& end : ends)
        to = std::min(to, text.find("\n" + end, from + 1));
    return text.substr(from, to == std::string::npos ? std::string::npos : to - from);
}

class GeneratedDocsTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() { tree_ = new std::map<std::string, Help>(helpTree()); }
    static void TearDownTestSuite() { delete tree_; }
    static std::map<std::string, Help>* tree_;
};
std::map<std::string, Help>* GeneratedDocsTest::tree_ = nullptr;

TEST_F(GeneratedDocsTest, HelpListsTheCommandsItShould) {
    // The parser of --help works: it finds the nested commands and their options.
    ASSERT_TRUE(tree_->count("purist store add"));
    EXPECT_THAT(tree_->at("purist").options, ::testing::IsSupersetOf({"--root", "--version"}));
    EXPECT_THAT(tree_->at("purist build").options,
                ::testing::IsSupersetOf({"-K", "--keep-failed", "--sandbox"}));
    EXPECT_THAT(tree_->at("purist build").positionals, ::testing::ElementsAre("specs"));
    EXPECT_FALSE(tree_->count("purist __generate")); // hidden
    EXPECT_GE(tree_->size(), 15u);
}

TEST_F(GeneratedDocsTest, TheManPageDocumentsEveryCommandOptionAndArgument) {
    RunResult man = runPurist({"__generate", "man"});
    ASSERT_EQ(man.exitCode, 0) << man.err;
    EXPECT_THAT(man.out, HasSubstr(".TH PURIST 1 \"\" \"purist " + std::string(kVersion)));
    EXPECT_THAT(man.out, Not(HasSubstr(".SS \"purist __generate")));
    for (const auto& [path, help] : *tree_) {
        const std::string text =
            path == "purist" ? section(man.out, ".SH GLOBAL OPTIONS", {".SH", ".SS"})
                             : section(man.out, ".SS \"" + roffName(path) + " ", {".SH", ".SS"});
        ASSERT_FALSE(text.empty()) << path << " has no section";
        for (const auto& option : help.options)
            EXPECT_THAT(text, HasSubstr("\\fB" + roffName(option) + "\\fR")) << path;
        for (const auto& positional : help.positionals)
            EXPECT_THAT(text, HasSubstr("\\fI" + roffName(positional) + "\\fR")) << path;
    }
    if (!haveProgram("man")) return;
    // man(1) renders it without a warning (a broken macro, an unknown escape).
    TempDir dir("purist-man-");
    makeFile(dir.path() + "/purist.1", man.out);
    RunResult rendered = runProgram({"man", "--warnings", "-l", dir.path() + "/purist.1"}, "",
                                    {"MANWIDTH=100", "MANPAGER=cat", "PAGER=cat"});
    EXPECT_EQ(rendered.exitCode, 0);
    EXPECT_EQ(rendered.err, "");
    EXPECT_THAT(rendered.out, HasSubstr("--keep-failed"));
}

TEST_F(GeneratedDocsTest, TheBashCompletionOffersEveryCommandAndOption) {
    RunResult bash = runPurist({"__generate", "bash"});
    ASSERT_EQ(bash.exitCode, 0) << bash.err;
    TempDir dir("purist-bash-");
    const std::string script = dir.path() + "/purist.bash";
    makeFile(script, bash.out);
    // Asks the completion itself what it offers after `words`, the last being completed.
    auto complete = [&](const std::vector<std::string>& words) {
        std::string array;
        for (const auto& word : words)
            array += " '" + word + "'";
        RunResult result = runProgram({"bash", "-c",
                                       "source \"$0\" && COMP_WORDS=(" + array +
                                           ") && COMP_CWORD=$((${#COMP_WORDS[@]} - 1)) "
                                           "&& _purist && printf '%s\\n' \"${COMPREPLY[@]}\"",
                                       script});
        EXPECT_EQ(result.exitCode, 0) << result.err;
        std::set<std::string> offered;
        std::istringstream lines(result.out);
        for (std::string line; std::getline(lines, line);)
            offered.insert(line);
        return offered;
    };
    for (const auto& [path, help] : *tree_) {
        std::vector<std::string> words;
        std::istringstream split(path);
        for (std::string word; split >> word;)
            words.push_back(word);
        words.push_back("");
        std::set<std::string> commands = complete(words);
        for (const auto& sub : help.subcommands)
            EXPECT_TRUE(commands.count(sub)) << path << " does not offer " << sub;
        words.back() = "-";
        std::set<std::string> options = complete(words);
        for (const auto& option : help.options)
            EXPECT_TRUE(options.count(option)) << path << " does not offer " << option;
        // Global options work after a command too (CLI11 fallthrough).
        if (path != "purist") {
            EXPECT_TRUE(options.count("--root")) << path;
        }
    }
    EXPECT_EQ(complete({"purist", "build", "--sandbox", ""}),
              (std::set<std::string>{"strict", "relaxed", "off"}));
    EXPECT_EQ(complete({"purist", "--root", "/r", "store", "ad"}), std::set<std::string>{"add"});
}

TEST_F(GeneratedDocsTest, TheZshCompletionOffersEveryCommandAndOption) {
    RunResult zsh = runPurist({"__generate", "zsh"});
    ASSERT_EQ(zsh.exitCode, 0) << zsh.err;
    ASSERT_TRUE(zsh.out.starts_with("#compdef purist\n"));
    for (const auto& [path, help] : *tree_) {
        std::string function = "_purist";
        for (char c : path.substr(6))
            function += c == ' ' || c == '-' ? '_' : c;
        const std::string body = section(zsh.out, function + "() {", {"}"});
        ASSERT_FALSE(body.empty()) << path << ": no " << function;
        for (const auto& sub : help.subcommands)
            EXPECT_THAT(body, HasSubstr("'" + sub + ":")) << path;
        for (const auto& option : help.options)
            EXPECT_THAT(body, ::testing::ContainsRegex("[{,'*]" + option + "[],[}]")) << path;
    }
    if (!haveProgram("zsh")) {
        PURIST_SKIP_OUTSIDE_CI("zsh is not installed: the completion's syntax is unchecked");
        return;
    }
    TempDir dir("purist-zsh-");
    makeFile(dir.path() + "/_purist", zsh.out);
    RunResult syntax = runProgram({"zsh", "-n", dir.path() + "/_purist"});
    EXPECT_EQ(syntax.exitCode, 0) << syntax.err;
}

} // namespace
} // namespace purist::testing
