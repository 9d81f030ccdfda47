// purist why: the shortest chain, every chain, and the tree drawing.

#include "checker/why.h"

#include "tests/checker/checker_fixture.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace purist::checker {
namespace {

using ::testing::HasSubstr;
using testing::SmallStore;

// app -> {liba, libb}; liba -> libc; libb -> libc; app -> libc directly too.
class Diamond : public ::testing::Test {
protected:
    void SetUp() override {
        libc = s.pathFor("libc");
        s.add(libc, {{"lib/libc.so", "libc"}});
        liba = s.pathFor("liba");
        s.add(liba, {{"lib/a", "needs " + s.print(libc)}});
        libb = s.pathFor("libb");
        s.add(libb, {{"lib/b", "xx " + s.print(libc)}});
        app = s.pathFor("app");
        s.add(app, {{"bin/app", "A " + s.print(liba) + " B " + s.print(libb)},
                    {"etc/conf", s.print(libc)}});
        s.loadGraph();
    }
    uint32_t node(const StorePath& p) { return static_cast<uint32_t>(s.graph().find(p)); }

    SmallStore s;
    StorePath libc = StorePath::fromBaseName("00000000000000000000000000000000-x");
    StorePath liba = libc, libb = libc, app = libc;
};

TEST_F(Diamond, ShortestChainIsTheDirectReference) {
    WhyResult result = whyDepends(s.view(), node(app), node(libc), false);
    ASSERT_EQ(result.chains.size(), 1u);
    ASSERT_EQ(result.chains[0].size(), 1u);
    EXPECT_EQ(result.chains[0][0].file, "etc/conf");
    EXPECT_EQ(result.chains[0][0].offset, s.store().layout().storeDir.size() + 1);
}

TEST_F(Diamond, AllChainsShortestFirstWithEvidence) {
    WhyResult result = whyDepends(s.view(), node(app), node(libc), true);
    ASSERT_EQ(result.chains.size(), 3u);
    EXPECT_FALSE(result.truncated);
    EXPECT_EQ(result.chains[0].size(), 1u);
    EXPECT_EQ(result.chains[1].size(), 2u);
    EXPECT_EQ(result.chains[2].size(), 2u);
    for (const auto& chain : result.chains)
        for (const auto& hop : chain)
            EXPECT_FALSE(hop.file.empty()) << hop.from << " -> " << hop.to;
    std::string tree = renderWhyTree(result);
    EXPECT_EQ(tree.rfind(s.print(app) + "\n", 0), 0u) << tree;
    EXPECT_THAT(tree, HasSubstr("├───etc/conf at byte"));
    EXPECT_THAT(tree, HasSubstr("→ " + s.print(liba)));
    EXPECT_THAT(tree,
                HasSubstr("lib/b at byte " +
                          std::to_string(3 + s.store().layout().storeDir.size() + 1) + ": …"));
    WhyResult limited = whyDepends(s.view(), node(app), node(libc), true, 2);
    EXPECT_EQ(limited.chains.size(), 2u);
    EXPECT_TRUE(limited.truncated);
    EXPECT_THAT(renderWhyTree(limited), HasSubstr("more chains exist"));
}

TEST_F(Diamond, NoChainWhenNotADependency) {
    EXPECT_TRUE(whyDepends(s.view(), node(libc), node(app), false).chains.empty());
    EXPECT_TRUE(whyDepends(s.view(), node(liba), node(libb), true).chains.empty());
    EXPECT_EQ(renderWhyTree({}), "");
}

} // namespace
} // namespace purist::checker
