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

// As `nix why-depends X X`: a path is in its own closure. Its chain is its reference to
// itself, with the file holding it, or no hop when it has none.
TEST(WhySelf, APathDependsOnItself) {
    SmallStore s;
    StorePath self = s.pathFor("self");
    s.add(self, {{"bin/tool", "#!" + s.print(self) + "/bin/sh"}});
    StorePath plain = s.pathFor("plain");
    s.add(plain, {{"f", "nothing"}});
    s.loadGraph();
    auto node = [&](const StorePath& p) { return static_cast<uint32_t>(s.graph().find(p)); };
    WhyResult result = whyDepends(s.view(), node(self), node(self), false);
    ASSERT_EQ(result.chains.size(), 1u);
    ASSERT_EQ(result.chains[0].size(), 1u);
    EXPECT_EQ(result.chains[0][0].to, s.print(self));
    EXPECT_EQ(result.chains[0][0].file, "bin/tool");
    const size_t at = 2 + s.store().layout().storeDir.size() + 1;
    EXPECT_EQ(result.chains[0][0].offset, at);
    EXPECT_THAT(renderWhyTree(result), HasSubstr("bin/tool at byte " + std::to_string(at)));
    WhyResult alone = whyDepends(s.view(), node(plain), node(plain), true);
    ASSERT_EQ(alone.chains.size(), 1u);
    EXPECT_TRUE(alone.chains[0].empty());
    EXPECT_EQ(renderWhyTree(alone), s.print(plain) + "\n");
}

// `--all-sites`: every file holding the reference, bounded by maxSites.
TEST_F(Diamond, AllSitesListsEveryFile) {
    StorePath many = s.pathFor("many");
    s.add(many, {{"a", s.print(libc)},
                 {"b", "x" + s.print(libc)},
                 {"c", "yy" + s.print(libc)},
                 {"d", "no reference"}});
    s.loadGraph();
    WhyResult one = whyDepends(s.view(), node(many), node(libc), false);
    EXPECT_TRUE(one.moreSites.empty());
    WhyResult every = whyDepends(s.view(), node(many), node(libc), false, 1000, true, 100);
    ASSERT_EQ(every.chains.size(), 1u);
    EXPECT_EQ(every.chains[0][0].file, "a");
    auto key = std::make_pair(s.print(many), s.print(libc));
    ASSERT_EQ(every.moreSites[key].size(), 2u);
    EXPECT_EQ(every.moreSites[key][0].file, "b");
    const size_t prefix = s.store().layout().storeDir.size() + 1;
    EXPECT_EQ(every.moreSites[key][0].offset, prefix + 1);
    EXPECT_EQ(every.moreSites[key][1].file, "c");
    EXPECT_FALSE(every.sitesTruncated.count(key));
    std::string tree = renderWhyTree(every);
    EXPECT_THAT(tree, HasSubstr("also b at byte " + std::to_string(prefix + 1)));
    EXPECT_THAT(tree, HasSubstr("also c at byte " + std::to_string(prefix + 2)));
    WhyResult capped = whyDepends(s.view(), node(many), node(libc), false, 1000, true, 2);
    EXPECT_EQ(capped.moreSites[key].size(), 1u);
    EXPECT_TRUE(capped.sitesTruncated.count(key));
    EXPECT_THAT(renderWhyTree(capped), HasSubstr("raise --max-sites"));
}

TEST_F(Diamond, ADependencyIsFoundByItsNameOrAPartOfIt) {
    uint32_t from = node(app);
    EXPECT_EQ(closureMembersNamed(s.graph(), from, "libc"), std::vector<uint32_t>{node(libc)});
    // No exact name: every member whose name holds it, breadth-first from `from`.
    std::vector<uint32_t> libs = closureMembersNamed(s.graph(), from, "lib");
    EXPECT_EQ(std::set<uint32_t>(libs.begin(), libs.end()),
              (std::set<uint32_t>{node(liba), node(libb), node(libc)}));
    EXPECT_TRUE(closureMembersNamed(s.graph(), node(libc), "liba").empty());
}

} // namespace
} // namespace purist::checker
