// `purist check`, `purist why`, `purist audit` and `purist audit history`: policies over
// store paths, for CI gates, maintainers and audits.

#include "base/error.h"
#include "checker/audit_history.h"
#include "checker/engine.h"
#include "checker/reporters.h"
#include "checker/waivers.h"
#include "checker/why.h"
#include "cli/exit_codes.h"
#include "cli/global_options.h"
#include "cli/rule_packs.h"
#include "cli/spec_check_rules.h"
#include "cli/value_format.h"
#include "rules/rule_loader.h"
#include "rules/spec_checks.h"
#include "sandbox/build_graph.h"

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>
#include <memory>
#include <sys/stat.h>
#include <unistd.h>

namespace purist::cli {
namespace {

/// The flags `check` and `audit` share.
struct CheckFlags {
    std::vector<std::string> policies;
    std::vector<std::string> waivers;
    std::string format = "text";
    std::string output;
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
    cmd.add_option("--output", flags.output, "Write the report to FILE instead of stdout");
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

checker::Severity parseSeverity(const std::string& name) {
    if (name == "info") return checker::Severity::Info;
    if (name == "warning") return checker::Severity::Warning;
    return checker::Severity::Error;
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

bool wantsColor(const CheckFlags& flags) {
    const char* noColor = std::getenv("NO_COLOR");
    return flags.format == "text" && flags.output.empty() && ::isatty(STDOUT_FILENO) == 1 &&
           !(noColor && *noColor);
}

/// Writes the report where the flags say, and the baseline if asked; returns the exit code.
int emit(const checker::Report& report, const CheckFlags& flags) {
    if (!flags.writeBaseline.empty()) checker::writeBaseline(flags.writeBaseline, report);
    checker::ReportOptions reportOptions;
    reportOptions.color = wantsColor(flags);
    checker::ReportFormat format = checker::parseReportFormat(flags.format);
    for (const std::string& warning : checker::reportFormatWarnings(report, format))
        std::cerr << "purist: warning: " << warning << "\n";
    if (flags.output.empty()) {
        checker::writeReport(report, format, std::cout, reportOptions);
        std::cout.flush();
    } else {
        std::ofstream out(flags.output, std::ios::binary | std::ios::trunc);
        if (!out) throw SysError("creating report file '" + flags.output + "'");
        checker::writeReport(report, format, out, reportOptions);
        out.close();
        if (!out) throw SysError("writing report file '" + flags.output + "'");
    }
    return checker::reportFails(report) ? kExitViolations : kExitOk;
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

/// Spec arguments of `purist check`: their outputs (computed from the specs exactly as
/// `purist build` computes them) are checked, and their `checks:` join the policy as rules
/// run by the same engine. Outputs that were never built are a usage error; a check entry
/// that can match nothing in the build's input closure is a ConfigError at its position.
std::vector<std::string> expandSpecs(const std::vector<std::string>& specFiles, LocalStore& store,
                                     const RefGraph& refs, rules::Policy& policy) {
    sandbox::BuildGraph graph = sandbox::BuildGraph::load(specFiles);
    const StoreDir& dir = store.storeDir();
    graph.resolve(dir, [&](const std::string& host) { return computeSourcePath(dir, host); });
    std::vector<std::string> outputs;
    for (size_t target : graph.targets()) {
        const sandbox::BuildNode& node = graph.nodes()[target];
        for (const auto& [name, path] : node.outputs) {
            if (!store.db().isValid(path))
                throw UsageError("output '" + name + "' of '" + node.spec.file + "' (" +
                                 dir.print(path) + ") is not built; run purist build first");
            outputs.push_back(dir.print(path));
        }
        std::vector<rules::Rule> specRules = specCheckRules(graph, target, dir, refs);
        if (!specRules.empty()) {
            for (rules::Rule& rule : specRules)
                policy.rules.push_back(std::move(rule));
            policy.files.push_back(node.spec.file);
        }
    }
    return outputs;
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
            rules::Policy policy = loadFullPolicy(*flags);
            checker::CheckOptions checkOpts = checkOptions(*flags);
            LocalStore store = openStore(options, Database::Mode::ReadOnly);
            std::vector<std::string> specs, arguments;
            for (const auto& argument : *paths)
                (isSpecFile(argument) ? specs : arguments).push_back(argument);
            RefGraph graph = store.db().loadGraph();
            if (!specs.empty()) {
                std::vector<std::string> outputs = expandSpecs(specs, store, graph, policy);
                arguments.insert(arguments.end(), outputs.begin(), outputs.end());
            }
            if (policy.rules.empty())
                throw UsageError("nothing to check against: give --policy FILE, or a build spec "
                                 "that declares checks:");
            std::vector<uint32_t> nodes;
            for (const auto& argument : arguments)
                nodes.push_back(nodeOf(store, graph, argument));
            checker::Checker checker(policy, viewOf(store, graph));
            return emit(checker.check(nodes, checkOpts), *flags);
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
    std::vector<bool> seen(graph.size(), false);
    std::vector<uint32_t> closure{from};
    seen[from] = true;
    for (size_t head = 0; head < closure.size(); ++head)
        for (uint32_t i = graph.refStart[closure[head]]; i < graph.refStart[closure[head] + 1]; ++i)
            if (!seen[graph.refs[i]]) {
                seen[graph.refs[i]] = true;
                closure.push_back(graph.refs[i]);
            }
    std::vector<uint32_t> exact, partial;
    for (uint32_t n : closure) {
        std::string_view name = graph.paths[n].name();
        if (name == argument)
            exact.push_back(n);
        else if (name.find(argument) != std::string_view::npos)
            partial.push_back(n);
    }
    const std::vector<uint32_t>& found = exact.empty() ? partial : exact;
    if (found.size() == 1) return found.front();
    if (found.empty())
        throw UsageError("no path named like '" + argument + "' is in the closure of " +
                         store.storeDir().print(graph.paths[from]));
    std::string list;
    for (uint32_t n : found)
        list += "\n  " + store.storeDir().print(graph.paths[n]);
    throw UsageError("'" + argument + "' names several paths in the closure; pass one:" + list);
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
    cmd->callback([&options, path, dependency, all, limit, allSites, maxSites] {
        options.action = [&options, path, dependency, all, limit, allSites, maxSites] {
            LocalStore store = openStore(options, Database::Mode::ReadOnly);
            RefGraph graph = store.db().loadGraph();
            uint32_t from = nodeOf(store, graph, *path);
            uint32_t to = dependencyNode(store, graph, from, *dependency);
            checker::WhyResult result = checker::whyDepends(
                viewOf(store, graph), from, to, *all, *limit, true, *allSites ? *maxSites : 1);
            if (result.chains.empty()) {
                std::cerr << "purist: '" << graph.paths[from].baseName() << "' does not depend on '"
                          << graph.paths[to].baseName() << "'\n";
                return kExitViolations;
            }
            std::cout << checker::renderWhyTree(result);
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

void addAudit(CLI::App& app, GlobalOptions& options) {
    auto* cmd = app.add_subcommand(
        "audit", "Check every valid path of the store against a policy and record the run in the "
                 "store's audit history (not on a read-only --store)");
    auto flags = std::make_shared<CheckFlags>();
    addCheckFlags(*cmd, *flags);
    auto* history = cmd->add_subcommand("history", "List past audits and how findings changed "
                                                   "between consecutive runs");
    // `audit history` takes no policy; the flag is required only for the audit itself.
    cmd->get_option("--policy")->required(false);
    history->callback([&options] {
        options.action = [&options] {
            LocalStore store = openStore(options, Database::Mode::ReadOnly);
            checker::AuditHistory audits(store.db().database());
            auto runs = audits.runs();
            if (runs.empty()) {
                std::cout << "no audits recorded in " << store.layout().dbPath << "\n";
                return kExitOk;
            }
            std::printf("%-5s %-20s %8s %7s %8s %6s %6s %6s  %s\n", "run", "time", "paths",
                        "errors", "warnings", "infos", "new", "fixed", "policy");
            for (const auto& run : runs)
                std::printf("%-5lld %-20s %8lld %7lld %8lld %6lld %6zu %6zu  %s\n",
                            static_cast<long long>(run.id), formatTime(run.time).c_str(),
                            static_cast<long long>(run.paths), static_cast<long long>(run.errors),
                            static_cast<long long>(run.warnings), static_cast<long long>(run.infos),
                            run.added, run.fixed, run.policy.c_str());
            std::fflush(stdout);
            return kExitOk;
        };
    });
    cmd->callback([&options, flags, history] {
        if (history->parsed()) return;
        options.action = [&options, flags] {
            if (flags->policies.empty()) throw UsageError("purist audit needs --policy FILE");
            rules::Policy policy = loadFullPolicy(*flags);
            checker::CheckOptions checkOpts = checkOptions(*flags);
            checkOpts.closures = false;
            LocalStore store = openStore(options);
            bool readOnly = !options.store.empty();
            RefGraph graph = store.db().loadGraph();
            std::vector<uint32_t> nodes(graph.size());
            for (uint32_t i = 0; i < nodes.size(); ++i)
                nodes[i] = i;
            ProgressBar bar;
            if (::isatty(STDERR_FILENO) == 1)
                checkOpts.progress = [&bar](size_t done, size_t total) { bar.update(done, total); };
            checker::Checker checker(policy, viewOf(store, graph));
            checker::Report report = checker.check(nodes, checkOpts);
            if (readOnly) {
                std::cerr << "purist: note: the store is opened read-only (--store), so this audit "
                             "is not recorded in the audit history\n";
            } else {
                checker::AuditHistory audits(store.db().database());
                audits.createTables();
                audits.record(report, static_cast<int64_t>(std::time(nullptr)),
                              static_cast<int64_t>(nodes.size()));
            }
            return emit(report, *flags);
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
