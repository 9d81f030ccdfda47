// Tests for reports/html_reporter.cc at audit scale: findings grouped by rule and offender
// with their counts, the summaries, paths by name, "not computed" closures, bounded size
// and rows; and the report as a reader gets it, in headless Chromium: the script runs, the
// search and the filters hide what they should and count what they show, links open what
// they point at, nothing is fetched, and the page stays a few screens tall.

#include "reports/escaping.h"
#include "reports/report_summary.h"
#include "reports/reporters.h"

#include "base/error.h"
#include "base/temp_dir.h"
#include "tests/checker/checker_fixture.h"
#include "tests/reports/report_test_support.h"
#include "tests/support/test_support.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

namespace purist::reports {
namespace {

using nlohmann::json;

std::string render(const Report& report) {
    std::ostringstream out;
    writeReport(report, ReportFormat::Html, out);
    return out.str();
}

size_t occurrences(const std::string& text, const std::string& needle) {
    size_t n = 0;
    for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1))
        ++n;
    return n;
}

/// An audit shaped like issue 13's (20,762 findings over 10,341 paths): 12 rules of every
/// severity, `paths` checked paths (one in 50 without a computed closure), and findings
/// naming 40 offenders, most of them bootstrap-tools (under two hashes, as after a
/// rebuild), with chains, content sites, waived and baseline findings.
Report auditModel(size_t findingCount, size_t paths = 10000) {
    Report report;
    report.toolVersion = "0.1.0";
    report.startedAt = "2026-12-03T04:00:00Z";
    report.storeDir = "/nix/store";
    report.policyFiles = {"rules/packs/bootstrap.yaml"};
    for (unsigned r = 0; r < 12; ++r)
        report.rules.push_back({"rule-" + std::to_string(r), static_cast<Severity>(r % 3),
                                "{path} must not depend on {offender_name}", "",
                                "rules/packs/bootstrap.yaml", static_cast<int>(r * 10 + 1)});
    for (unsigned p = 0; p < paths; ++p) {
        CheckedPath checked;
        checked.path = storePath("pkg-" + std::to_string(p) + "-1.0", p);
        checked.narSize = 1000 + p;
        if (p % 50 != 49) {
            checked.closureSize = (p % 97 + 1) * 1024 * 1024 + p;
            checked.closurePaths = 1 + p % 40;
        }
        report.checked.push_back(std::move(checked));
    }
    std::vector<std::string> offenders = {storePath("bootstrap-tools", 1),
                                          storePath("bootstrap-tools", 2)};
    for (unsigned k = 1; k < 40; ++k)
        offenders.push_back(storePath("off-" + std::to_string(k) + "-lib", 100 + k));
    for (size_t i = 0; i < findingCount; ++i) {
        Finding finding;
        const RuleInfo& rule = report.rules[i % report.rules.size()];
        finding.ruleId = rule.id;
        finding.severity = rule.severity;
        finding.path = report.checked[(i * 7919) % paths].path;
        // Half the findings of every rule name bootstrap-tools; the rest 39 other offenders.
        size_t round = i / report.rules.size();
        finding.offender =
            round % 2 == 0 ? offenders[(round / 2) % 2] : offenders[2 + (round / 2) % 39];
        finding.message = std::string(storePathName(finding.path)) + " must not depend on " +
                          std::string(storePathName(finding.offender));
        if (i % 3 == 0) {
            std::string lib = storePath("libfoo-1.0", 7);
            finding.chain = {{finding.path, lib, "bin/app", 4242 + i, "RPATH=" + lib},
                             {lib, finding.offender, "lib/libfoo.so", 77, "#!" + finding.offender}};
        } else if (i % 3 == 1) {
            finding.sites = {{"bin/app", 9000 + i, "..." + finding.offender + "/bin/sh"}};
        }
        if (i % 10 == 0) finding.waiverReason = "accepted until the 2027 rebuild";
        finding.inBaseline = i % 7 == 0;
        finding.fingerprint = rule.id + ":" + std::to_string(i);
        report.findings.push_back(std::move(finding));
    }
    return report;
}

std::set<std::pair<std::string, std::string>> groupsOf(const Report& report) {
    std::set<std::pair<std::string, std::string>> groups;
    for (const Finding& finding : report.findings)
        groups.emplace(finding.ruleId, storePathName(finding.offender));
    return groups;
}

TEST(HtmlReportTest, ManyFindingsNamingOneOffenderAreOneGroupWithCounts) {
    Report report = auditModel(0, 400);
    std::string boot1 = storePath("bootstrap-tools", 1), boot2 = storePath("bootstrap-tools", 2);
    for (size_t p = 0; p < 340; ++p) {
        Finding finding;
        finding.ruleId = "rule-2";
        finding.severity = Severity::Error;
        finding.path = report.checked[p].path;
        finding.offender = p < 300 ? boot1 : boot2;
        finding.message = "depends on bootstrap-tools";
        finding.waiverReason = p < 40 ? std::optional<std::string>("until 2027") : std::nullopt;
        report.findings.push_back(finding);
    }
    Finding other;
    other.ruleId = "rule-2";
    other.severity = Severity::Error;
    other.path = report.checked[1].path;
    other.offender = storePath("perl-5.38", 9);
    other.message = "depends on perl";
    report.findings.push_back(other);

    std::string html = render(report);
    EXPECT_EQ(occurrences(html, "<details class=\"grp\""), 2u);
    EXPECT_NE(html.find("<code>bootstrap-tools</code> <span class=\"meta\">340 findings &middot; "
                        "340 paths</span><i class=\"t fl\">300 fail</i><i class=\"t wv\">40 "
                        "waived</i>"),
              std::string::npos);
    // Both store paths of the name are named in the group.
    size_t group = html.find("<details class=\"grp\"");
    size_t groupEnd = html.find("</details>", group);
    std::string first = html.substr(group, groupEnd - group);
    EXPECT_NE(first.find("offender <code>" + std::min(boot1, boot2) + "</code>, <code>" +
                         std::max(boot1, boot2) + "</code>"),
              std::string::npos);
    // Three findings with their evidence, the other 337 as one line each.
    EXPECT_EQ(occurrences(first, "<div class=\"f finding "), 3u);
    EXPECT_EQ(occurrences(first, "<li class=\"f "), 337u);
    // The summaries: one row per offender name, its counts, and the rule's row.
    EXPECT_NE(html.find("data-q=\"bootstrap-tools\"><code>bootstrap-tools</code></a></td><td "
                        "class=\"num\" data-v=\"340\">340</td><td class=\"num\" "
                        "data-v=\"300\">300</td><td class=\"num\" data-v=\"340\">340</td>"),
              std::string::npos);
    EXPECT_NE(html.find("<a href=\"#r0\">rule-2</a></code></td><td>error</td><td class=\"num\" "
                        "data-v=\"341\">341</td><td class=\"num\" data-v=\"301\">301</td><td "
                        "class=\"num\" data-v=\"40\">40</td><td class=\"num\" "
                        "data-v=\"0\">0</td><td class=\"num\" data-v=\"2\">2</td><td "
                        "class=\"num\" data-v=\"340\">340</td>"),
              std::string::npos);
    // The larger group comes first.
    size_t findings = html.find("<h2 id=\"findings\">");
    EXPECT_LT(html.find("<code>bootstrap-tools</code> <span", findings),
              html.find("<code>perl-5.38</code> <span", findings));
}

TEST(HtmlReportTest, PathsAreListedByNameAndLinkedFromTheirFindings) {
    Report report;
    report.toolVersion = "0.1.0";
    // Hash order (seeds) and name order disagree.
    for (auto [name, seed] : std::vector<std::pair<std::string, unsigned>>{
             {"zlib-1.3", 1}, {"bash-5.2", 2}, {"openssl-3.0", 3}, {"attr-2.5", 4}}) {
        CheckedPath checked;
        checked.path = storePath(name, seed);
        checked.closurePaths = 1;
        checked.closureSize = 1000;
        report.checked.push_back(checked);
    }
    Finding finding;
    finding.ruleId = "r";
    finding.path = report.checked[0].path;
    finding.message = "zlib is bad";
    report.findings.push_back(finding);
    std::string html = render(report);
    std::regex row("<tr id=\"p([0-9]+)\"[^>]*><td><code title=\"[^\"]*\">([^<]*)</code>");
    std::vector<std::string> names;
    for (auto it = std::sregex_iterator(html.begin(), html.end(), row);
         it != std::sregex_iterator(); ++it)
        names.push_back((*it)[2]);
    EXPECT_EQ(names, (std::vector<std::string>{"attr-2.5", "bash-5.2", "openssl-3.0", "zlib-1.3"}));
    // The finding links to its path's row, and the row's count selects its findings.
    EXPECT_NE(html.find("<a href=\"#p0\" title=\"" + report.checked[0].path + "\">"),
              std::string::npos);
    EXPECT_NE(html.find("<a href=\"#findings\" data-q=\"" + report.checked[0].path + "\">1</a>"),
              std::string::npos);
}

TEST(HtmlReportTest, AClosureNotComputedIsSaidSoNotZero) {
    Report report;
    report.toolVersion = "0.1.0";
    CheckedPath computed, missing;
    computed.path = storePath("hello-2.12", 1);
    computed.narSize = 2048;
    computed.closureSize = 5 * 1024 * 1024;
    computed.closurePaths = 3;
    missing.path = storePath("tool-x-1.0", 2);
    missing.narSize = 4096;
    report.checked = {computed, missing};
    std::string html = render(report);
    size_t row = html.find("<tr id=\"p1\"");
    ASSERT_NE(row, std::string::npos);
    std::string missingRow = html.substr(row, html.find("</tr>", row) - row);
    EXPECT_EQ(occurrences(missingRow, ">not computed</td>"), 2u) << missingRow;
    EXPECT_EQ(missingRow.find("0 B"), std::string::npos) << missingRow;
    EXPECT_EQ(missingRow.find("0 paths"), std::string::npos) << missingRow;
    EXPECT_NE(html.find("<td class=\"num\" data-v=\"3\">3 paths</td><td class=\"num\" "
                        "data-v=\"5242880\">5.0 MiB</td>"),
              std::string::npos);
    // Only the computed closure is charted among the heaviest.
    size_t bars = html.find("<div class=\"bars\">");
    std::string chart = html.substr(bars, html.find("</div>\n<h2", bars) - bars);
    EXPECT_NE(chart.find("hello-2.12"), std::string::npos);
    EXPECT_EQ(chart.find("tool-x-1.0"), std::string::npos);

    report.checked = {missing};
    EXPECT_NE(render(report).find("No closure sizes were computed in this run."),
              std::string::npos);
}

TEST(HtmlReportTest, TwentyThousandFindingsStayBoundedAndAllListed) {
    Report report = auditModel(20000);
    std::string html = render(report);
    // 12.8 MB for 20,762 findings before; every finding is still listed (one element each).
    EXPECT_LT(html.size(), 6u * 1000 * 1000) << html.size();
    EXPECT_EQ(occurrences(html, " class=\"f "), 20000u);
    EXPECT_EQ(occurrences(html, "<details class=\"grp\""), groupsOf(report).size());
    // More groups than a screen holds: rules start collapsed, and so do groups.
    EXPECT_EQ(occurrences(html, "<details class=\"rule "), 12u);
    EXPECT_EQ(occurrences(html, " open data-o"), 0u);
    EXPECT_NE(html.find("<nav class=\"toc\""), std::string::npos);
    EXPECT_NE(html.find("Findings</a> (20,000 findings in " +
                        std::to_string(groupsOf(report).size()) + " groups)"),
              std::string::npos);
    EXPECT_EQ(occurrences(html, "<tr id=\"p"), 2000u) << "the checked-path table is capped";
    EXPECT_NE(html.find("8,000 more paths not listed"), std::string::npos);
    EXPECT_EQ(html.find(" per report); the JSON"), std::string::npos) << "no finding left out";
}

TEST(HtmlReportTest, RowsBeyondTheCapsAreCountedAndSaidToBeLeftOut) {
    Report report = auditModel(0, 10);
    for (size_t i = 0; i < 2500; ++i) {
        Finding finding;
        finding.ruleId = "rule-0";
        finding.path = report.checked[i % 10].path;
        finding.offender = storePath("bootstrap-tools", 1);
        finding.message = "finding " + std::to_string(i);
        report.findings.push_back(finding);
    }
    std::string html = render(report);
    EXPECT_NE(html.find("2,500 findings &middot; 10 paths"), std::string::npos);
    EXPECT_EQ(occurrences(html, "<li class=\"f "), 2000u);
    EXPECT_NE(html.find("497 more findings of this group not listed"), std::string::npos);
    EXPECT_NE(html.find("497 findings are counted in the groups above but not listed"),
              std::string::npos);
}

TEST(HtmlReportTest, HostileOffendersAndPathsStayTextInEveryNewPlace) {
    // Offender names and paths now also land in attributes (the group's search key, the
    // summary's search link, the path's title): each must stay one attribute value.
    Report report = auditModel(0, 3);
    const std::string evil = "x\"' onmouseover=\"alert(1)\"><script>alert(2)</script>&amp;";
    report.checked[0].path += evil;
    Finding finding;
    finding.ruleId = "rule-2" + evil;
    finding.path = report.checked[0].path;
    finding.offender = storePath("bootstrap-tools" + evil, 1);
    finding.message = "message" + evil;
    report.findings = {finding, finding};
    report.findings[1].chain = {{finding.path, finding.offender, "bin/" + evil, 1, evil}};
    std::string html = render(report);
    EXPECT_EQ(occurrences(html, "<script"), 1u) << "only the report's own script";
    EXPECT_EQ(html.find("onmouseover=\""), std::string::npos);
    EXPECT_EQ(html.find("\"' onmouseover"), std::string::npos);
    // (The '/' of "</script>" makes the offender no store path name: it is shown whole.)
    EXPECT_NE(html.find("data-q=\"" + markupEscaped(finding.offender) + "\""), std::string::npos);
    EXPECT_NE(html.find("title=\"" + markupEscaped(report.checked[0].path) + "\""),
              std::string::npos);
    EXPECT_NE(html.find("&amp;amp;"), std::string::npos) << "an entity in a name is text";
}

// --- In headless Chromium ----------------------------------------------------------------

std::string chromiumBinary() {
    for (const char* name : {"chromium", "chromium-browser", "google-chrome"})
        if (purist::testing::haveProgram(name)) return name;
    return "";
}

std::vector<std::string> chromiumArgs(const std::string& binary, const TempDir& dir) {
    return {binary,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-dev-shm-usage",
            "--enable-logging=stderr", // the page's console, for a failure's message
            "--v=0",
            "--user-data-dir=" + dir.path() + "/profile",
            "--window-size=1280,1600"};
}

/// The lines of Chromium's log that are the page's console (its errors among them).
std::string consoleOf(const std::string& log) {
    std::string lines;
    std::istringstream in(log);
    for (std::string line; std::getline(in, line);)
        if (line.find(":CONSOLE") != std::string::npos) lines += line + '\n';
    return lines;
}

// Appended to a copy of the report (the report's own script has run by then): times a
// filter and a search while the page is parsed, then drives the search, a filter, an
// offender link, a path link and a table header as a reader would, one step per 400 ms of
// virtual time (the search waits 150 ms for the typing to stop),
// and leaves what it saw as JSON in <pre id="purist-test">.
constexpr const char* kDriver = R"js(<script>
(function(){
var d=document,q=d.getElementById('q'),st=d.getElementById('stat'),out={};
function shownOf(sel){return Array.prototype.filter.call(d.querySelectorAll(sel),
  function(e){return getComputedStyle(e).display!=='none';}).length;}
function state(){return {shown:+st.dataset.shown,groups:+st.dataset.groups,
  visibleGroups:shownOf('details.grp'),visibleRows:shownOf('.f'),
  visibleErrors:shownOf('.f.error'),openGroups:d.querySelectorAll('details.grp[open]').length,
  visibleRules:shownOf('details.rule'),text:st.textContent};}
function type(v){q.value=v;q.dispatchEvent(new Event('input'));}
function box(k){return d.querySelector('input[data-hide="'+k+'"]');}
out.load=state();
out.load.js=st.dataset.js;
out.load.height=d.documentElement.scrollHeight;
out.load.openRules=d.querySelectorAll('details.rule[open]').length;
var t=performance.now();box('error').click();out.filterMs=performance.now()-t;
box('error').click();
t=performance.now();d.querySelector('a[data-q]').click();out.searchMs=performance.now()-t;
var steps=[
 function(){type(PATH);},
 function(){out.path=state();type('bootstrap-tools');},
 function(){out.offender=state();type('');},
 function(){out.cleared=state();box('error').click();},
 function(){out.noErrors=state();box('error').click();box('waived').click();},
 function(){out.noWaived=state();box('waived').click();
   d.querySelector('a[data-q]').click();},
 function(){out.offenderLink=state();out.offenderLink.q=q.value;type('');
   location.hash='#p'+PATHINDEX;},
 function(){var row=d.getElementById('p'+PATHINDEX);
   out.pathLink={open:row.closest('details').open,hash:location.hash};
   var table=row.closest('table');table.querySelectorAll('th')[3].click();
   out.sorted=Array.prototype.slice.call(table.tBodies[0].rows,0,5)
     .map(function(r){return +r.cells[3].dataset.v;});
   out.resources=performance.getEntriesByType('resource').map(function(e){return e.name;});
   out.external=d.querySelectorAll('[src],link[rel=stylesheet],iframe,img').length;}];
function next(){if(!steps.length){var pre=d.createElement('pre');pre.id='purist-test';
  pre.textContent=JSON.stringify(out);d.body.appendChild(pre);return;}
  steps.shift()();setTimeout(next,400);}
setTimeout(next,0);
})();
</script>
)js";

/// Loads `page` in headless Chromium and returns the JSON the page's driver left in
/// <pre id="purist-test">; fails the test (and returns null) when it left none.
json driveInChromium(const std::string& chromium, const TempDir& dir, const std::string& page) {
    std::vector<std::string> argv = chromiumArgs(chromium, dir);
    argv.insert(argv.end(), {"--virtual-time-budget=30000", "--dump-dom", "file://" + page});
    purist::testing::RunResult run = purist::testing::runProgram(argv);
    EXPECT_EQ(run.exitCode, 0) << consoleOf(run.err);
    const std::string marker = "<pre id=\"purist-test\">";
    size_t start = run.out.find(marker);
    if (start == std::string::npos) {
        ADD_FAILURE() << "the driver did not finish; the page's console said:\n"
                      << consoleOf(run.err);
        return nullptr;
    }
    start += marker.size();
    return json::parse(run.out.substr(start, run.out.find("</pre>", start) - start));
}

// A real audit of a real store, as `purist audit --output html=FILE` writes it: every
// finding naming bootstrap-tools in one group, every closure size computed, paths by name,
// and the page's counts, search and filter right in Chromium.
TEST(HtmlReportChromiumTest, ARealAuditGroupsItsFindingsAndCountsThemInChromium) {
    checker::testing::SmallStore s;
    StorePath tools = s.pathFor("bootstrap-tools-1.0");
    s.add(tools, {{"bin/sh", "sh"}});
    for (int i = 0; i < 12; ++i) {
        StorePath app = s.pathFor("app-" + std::to_string(i) + "-1.0");
        s.add(app, {{"bin/app", "#!" + s.print(tools) + "/bin/sh\n"}});
    }
    for (int i = 0; i < 5; ++i)
        s.add(s.pathFor("lib-" + std::to_string(i) + "-2.0"), {{"lib/x", "clean"}});
    TempDir dir("purist-html-audit-");
    std::string policy = dir.path() + "/policy.yaml";
    purist::testing::makeFile(policy, R"(rules:
  - id: no-bootstrap
    severity: error
    match: { names: ['^app-', '^lib-'] }
    forbid-requisites: { names: ['bootstrap-tools'] }
)");
    std::string report = dir.path() + "/audit.html";
    purist::testing::RunResult run =
        purist::testing::runPurist({"--root", s.store().layout().root, "audit", "--policy", policy,
                                    "--output", "html=" + report});
    ASSERT_EQ(run.exitCode, 1) << run.err;
    std::string html = readFile(report);
    EXPECT_EQ(occurrences(html, "<details class=\"grp\""), 1u);
    EXPECT_NE(html.find("<code>bootstrap-tools-1.0</code> <span class=\"meta\">12 findings "
                        "&middot; 12 paths</span><i class=\"t fl\">12 fail</i>"),
              std::string::npos);
    // An audit computes every checked path's closure size: none is "not computed".
    EXPECT_EQ(occurrences(html, "<tr id=\"p"), 18u);
    EXPECT_EQ(html.find("not computed"), std::string::npos);
    EXPECT_NE(html.find("<td class=\"num\" data-v=\"2\">2 paths</td>"), std::string::npos)
        << "an app's closure: itself and bootstrap-tools";
    // By name: app-0, app-1, app-10, app-11, app-2, ..., bootstrap-tools, lib-0, ...
    std::regex row("<tr id=\"p[0-9]+\"[^>]*><td><code title=\"[^\"]*\">([^<]*)</code>");
    std::vector<std::string> names;
    for (auto it = std::sregex_iterator(html.begin(), html.end(), row);
         it != std::sregex_iterator(); ++it)
        names.push_back((*it)[1]);
    ASSERT_EQ(names.size(), 18u);
    EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
    EXPECT_EQ(names.front(), "app-0-1.0");
    EXPECT_EQ(names.back(), "lib-4-2.0");
    // The audit's picture: no closures were collected, so the checked paths themselves,
    // the offender red, the paths with failing findings orange, the clean ones grey.
    size_t svg = html.find("<title>the checked paths by NAR size</title>");
    ASSERT_NE(svg, std::string::npos);
    std::string picture = html.substr(svg, html.find("</svg>", svg) - svg);
    std::map<std::string, std::string> fillOf;
    std::regex tile(
        "<g><title>[^ ]*/[0-9a-z]{32}-([^ ]+) [^<]*</title><rect [^>]*fill=\"(#[0-9a-f]+)\"");
    for (auto it = std::sregex_iterator(picture.begin(), picture.end(), tile);
         it != std::sregex_iterator(); ++it)
        fillOf[(*it)[1]] = (*it)[2];
    EXPECT_EQ(fillOf.size(), 18u) << picture;
    EXPECT_EQ(fillOf["bootstrap-tools-1.0"], "#d62728");
    EXPECT_EQ(fillOf["app-7-1.0"], "#f28e2b");
    EXPECT_EQ(fillOf["lib-3-2.0"], "#c9d6e3");
    EXPECT_NE(html.find("has failing findings</span>"), std::string::npos);

    std::string chromium = chromiumBinary();
    if (chromium.empty()) {
        PURIST_SKIP_OUTSIDE_CI("chromium (Debian's chromium package) to load the HTML report");
    }
    writeFile(dir.path() + "/driven.html", html + R"js(<script>
(function(){
var d=document,q=d.getElementById('q'),st=d.getElementById('stat'),out={};
function state(){return {shown:+st.dataset.shown,groups:+st.dataset.groups};}
out.load=state();out.load.js=st.dataset.js;
q.value='app-7-';q.dispatchEvent(new Event('input'));
setTimeout(function(){out.search=state();
  out.open=d.querySelector('details.grp').open;
  q.value='';q.dispatchEvent(new Event('input'));
  d.querySelector('input[data-hide="error"]').click();
  out.noErrors=state();
  out.resources=performance.getEntriesByType('resource').length;
  var pre=d.createElement('pre');pre.id='purist-test';pre.textContent=JSON.stringify(out);
  d.body.appendChild(pre);},400);
})();
</script>
)js");
    json seen = driveInChromium(chromium, dir, dir.path() + "/driven.html");
    ASSERT_FALSE(seen.is_null());
    SCOPED_TRACE(seen.dump());
    EXPECT_EQ(seen["load"]["js"], "ready");
    EXPECT_EQ(seen["load"]["shown"], 12);
    EXPECT_EQ(seen["load"]["groups"], 1);
    EXPECT_EQ(seen["search"]["shown"], 1);
    EXPECT_EQ(seen["open"], true) << "a search opens the group it found a finding in";
    EXPECT_EQ(seen["noErrors"]["shown"], 0);
    EXPECT_EQ(seen["noErrors"]["groups"], 0);
    EXPECT_EQ(seen["resources"], 0);
}

TEST(HtmlReportChromiumTest, SearchFiltersAndLinksWorkOnTwentyThousandFindings) {
    std::string chromium = chromiumBinary();
    if (chromium.empty()) {
        PURIST_SKIP_OUTSIDE_CI("chromium (Debian's chromium package) to load the HTML report");
    }
    Report report = auditModel(20000);
    TempDir dir("purist-html-");
    if (std::getenv("PURIST_TEST_KEEP")) dir.keep(); // to open the pages by hand
    std::string html = render(report);
    writeFile(dir.path() + "/report.html", html);
    // A path with failing findings, listed in the (collapsed) table.
    std::smatch listed;
    ASSERT_TRUE(std::regex_search(html, listed, std::regex("<tr id=\"p([0-9]+)\" class=\"has\"")));
    size_t pathIndex = std::stoul(listed[1]);
    const std::string& path = report.checked[pathIndex].path;
    std::string driver = kDriver;
    driver.replace(driver.find("PATH)"), 4, "'" + path + "'");
    for (size_t at; (at = driver.find("PATHINDEX")) != std::string::npos;)
        driver.replace(at, 9, std::to_string(pathIndex));
    writeFile(dir.path() + "/driven.html", html + driver);

    auto started = std::chrono::steady_clock::now();
    json seen = driveInChromium(chromium, dir, dir.path() + "/driven.html");
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    ASSERT_FALSE(seen.is_null());
    SCOPED_TRACE(seen.dump(1));

    size_t groups = groupsOf(report).size();
    std::map<std::string, size_t> expected;
    std::set<std::pair<std::string, std::string>> pathGroups;
    for (const Finding& finding : report.findings) {
        if (finding.path == path) {
            ++expected["path"];
            pathGroups.emplace(finding.ruleId, storePathName(finding.offender));
        }
        if (storePathName(finding.offender) == "bootstrap-tools") ++expected["offender"];
        if (finding.severity != Severity::Error) ++expected["noErrors"];
        if (!finding.waiverReason) ++expected["noWaived"];
    }
    ASSERT_GT(expected["path"], 0u);

    // After load: the script ran and counts every finding, nothing fetched, a page of a
    // few screens (all groups collapsed).
    EXPECT_EQ(seen["load"]["js"], "ready");
    EXPECT_EQ(seen["load"]["shown"], 20000);
    EXPECT_EQ(seen["load"]["groups"], groups);
    EXPECT_EQ(seen["load"]["visibleGroups"], groups);
    EXPECT_EQ(seen["load"]["text"], "20,000 of 20,000 listed findings shown, in " +
                                        std::to_string(groups) + " of " + std::to_string(groups) +
                                        " groups");
    EXPECT_EQ(seen["load"]["openRules"], 0);
    EXPECT_LT(seen["load"]["height"].get<int>(), 15000);
    EXPECT_EQ(seen["resources"], json::array()) << "the report fetched something";
    EXPECT_EQ(seen["external"], 0);

    // A full store path: its findings only, their groups opened, the other groups hidden.
    EXPECT_EQ(seen["path"]["shown"], expected["path"]);
    EXPECT_EQ(seen["path"]["visibleRows"], expected["path"]);
    EXPECT_EQ(seen["path"]["groups"], pathGroups.size());
    EXPECT_EQ(seen["path"]["visibleGroups"], pathGroups.size());
    EXPECT_EQ(seen["path"]["openGroups"], pathGroups.size());
    // An offender's name matches its groups whole, under both of its hashes.
    EXPECT_EQ(seen["offender"]["shown"], expected["offender"]);
    EXPECT_EQ(seen["offender"]["groups"], 12);
    EXPECT_EQ(seen["cleared"]["shown"], 20000);
    EXPECT_EQ(seen["cleared"]["openGroups"], 0) << "clearing the search restores the view";
    // The filters hide what they name, and the status line says what is left.
    EXPECT_EQ(seen["noErrors"]["shown"], expected["noErrors"]);
    EXPECT_EQ(seen["noErrors"]["visibleErrors"], 0);
    EXPECT_GT(seen["cleared"]["visibleErrors"].get<int>(), 0);
    EXPECT_EQ(seen["noErrors"]["visibleRules"], 8) << "the 4 error rules are hidden";
    EXPECT_EQ(seen["noWaived"]["shown"], expected["noWaived"]);
    // The first offender of the summary (most failing findings) selects its findings.
    EXPECT_EQ(seen["offenderLink"]["q"], "bootstrap-tools");
    EXPECT_EQ(seen["offenderLink"]["shown"], expected["offender"]);
    // A path link opens the collapsed table at the row; a header sorts by size, largest first.
    EXPECT_EQ(seen["pathLink"]["open"], true);
    std::vector<uint64_t> sorted = seen["sorted"];
    EXPECT_TRUE(std::is_sorted(sorted.rbegin(), sorted.rend())) << seen["sorted"];
    // A filter and a search over 20,000 findings answer within a second (the script's own
    // time, timed while the page is parsed, before virtual time freezes the clock).
    EXPECT_GT(seen["filterMs"].get<double>(), 0) << "the clock did not run";
    EXPECT_LT(seen["filterMs"].get<double>(), 1000);
    EXPECT_LT(seen["searchMs"].get<double>(), 1000);

    // A screenshot of the top of the report, kept beside the test binary as an artifact.
    std::string screenshot = std::filesystem::current_path() / "html_report_chromium.png";
    std::vector<std::string> shot = chromiumArgs(chromium, dir);
    shot.insert(shot.end(), {"--virtual-time-budget=5000", "--screenshot=" + screenshot,
                             "file://" + dir.path() + "/report.html"});
    purist::testing::RunResult shotRun = purist::testing::runProgram(shot);
    ASSERT_EQ(shotRun.exitCode, 0) << shotRun.err;
    std::string png = readFile(screenshot);
    EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
    EXPECT_GT(png.size(), 20u * 1024) << "an empty page";

    RecordProperty("html_bytes", std::to_string(html.size()));
    RecordProperty("page_height_px", seen["load"]["height"].dump());
    std::cout << "20,000 findings: " << html.size() << " bytes of HTML, " << seen["load"]["height"]
              << " px tall after load; a filter " << seen["filterMs"] << " ms, a search "
              << seen["searchMs"] << " ms; Chromium load and drive " << seconds
              << " s (wall); screenshot " << screenshot << '\n';
}

} // namespace
} // namespace purist::reports
