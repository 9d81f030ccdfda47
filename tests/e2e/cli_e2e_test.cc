// End to end: how the purist binary answers a command line it cannot parse.

#include "tests/support/test_support.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace purist {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST(CliE2eTest, AMistypedCommandIsNamedWithTheOneItResembles) {
    struct Case {
        std::vector<std::string> args;
        const char* message; ///< the first line of stderr, after "purist: error: "
    } cases[] = {
        {{"chek"}, "unknown command 'chek'; did you mean 'check'?"},
        {{"stroe", "verify"}, "unknown command 'stroe'; did you mean 'store'?"},
        {{"store", "verfy"}, "unknown command 'store verfy'; did you mean 'store verify'?"},
        // A global option's value is not taken for a command.
        {{"--root", "/nonexistent", "auidt"}, "unknown command 'auidt'; did you mean 'audit'?"},
        {{"audit", "--root", "/nonexistent", "--bogus"}, ""},
        // Nothing close enough: no guess.
        {{"xyzzy"}, "unknown command 'xyzzy'"},
        {{"store", "frobnicate"}, "unknown command 'store frobnicate'"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.args.front());
        auto run = testing::runPurist(c.args);
        EXPECT_EQ(run.exitCode, 2);
        EXPECT_THAT(run.err, StartsWith("purist: error: "));
        std::string firstLine = run.err.substr(0, run.err.find('\n'));
        if (*c.message) {
            EXPECT_EQ(firstLine, std::string("purist: error: ") + c.message);
        } else {
            EXPECT_THAT(firstLine, ::testing::Not(HasSubstr("unknown command")));
        }
    }
}

TEST(CliE2eTest, HelpAndVersionStillSucceed) {
    auto version = testing::runPurist({"--version"});
    EXPECT_EQ(version.exitCode, 0);
    EXPECT_THAT(version.out, HasSubstr("purist "));
    auto help = testing::runPurist({"store", "--help"});
    EXPECT_EQ(help.exitCode, 0);
    EXPECT_THAT(help.out, HasSubstr("verify"));
}

} // namespace
} // namespace purist
