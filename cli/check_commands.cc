// `purist check`, `purist why`, `purist audit` and `purist audit history`: policies over
// store paths, for CI gates, maintainers and audits.

#include "base/error.h"
#include "builds/spec_check_rules.h"
#include "checker/audit_history.h"
#include "checker/engine.h"
#include "checker/finding_locations.h"
#include "checker/waivers.h"
#include "checker/why.h"
#include "cli/exit_codes.h"
#include "cli/global_options.h"
#include "cli/report_outputs.h"
#include "cli/rule_packs.h"
#include "cli/value_format.h"
#include "reports/reporters.h"
#include "rules/rule_loader.h"
#include "rules/spec_checks.h"
#include "store/gc_temp_roots.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

namespace purist::cli {
namespace {

// Reads many paths without a temp root each: no collection may run meanwhile. Never on a
// Nix store, which purist only reads (and whose gc.lock it must not create).
GcReaderLock readerLock(const GlobalOptions& options, const LocalStore& store) {
    return options.store.empty() ? GcReaderLock(store.layout().root) : GcReaderLock();
}

/// The flags `check` and `audit` share.
struct CheckFlags {
    std::vector<std::string> policies;
    std::vector<std::string> waivers;
    std::string format = "text";
    /// `--output` values: one bare FILE (the --format report), and FORMAT=FILE pairs.
    std::vector<std::string> outputs;
    std::string failOn = "error";
    std::string baseline;
    std::string writeBaseline;
};

void addCheckFlags(CLI::App& cmd, CheckFlags& flags) {
    cmd.add_option("--policy", flags.policies,
                   "Policy file (YAML rules and waivers; see docs/rules.md), or the name of a "
                   "rule pack purist ships (bootstrap-tools, impure-paths, "
                   "store-permissions); repeat to combine several")
        ->required()
        // One file per --policy, so `--policy p.yaml result other` leaves the paths alone.
        ->allow_extra_args(false);
    cmd.add_option("--format", flags.format,
                   "Report format: text, json, sarif, junit, html, or github (GitHub Actions "
                   "annotations)")
        ->check(CLI::IsMember({"text", "json", "sarif", "junit", "html", "github"}))
        ->capture_default_str();
    cmd.add_option("--output", flags.outputs,
                   "Write the --format report to FILE instead of stdout; or, as FORMAT=FILE "
                   "(repeatable), also write the report in FORMAT to FILE: several formats from "
                   "one run (e.g. --output sarif=purist.sarif --output junit=purist.xml)")
        ->allow_extra_args(false);
    cmd.add_option("--fail-on", flags.failOn,
                   "Exit 1 if a finding at or above this severity is neither waived nor in the "
                   "baseline: error, warning or info")
        ->check(CLI::IsMember({"error", "warning", "info"}))
        ->capture_default_str();
    cmd.add_option("--waivers", flags.waivers,
                   "File of waivers (a policy file holding only 'waivers:'); repeatable")
        ->allow_extra_args(false);
    cmd.add_option("--baseline", flags.baseline,
                   "Baseline file: findings whose fingerprint it lists do not fail the run");
    cmd.add_option("--write-baseline", flags.writeBaseline,
                   "Write the fingerprints of this run's findings to FILE as a baseline");
}

reports::Severity parseSeverity(const std::string& name) {
    if (name == "info") return reports::Severity::Info;
    if (name == "warning") return reports::Severity::Warning;
    return reports::Severity::Error;
}

rules::Policy loadFullPolicy(const CheckFlags& flags) {
    std::vector<std::string> files;
    for (const auto& argument : flags.policies)
        files.push_back(resolvePolicyArgument(argument));
    rules::Policy policy = rules::loadPolicy(files);
    for (const auto& file : flags.waivers)
        rules::addWaiversFile(policy, file);
    return policy;
}

checker::CheckOptions checkOptions(const CheckFlags& flags) {
    checker::CheckOptions options;
    options.failOn = parseSeverity(flags.failOn);
    if (!flags.baseline.empty()) options.baseline = checker::readBaseline(flags.baseline);
    return options;
}

bool wantsColor(const CheckFlags& flags, const OutputPlan& plan) {
    const char* noColor = std::getenv("NO_COLOR");
    return flags.format == "text" && plan.file.empty() && ::isatty(STDOUT_FILENO) == 1 &&
           !(noColor && *noColor);
}

/// Writes the reports where the flags say, and the baseline if asked; returns the exit code.
/// Writing a baseline is the run's purpose, so it exits 0 once the file is written, findings
/// or not (they are now the baseline).
int emit(const reports::Report& report, const CheckFlags& flags, const OutputPlan& plan) {
    reports::ReportOptions reportOptions;
    reportOptions.color = wantsColor(flags, plan);
    reports::ReportFormat format = reports::parseReportFormat(flags.format);
    std::vector<reports::ReportFormat> formats{format};
    for (const auto& [extraFormat, file] : plan.extra)
        formats.push_back(extraFormat);
    std::set<reports::ReportFormat> warned;
    for (reports::ReportFormat f : formats)
        if (warned.insert(f).second)
            for (const std::string& warning : reports::reportFormatWarnings(report, f))
                std::cerr << "purist: warning: " << warning << "\n";
    for (const auto& [extraFormat, file] : plan.extra)
        reports::writeReportFile(report, extraFormat, file);
    if (plan.file.empty()) {
        reports::writeReport(report, format, std::cout, reportOptions);
        std::cout.flush();
    } else {
        reports::writeReportFile(report, format, plan.file);
    }
    if (!flags.writeBaseline.empty()) {
        checker::writeBaseline(flags.writeBaseline, report);
        std::cerr << "purist: wrote the baseline " << flags.writeBaseline << " ("
                  << report.findings.size() << " finding"
                  << (report.findings.size() == 1 ? "" : "s") << ")\n";
        return kExitOk;
    }
    return reports::reportFails(report) ? kExitViolations : kExitOk;
}

bool isSpecFile(const std::string& argument) {
    auto endsWith = [&](const char* suffix) {
        std::string s(suffix);
        return argument.size() > s.size() &&
               argument.compare(argument.size() - s.size(), s.size(), s) == 0;
    };
    struct stat st;
    return (endsWith(".yaml") || endsWith(".yml")) && ::stat(argument.c_str(), &st) == 0 &&
           S_ISREG(st.st_mode);
}

uint32_t nodeOf(LocalStore& store, const RefGraph& graph, const std::string& argument) {
    if (isSpecFile(argument))
        throw UsageError("'" + argument +
                         "' is a build spec; build it first (purist build) and check its output "
                         "path or result link");
    StorePath path = store.parseUserPath(argument);
    int64_t node = graph.find(path);
    if (node < 0)
        throw UsageError("'" + argument + "' (" + store.storeDir().print(path) +
                         ") is not a valid path of the store at " + store.layout().root);
    return static_cast<uint32_t>(node);
}

checker::StoreView viewOf(LocalStore& store, const RefGraph& graph) {
    return checker::StoreView{store.layout().storeDir, store.layout().realStoreDir, &graph};
}

void addCheck(CLI::App& app, GlobalOptions& options) {
    auto* cmd = app.add_subcommand(
        "check",
        "Check store paths, result links or built specs against a policy; exit 1 on violations at "
        "or above --fail-on, 2 on a bad policy or usage");
    auto paths = std::make_shared<std::vector<std::string>>();
    auto flags = std::make_shared<CheckFlags>();
    cmd->add_option("paths", *paths,
                    "Store paths, base names, result symlinks, or build specs (their built "
                    "outputs are checked, and their checks: run as rules)")
        ->required();
    addCheckFlags(*cmd, *flags);
    // A spec's own `checks:` are a policy too; a run with neither is refused below.
    cmd->get_option("--policy")->required(false);
    cmd->callback([&options, paths, flags] {
        options.action = [&options, paths, flags] {
            // The whole policy loads before anything is checked: no half-loaded policy runs.
            OutputPlan plan = planOutputs(flags->outputs);
            rules::Policy policy = loadFullPolicy(*flags);
            checker::CheckOptions checkOpts = checkOptions(*flags);
            LocalStore store = openStore(options, Database::Mode::ReadOnly);
            GcReaderLock noCollection = readerLock(options, store); // docs/store.md
            std::vector<std::string> specs, arguments;
            for (const auto& argument : *paths)
                (isSpecFile(argument) ? specs : arguments).push_back(argument);
            RefGraph graph = store.db().loadGraph();
            std::map<std::string, SourceLocation> checkLocations;
            if (!specs.empty()) {
                // Their built outputs are checked, and their `checks:` join the policy.
                builds::BuiltSpecChecks built = builds::builtSpecChecks(specs, store);
                arguments.insert(arguments.end(), built.outputs.begin(), built.outputs.end());
                for (rules::Rule& rule : built.rules) {
                    checkLocations.emplace(rule.id, rule.location);
                    policy.rules.push_back(std::move(rule));
                }
                policy.files.insert(policy.files.end(), built.ruleFiles.begin(),
                                    built.ruleFiles.end());
            }
            if (policy.rules.empty())
                throw UsageError("nothing to check against: give --policy FILE, or a build spec "
                                 "that declares checks:");
            std::vector<uint32_t> nodes;
            for (const auto& argument : arguments)
                nodes.push_back(nodeOf(store, graph, argument));
            checker::Checker checker(policy, viewOf(store, graph));
            reports::Report report = checker.check(nodes, checkOpts);
            checker::locateInSources(report, checkLocations, std::filesystem::current_path());
            return emit(report, *flags, plan);
        };
    });
}

/// DEPENDENCY of `purist why`: a store path, or a name (`bootstrap-tools-1.0`, or a part of
/// one) naming exactly one member of `from`'s closure.
uint32_t dependencyNode(LocalStore& store, const RefGraph& graph, uint32_t from,
                        const std::string& argument) {
    if (argument.find('/') != std::string::npos) return nodeOf(store, graph, argument);
    try {
        return nodeOf(store, graph, argument);
    } catch (const Error&) {
        // Not a base name: look the name up in the closure.
    }
    std::vector<uint32_t> found = checker::closureMembersNamed(graph, from, argument);
    if (found.size() == 1) return found.front();
    if (found.empty())
        throw UsageError("no path named like '" + argument + "' is in the closure of " +
                         store.storeDir().print(graph.paths[from]));
    std::string list;
    for (uint32_t n : found)
        list += "\n  " + store.storeDir().print(graph.paths[n]);
    throw UsageError("'" + argument + "' names several paths in the closure; pass one:" + list);
}

/// `purist why --json`: every chain as a list of hops; a hop's further files (--all-sites)
/// as its `moreSites`.
nlohmann::ordered_json whyJson(const checker::WhyResult& result, const std::string& dependency) {
    auto hopJson = [](const reports::ChainHop& hop) {
        return nlohmann::ordered_json{{"from", hop.from},
                                      {"to", hop.to},
                                      {"file", hop.file},
                                      {"offset", hop.offset},
                                      {"excerpt", hop.excerpt}};
    };
    nlohmann::ordered_json chains = nlohmann::ordered_json::array();
    for (const auto& chain : result.chains) {
        nlohmann::ordered_json hops = nlohmann::ordered_json::array();
        for (const reports::ChainHop& hop : chain) {
            nlohmann::ordered_json entry = hopJson(hop);
            nlohmann::ordered_json more = nlohmann::ordered_json::array();
            if (auto it = result.moreSites.find({hop.from, hop.to}); it != result.moreSites.end())
                for (const reports::ChainHop& site : it->second)
                    more.push_back(hopJson(site));
            entry["moreSites"] = std::move(more);
            entry["moreSitesTruncated"] = result.sitesTruncated.count({hop.from, hop.to}) > 0;
            hops.push_back(std::move(entry));
        }
        chains.push_back(std::move(hops));
    }
    return {{"path", result.root},
            {"dependency", dependency},
            {"chains", std::move(chains)},
            {"truncated", result.truncated}};
}

void addWhy(CLI::App& app, GlobalOptions& options) {
    auto* cmd = app.add_subcommand(
        "why", "Show why PATH depends on DEPENDENCY: the chain of references, with the file and "
               "byte offset of each (as `nix why-depends --precise`); exit 1 if it does not");
    auto path = std::make_shared<std::string>();
    auto dependency = std::make_shared<std::string>();
    auto all = std::make_shared<bool>(false);
    auto limit = std::make_shared<size_t>(1000);
    cmd->add_option("path", *path, "The depending store path or result link")->required();
    cmd->add_option("dependency", *dependency,
                    "The store path depended on, or its name (or part of it) if exactly one "
                    "path of PATH's closure has it")
        ->required();
    cmd->add_flag("--all,-a", *all, "Show every chain, not only the shortest");
    cmd->add_option("--limit", *limit, "With --all, stop after this many chains")
        ->capture_default_str();
    auto allSites = std::make_shared<bool>(false);
    auto maxSites = std::make_shared<size_t>(100);
    cmd->add_flag("--all-sites", *allSites,
                  "List every file that holds each reference, not only the first (as `nix "
                  "why-depends --all --precise` does); implied by --all");
    cmd->add_option("--max-sites", *maxSites, "With --all-sites, files listed per reference")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    auto json = std::make_shared<bool>(false);
    cmd->add_flag("--json", *json,
                  "Print the chains as JSON: {path, dependency, chains: [[{from, to, file, "
                  "offset, excerpt, moreSites}]], truncated} (docs/json-format.md)");
    cmd->callback([&options, path, dependency, all, limit, allSites, maxSites, json] {
        options.action = [&options, path, dependency, all, limit, allSites, maxSites, json] {
            LocalStore store = openStore(options, Database::Mode::ReadOnly);
            GcReaderLock noCollection = readerLock(options, store); // docs/store.md
            RefGraph graph = store.db().loadGraph();
            uint32_t from = nodeOf(store, graph, *path);
            uint32_t to = dependencyNode(store, graph, from, *dependency);
            checker::WhyResult result = checker::whyDepends(
                viewOf(store, graph), from, to, *all, *limit, true, *allSites ? *maxSites : 1);
            if (*json) {
                std::cout << whyJson(result, store.storeDir().print(graph.paths[to]))
                                 .dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
                          << "\n";
            }
            if (result.chains.empty()) {
                std::cerr << "purist: '" << graph.paths[from].baseName() << "' does not depend on '"
                          << graph.paths[to].baseName() << "'\n";
                return kExitViolations;
            }
            if (!*json) std::cout << checker::renderWhyTree(result);
            return kExitOk;
        };
    });
}

/// A one-line progress bar redrawn on stderr, at most every 100 ms.
class ProgressBar {
public:
    void update(size_t done, size_t total) {
        auto now = std::chrono::steady_clock::now();
        if (done != total && now - last_ < std::chrono::milliseconds(100)) return;
        last_ = now;
        constexpr size_t width = 40;
        size_t filled = total ? done * width / total : width;
        std::string bar = "\r[" + std::string(filled, '=') + std::string(width - filled, ' ') +
                          "] " + std::to_string(done) + "/" + std::to_string(total) + " paths";
        std::cerr << bar << (done == total ? "\n" : "") << std::flush;
    }

private:
    std::chrono::steady_clock::time_point last_{};
};

nlohmann::ordered_json auditRunJson(const checker::AuditRun& run) {
    return {{"run", run.id},        {"time", formatTime(run.time)},
            {"policy", run.policy}, {"paths", run.paths},
            {"errors", run.errors}, {"warnings", run.warnings},
            {"infos", run.infos},   {"new", run.added},
            {"fixed", run.fixed},   {"scope", run.scope}};
}

nlohmann::ordered_json auditFindingJson(const checker::AuditFinding& f) {
    return {{"fingerprint", f.fingerprint},
            {"rule", f.rule},
            {"severity", reports::severityName(f.severity)},
            {"path", f.path},
            {"offender", f.offender},
            {"accepted", f.accepted}};
}

/// `audit history --run N`: the run's findings, each new or not against the run before,
/// then the previous run's findings that this one no longer has.
ExitCode printAuditRun(LocalStore& store, checker::AuditHistory& audits, int64_t id, bool json) {
    std::vector<checker::AuditRun> runs = audits.runs();
    auto it = std::find_if(runs.begin(), runs.end(),
                           [&](const checker::AuditRun& run) { return run.id == id; });
    if (it == runs.end())
        throw UsageError("no audit run " + std::to_string(id) + " in " + store.layout().dbPath +
                         (runs.empty() ? " (none recorded)"
                                       : " (runs " + std::to_string(runs.front().id) + " to " +
                                             std::to_string(runs.back().id) + ")"));
    checker::AuditRunChanges changes = audits.changes(id);
    const std::vector<checker::AuditFinding>& findings = changes.findings;
    const std::vector<checker::AuditFinding>& fixed = changes.fixed;
    if (json) {
        nlohmann::ordered_json out = {{"run", auditRunJson(*it)},
                                      {"findings", nlohmann::ordered_json::array()},
                                      {"fixed", nlohmann::ordered_json::array()}};
        for (size_t i = 0; i < findings.size(); ++i) {
            nlohmann::ordered_json entry = auditFindingJson(findings[i]);
            entry["new"] = static_cast<bool>(changes.isNew[i]);
            out["findings"].push_back(std::move(entry));
        }
        for (const auto& f : fixed)
            out["fixed"].push_back(auditFindingJson(f));
        std::cout << out.dump(2) << "\n";
        return kExitOk;
    }
    std::cout << "run " << it->id << " at " << formatTime(it->time) << " (" << it->policy
              << (it->scope.empty() ? "" : "; closure of " + it->scope) << "): " << findings.size()
              << " finding" << (findings.size() == 1 ? "" : "s") << ", " << it->added << " new, "
              << fixed.size() << " fixed\n";
    auto line = [](const char* mark, const checker::AuditFinding& f) {
        std::cout << mark << " " << reports::severityName(f.severity) << " " << f.rule << " "
                  << f.path;
        if (!f.offender.empty()) std::cout << " -> " << f.offender;
        if (f.accepted) std::cout << " [accepted]";
        std::cout << "\n";
    };
    for (size_t i = 0; i < findings.size(); ++i)
        line(changes.isNew[i] ? "new  " : "     ", findings[i]);
    for (const auto& f : fixed)
        line("fixed", f);
    return kExitOk;
}

void addAudit(CLI::App& app, GlobalOptions& options) {
    auto* cmd = app.add_subcommand(
        "audit", "Check every valid path of the store against a policy and record the run in the "
                 "store's audit history (not on a read-only --store)");
    auto flags = std::make_shared<CheckFlags>();
    addCheckFlags(*cmd, *flags);
    auto closureOf = std::make_shared<std::vector<std::string>>();
    cmd->add_option("--closure-of", *closureOf,
                    "Audit only the closure of PATH (a store path or result link), not the whole "
                    "store; repeatable. The history compares runs of the same scope")
        ->allow_extra_args(false);
    auto* history = cmd->add_subcommand(
        "history", "List past audits and how findings changed between consecutive runs; with "
                   "--run N, the findings of run N");
    auto historyFormat = std::make_shared<std::string>("text");
    auto historyRun = std::make_shared<int64_t>(0);
    history->add_option("--format", *historyFormat, "text, or json (see docs/json-format.md)")
        ->check(CLI::IsMember({"text", "json"}))
        ->capture_default_str();
    history
        ->add_option("--run", *historyRun,
                     "List the findings of this run (its number in the list), each marked "
                     "new or not against the run before, and those it fixed")
        ->check(CLI::PositiveNumber);
    // `audit history` takes no policy; the flag is required only for the audit itself.
    cmd->get_option("--policy")->required(false);
    history->callback([&options, historyFormat, historyRun] {
        options.action = [&options, historyFormat, historyRun] {
            LocalStore store = openStore(options, Database::Mode::ReadOnly);
            checker::AuditHistory audits(store.db().database());
            bool json = *historyFormat == "json";
            if (*historyRun > 0) return printAuditRun(store, audits, *historyRun, json);
            auto runs = audits.runs();
            if (json) {
                nlohmann::ordered_json out = nlohmann::ordered_json::array();
                for (const auto& run : runs)
                    out.push_back(auditRunJson(run));
                std::cout << out.dump(2) << "\n";
                return kExitOk;
            }
            if (runs.empty()) {
                std::cout << "no audits recorded in " << store.layout().dbPath << "\n";
                return kExitOk;
            }
            std::printf("%-5s %-20s %8s %7s %8s %6s %6s %6s  %s\n", "run", "time", "paths",
                        "errors", "warnings", "infos", "new", "fixed", "policy [scope]");
            for (const auto& run : runs)
                std::printf("%-5lld %-20s %8lld %7lld %8lld %6lld %6zu %6zu  %s%s\n",
                            static_cast<long long>(run.id), formatTime(run.time).c_str(),
                            static_cast<long long>(run.paths), static_cast<long long>(run.errors),
                            static_cast<long long>(run.warnings), static_cast<long long>(run.infos),
                            run.added, run.fixed, run.policy.c_str(),
                            run.scope.empty() ? "" : (" [closure of " + run.scope + "]").c_str());
            std::fflush(stdout);
            return kExitOk;
        };
    });
    cmd->callback([&options, flags, history, closureOf] {
        if (history->parsed()) return;
        options.action = [&options, flags, closureOf] {
            if (flags->policies.empty()) throw UsageError("purist audit needs --policy FILE");
            OutputPlan plan = planOutputs(flags->outputs);
            rules::Policy policy = loadFullPolicy(*flags);
            checker::CheckOptions checkOpts = checkOptions(*flags);
            checkOpts.closures = false;
            LocalStore store = openStore(options);
            GcReaderLock noCollection = readerLock(options, store); // docs/store.md
            bool readOnly = !options.store.empty();
            RefGraph graph = store.db().loadGraph();
            std::vector<uint32_t> roots;
            for (const std::string& argument : *closureOf)
                roots.push_back(nodeOf(store, graph, argument));
            checker::AuditScope scope = checker::auditScope(graph, store.storeDir(), roots);
            const std::vector<uint32_t>& nodes = scope.nodes;
            ProgressBar bar;
            if (::isatty(STDERR_FILENO) == 1)
                checkOpts.progress = [&bar](size_t done, size_t total) { bar.update(done, total); };
            checker::Checker checker(policy, viewOf(store, graph));
            reports::Report report = checker.check(nodes, checkOpts);
            checker::locateInSources(report, {}, std::filesystem::current_path());
            if (readOnly) {
                std::cerr << "purist: note: the store is opened read-only (--store), so this audit "
                             "is not recorded in the audit history\n";
            } else {
                checker::AuditHistory audits(store.db().database());
                audits.createTables();
                audits.record(report, static_cast<int64_t>(std::time(nullptr)),
                              static_cast<int64_t>(nodes.size()), scope.name);
            }
            return emit(report, *flags, plan);
        };
    });
}

} // namespace

void addCheckCommands(CLI::App& app, GlobalOptions& options) {
    addCheck(app, options);
    addWhy(app, options);
    addAudit(app, options);
}

} // namespace purist::cli
