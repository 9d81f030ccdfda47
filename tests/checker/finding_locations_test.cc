// locateInSources: findings named where the developer fixes them, relative to their
// repository.

#include "checker/finding_locations.h"

#include "base/temp_dir.h"
#include "tests/support/test_support.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace purist::checker {
namespace {

namespace fs = std::filesystem;

reports::Finding findingOf(const std::string& ruleId, std::optional<SourceLocation> source = {}) {
    reports::Finding finding;
    finding.ruleId = ruleId;
    finding.source = std::move(source);
    return finding;
}

TEST(FindingLocationsTest, SpecCheckFindingsAreLocatedRelativeToTheRepository) {
    TempDir temp;
    std::string dir = fs::canonical(temp.path()).string();
    fs::create_directories(dir + "/repo/.git");
    fs::create_directories(dir + "/repo/pkgs/sub");
    testing::makeFile(dir + "/repo/pkgs/app.yaml", "name: app\n");
    testing::makeFile(dir + "/outside.yaml", "");
    reports::Report report;
    report.findings.push_back(findingOf("spec-check"));
    report.findings.push_back(findingOf("waiver", SourceLocation{dir + "/outside.yaml", 2, 1}));
    report.findings.push_back(findingOf("other"));
    std::map<std::string, SourceLocation> checks{
        {"spec-check", SourceLocation{dir + "/repo/pkgs/sub/../app.yaml", 4, 7}}};

    locateInSources(report, checks, dir + "/repo/pkgs/sub");

    std::string root = dir + "/repo/";
    EXPECT_EQ(report.sourceRoot, root);
    ASSERT_TRUE(report.findings[0].source);
    EXPECT_EQ(report.findings[0].source->file, "pkgs/app.yaml");
    EXPECT_EQ(report.findings[0].source->line, 4);
    EXPECT_EQ(report.findings[0].source->column, 7);
    // Outside the repository: named as it was.
    EXPECT_EQ(report.findings[1].source->file, dir + "/outside.yaml");
    EXPECT_FALSE(report.findings[2].source);
}

TEST(FindingLocationsTest, OutsideARepositoryTheWorkingDirectoryIsTheRoot) {
    TempDir dir;
    std::string cwd = fs::canonical(dir.path()).string();
    testing::makeFile(cwd + "/spec.yaml", "");
    reports::Report report;
    report.findings.push_back(findingOf("waiver", SourceLocation{cwd + "/spec.yaml", 1, 1}));
    reports::Finding located = findingOf("spec-check", SourceLocation{cwd + "/spec.yaml", 9, 9});
    report.findings.push_back(located);

    // A finding that has a source keeps it: the check's location does not replace it.
    locateInSources(report, {{"spec-check", SourceLocation{"/elsewhere.yaml", 1, 1}}}, cwd);

    EXPECT_EQ(report.sourceRoot, cwd + "/");
    EXPECT_EQ(report.findings[0].source->file, "spec.yaml");
    EXPECT_EQ(report.findings[1].source->file, "spec.yaml");
    EXPECT_EQ(report.findings[1].source->line, 9);
}

TEST(FindingLocationsTest, NothingLocatedLeavesTheSourceRootUnset) {
    TempDir dir;
    reports::Report report;
    report.findings.push_back(findingOf("rule"));
    locateInSources(report, {}, dir.path());
    EXPECT_TRUE(report.sourceRoot.empty());
}

} // namespace
} // namespace purist::checker
