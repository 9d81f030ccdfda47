// How long rendering a large Report takes in each format. The target (issue 13): 20,000
// findings in under a second per format. The Report is synthetic but shaped like a
// whole-store audit's (issue 13 measured 20,762 findings over 10,341 paths): 50 rules,
// 200 checked paths with 60-member closures checked against every rule, 10,000 more paths
// without closures checked against 3 rules each, and findings of every kind (3-hop chains
// with excerpts, content sites, waived, baseline).

#include "reports/reporters.h"

#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <ostream>
#include <streambuf>

namespace {

using namespace purist::reports;

std::string storePath(const std::string& name, unsigned seed) {
    static const std::string alphabet = "0123456789abcdfghijklmnpqrsvwxyz";
    std::string hash;
    for (unsigned i = 0; i < 32; ++i)
        hash += alphabet[(seed * 31 + i * 7 + i * i) % 32];
    return "/nix/store/" + hash + "-" + name;
}

Report largeReport(size_t findingCount) {
    Report report;
    report.toolVersion = "0.1.0";
    report.startedAt = "2026-11-23T10:00:00Z";
    report.storeDir = "/nix/store";
    report.policyFiles = {"rules/packs/bootstrap.yaml", "rules/packs/impure-paths.yaml"};
    for (unsigned r = 0; r < 50; ++r)
        report.rules.push_back({"rule-" + std::to_string(r), static_cast<Severity>(r % 3),
                                "{path} breaks rule " + std::to_string(r),
                                "https://purist.example/rules/" + std::to_string(r),
                                "rules/packs/bootstrap.yaml", static_cast<int>(r * 10 + 1)});
    for (unsigned p = 0; p < 200; ++p) {
        CheckedPath checked{storePath("pkg-" + std::to_string(p), p), 100000u + p, 0, {}, {}};
        for (size_t r = 0; r < report.rules.size(); ++r)
            checked.rules.push_back(r); // every rule applies to every path
        for (unsigned m = 0; m < 60; ++m) {
            std::string member =
                m == 0 ? checked.path : storePath("dep-" + std::to_string(m), 1000 + m);
            checked.closure.push_back({member, 4096u * (m + 1), {storePath("glibc", 7)}});
            checked.closureSize += 4096u * (m + 1);
        }
        report.checked.push_back(std::move(checked));
    }
    for (unsigned p = 0; p < 10000; ++p) {
        CheckedPath checked{
            storePath("lib-" + std::to_string(p), 5000 + p), 20000u + p, 3000000u + p, {}, {}, 40};
        for (size_t r = 0; r < 3; ++r)
            checked.rules.push_back((p + r * 17) % report.rules.size());
        std::sort(checked.rules.begin(), checked.rules.end());
        report.checked.push_back(std::move(checked));
    }
    for (size_t i = 0; i < findingCount; ++i) {
        Finding finding;
        const RuleInfo& rule = report.rules[i % report.rules.size()];
        finding.ruleId = rule.id;
        finding.severity = rule.severity;
        finding.path = report.checked[i % 200].path;
        finding.message = "pkg-" + std::to_string(i) + " must not depend on bootstrap-tools";
        finding.offender = storePath("bootstrap-tools", 4);
        if (i % 2 == 0) {
            std::string a = finding.path, b = storePath("libfoo", 2), c = storePath("gcc-lib", 3);
            finding.chain = {{a, b, "bin/app", 4242 + i, "...RPATH=" + b.substr(0, 40) + "..."},
                             {b, c, "lib/libfoo.so.1", 1024, "..." + c.substr(11, 32) + "..."},
                             {c, finding.offender, "lib/libgcc_s.so.1", 77,
                              "#!" + finding.offender + "/bin/sh"}};
        } else {
            finding.sites = {
                {"bin/app", 9000 + i, "..../build/source/src/app.c.."},
                {"share/doc/config.log", 17, "  $ ./configure --prefix=/build/source"}};
        }
        if (i % 10 == 0) finding.waiverReason = "accepted until the next rebuild";
        finding.inBaseline = i % 7 == 0;
        finding.fingerprint = rule.id + ":pkg-" + std::to_string(i);
        report.findings.push_back(std::move(finding));
    }
    return report;
}

constexpr size_t kFindings = 20000;

/// Counts what is written and drops it, as a fast file or pipe would take it: the
/// benchmark measures rendering, not the copying of an in-memory stream.
class CountingBuffer : public std::streambuf {
public:
    size_t count = 0;

protected:
    std::streamsize xsputn(const char*, std::streamsize n) override {
        count += static_cast<size_t>(n);
        return n;
    }
    int_type overflow(int_type c) override {
        ++count;
        return traits_type::not_eof(c);
    }
};

void renderFormat(benchmark::State& state, ReportFormat format) {
    static const Report report = largeReport(kFindings);
    size_t bytes = 0;
    for ([[maybe_unused]] auto _ : state) {
        CountingBuffer sink;
        std::ostream out(&sink);
        writeReport(report, format, out);
        bytes = sink.count;
        benchmark::DoNotOptimize(bytes);
    }
    state.counters["findings"] = static_cast<double>(report.findings.size());
    state.counters["output_MB"] = static_cast<double>(bytes) / 1e6;
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(bytes));
}

/// The HTML report past the target: its rows are capped (25,000 findings listed, 2,000
/// paths), so five times the findings must cost about what the extra grouping costs, not
/// five times the output.
void htmlAtScale(benchmark::State& state) {
    const Report report = largeReport(static_cast<size_t>(state.range(0)));
    size_t bytes = 0;
    for ([[maybe_unused]] auto _ : state) {
        CountingBuffer sink;
        std::ostream out(&sink);
        writeReport(report, ReportFormat::Html, out);
        bytes = sink.count;
        benchmark::DoNotOptimize(bytes);
    }
    state.counters["findings"] = static_cast<double>(report.findings.size());
    state.counters["output_MB"] = static_cast<double>(bytes) / 1e6;
}

/// The alternative a C++ project would reach for first: the same findings array built as an
/// nlohmann::ordered_json tree and dumped (what the JSON and SARIF reporters did before the
/// streaming writer). Findings only, so it does less work than renderFormat/json.
void nlohmannDomFindings(benchmark::State& state) {
    static const Report report = largeReport(kFindings);
    using Json = nlohmann::ordered_json;
    size_t bytes = 0;
    for ([[maybe_unused]] auto _ : state) {
        Json findings = Json::array();
        for (const Finding& finding : report.findings) {
            Json chain = Json::array();
            for (const ChainHop& hop : finding.chain)
                chain.push_back({{"from", hop.from},
                                 {"to", hop.to},
                                 {"file", hop.file},
                                 {"offset", hop.offset},
                                 {"excerpt", hop.excerpt}});
            Json sites = Json::array();
            for (const ContentSite& site : finding.sites)
                sites.push_back(
                    {{"file", site.file}, {"offset", site.offset}, {"excerpt", site.excerpt}});
            findings.push_back({{"ruleId", finding.ruleId},
                                {"severity", severityName(finding.severity)},
                                {"message", finding.message},
                                {"help", finding.help},
                                {"path", finding.path},
                                {"offender", finding.offender},
                                {"chain", std::move(chain)},
                                {"sites", std::move(sites)},
                                {"waived", finding.waiverReason.has_value()},
                                {"inBaseline", finding.inBaseline},
                                {"fingerprint", finding.fingerprint}});
        }
        std::string text = findings.dump(2, ' ', false, Json::error_handler_t::replace);
        bytes = text.size();
        benchmark::DoNotOptimize(text.data());
    }
    state.counters["findings"] = static_cast<double>(report.findings.size());
    state.counters["output_MB"] = static_cast<double>(bytes) / 1e6;
}

BENCHMARK(nlohmannDomFindings)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(renderFormat, text, ReportFormat::Text)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(renderFormat, json, ReportFormat::Json)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(renderFormat, sarif, ReportFormat::Sarif)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(renderFormat, junit, ReportFormat::Junit)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(renderFormat, html, ReportFormat::Html)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(renderFormat, github, ReportFormat::Github)->Unit(benchmark::kMillisecond);
BENCHMARK(htmlAtScale)->Arg(20000)->Arg(100000)->Unit(benchmark::kMillisecond);

} // namespace

BENCHMARK_MAIN();
