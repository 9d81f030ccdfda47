// `purist build`: build specs in the sandbox the policy demands, print the output paths
// and leave `result` links that are GC roots.

#include "base/error.h"
#include "base/version.h"
#include "builds/build_runner.h"
#include "checker/finding_locations.h"
#include "cli/exit_codes.h"
#include "cli/global_options.h"
#include "cli/report_outputs.h"
#include "cli/settings_flags.h"
#include "reports/reporters.h"
#include "sandbox/sandbox.h"
#include "store/gc.h"
#include "store/gc_roots.h"
#include "store/local_store.h"

#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>

namespace purist::cli {
namespace {

struct BuildFlags {
    std::vector<std::string> specs;
    SettingsFlags settings;
    bool keepFailed = false;
    std::string outLink = "result";
    bool noOutLink = false;
    /// FORMAT=FILE: the checks of every checked build, one report per format.
    std::vector<std::string> outputs;
};

/// The checks of a run's builds as one report, as `purist check SPEC` would write them:
/// each finding at its check in its spec, relative to the repository.
class CheckedBuilds {
public:
    void add(reports::Report report, const std::map<std::string, SourceLocation>& locations) {
        std::lock_guard<std::mutex> lock(mutex_);
        checkLocations_.insert(locations.begin(), locations.end());
        reports::appendReport(report_, std::move(report));
    }
    void write(const std::vector<std::pair<reports::ReportFormat, std::string>>& plan,
               const std::string& storeDir) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (report_.toolVersion.empty()) { // no build with checks ran: an empty, passing run
            report_.toolVersion = kVersion;
            report_.startedAt = reports::nowRfc3339();
            report_.storeDir = storeDir;
        }
        checker::locateInSources(report_, checkLocations_, std::filesystem::current_path());
        for (const auto& [format, file] : plan)
            reports::writeReportFile(report_, format, file);
    }

private:
    std::mutex mutex_;
    reports::Report report_;
    std::map<std::string, SourceLocation> checkLocations_;
};

std::string absolute(const std::string& path) {
    return std::filesystem::absolute(path).lexically_normal().string();
}

int runBuild(const BuildFlags& flags, GlobalOptions& options) {
    if (!options.store.empty())
        throw UsageError("purist build registers its outputs in purist's own store; --store "
                         "opens a Nix store read-only");
    // stdout carries the output paths, so every report names its format and file.
    const OutputPlan outputs = planOutputs(flags.outputs);
    if (!outputs.file.empty())
        throw UsageError("--output " + outputs.file +
                         ": write FORMAT=FILE (e.g. sarif=checks.sarif)");
    const auto& plan = outputs.extra;
    builds::BuildOptions buildOptions;
    buildOptions.settings = loadEffectiveSettings(flags.settings, options);
    buildOptions.keepFailed = flags.keepFailed;
    // The sandbox's helper starts now and probes the namespaces while the store opens and
    // the specs are read, so both are ready when the first build needs them.
    sandbox::prepareSandbox();
    LocalStore store = openStore(options);
    const policy::Settings& settings = buildOptions.settings;
    if (auto gc =
            collectIfLowOnSpace(store, settings.minFree, settings.maxFree, settings.gcRuntimeRoots))
        std::cerr << "less than min-free (" << policy::formatSize(settings.minFree)
                  << ") was free on " << store.layout().realStoreDir << ": deleted "
                  << gc->dead.size() << " dead store paths, " << policy::formatSize(gc->bytesFreed)
                  << "\n";
    std::vector<builds::BuildResult> results;
    if (plan.empty()) {
        results = builds::buildSpecs(store, flags.specs, buildOptions);
    } else {
        auto checked = std::make_shared<CheckedBuilds>();
        buildOptions.onChecked = [checked](reports::Report report,
                                           const std::map<std::string, SourceLocation>& where) {
            checked->add(std::move(report), where);
        };
        // The reports are written whether the builds pass or fail: a failed gate's SARIF
        // is what CI shows where the developer works.
        try {
            results = builds::buildSpecs(store, flags.specs, buildOptions);
        } catch (const BuildError&) {
            checked->write(plan, store.storeDir().dir());
            throw;
        }
        checked->write(plan, store.storeDir().dir());
    }

    for (size_t i = 0; i < results.size(); ++i) {
        for (const auto& [output, path] : results[i].outputs) {
            std::cout << path << "\n";
            if (flags.noOutLink) continue;
            // nix-build's names: result, result-dev, result-2, result-2-dev, ...
            std::string link = flags.outLink;
            if (i > 0) link += "-" + std::to_string(i + 1);
            if (output != "out") link += "-" + output;
            link = absolute(link);
            addResultLink(store.layout().gcRootsDir(), store.realPath(store.storeDir().parse(path)),
                          link);
        }
    }
    return kExitOk;
}

} // namespace

void addBuildCommands(CLI::App& app, GlobalOptions& options) {
    auto flags = std::make_shared<BuildFlags>();
    auto* build = app.add_subcommand(
        "build", "Build specs in the sandbox the policy demands, print their output paths and "
                 "leave `result` links (GC roots) to them; a build whose outputs break its "
                 "spec's checks fails (exit 3) and registers nothing");
    build->add_option("specs", flags->specs, "Build spec files (YAML)")->required();
    addSettingsFlags(*build, flags->settings);
    build->add_flag("--keep-failed,-K", flags->keepFailed,
                    "Keep the build directory of a failed build and say where it is (with the "
                    "outputs of a build that failed its checks)");
    auto* outLink = build->add_option("--out-link,-o", flags->outLink,
                                      "Name of the result links (default: result)");
    build->add_flag("--no-out-link", flags->noOutLink, "Leave no result links (and no GC roots)")
        ->excludes(outLink);
    build
        ->add_option("--output", flags->outputs,
                     "As FORMAT=FILE (repeatable; json, sarif, junit, html, github, text): write "
                     "what the builds' checks found to FILE, passed or failed, each finding at "
                     "its check in the spec (e.g. --output sarif=checks.sarif)")
        ->allow_extra_args(false);
    build->callback([&options, flags] {
        options.action = [&options, flags] { return runBuild(*flags, options); };
    });
}

} // namespace purist::cli
