#include "builds/build_runner.h"

#include "base/error.h"
#include "base/temp_dir.h"
#include "builds/build_dirs.h"
#include "builds/build_environment.h"
#include "builds/build_scheduler.h"
#include "builds/fixed_output.h"
#include "builds/output_checks.h"
#include "builds/output_locks.h"
#include "builds/output_sealing.h"
#include "builds/spec_check_rules.h"
#include "policy/build_users.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

namespace purist::builds {
namespace {

using policy::SandboxMode;

bool pathExists(const std::string& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0) return true;
    if (errno == ENOENT) return false;
    throw SysError("examining '" + path + "'");
}

std::string describeFailure(const sandbox::SandboxResult& result,
                            const policy::Settings& settings) {
    switch (result.exceeded) {
    case sandbox::ExceededLimit::Memory:
        return "exceeded max-memory (" + policy::formatSize(settings.maxMemory.bytes) +
               ") and was killed";
    case sandbox::ExceededLimit::Processes:
        return "exceeded max-processes (" + std::to_string(settings.maxProcesses) +
               ") and was killed";
    case sandbox::ExceededLimit::LogSize:
        return "exceeded max-log-size (" + policy::formatSize(settings.maxLogSize) +
               ") and was killed";
    case sandbox::ExceededLimit::None:
        break;
    }
    if (result.timedOut)
        return "timed out after " + std::to_string(settings.timeout) + " seconds (timeout)";
    if (result.silentTooLong)
        return "was killed after " + std::to_string(settings.maxSilentTime) +
               " seconds without output (max-silent-time)";
    if (result.signal != 0)
        return "was killed by signal " + std::to_string(result.signal) + " (" +
               ::strsignal(result.signal) + ")";
    std::string failed = "failed with exit code " + std::to_string(result.exitCode);
    if (result.fullScratchDirs.empty()) return failed;
    std::string dirs;
    for (const std::string& dir : result.fullScratchDirs)
        dirs += (dirs.empty() ? "" : ", ") + dir;
    return "ran out of space in " + dirs + " (build-dir-size " +
           policy::formatSize(settings.buildDirSize.bytes) + ") and " + failed;
}

/// One build between start and finish. Owned by the orchestrator on the calling thread;
/// the job's closure (on a worker, or on the calling thread with -j1) takes `user`, sets
/// `config`'s build uid and gid from it, and writes `builtElsewhere` and `result`; the
/// scheduler's completion queue orders those writes before `finish` reads them.
struct Job {
    bool isolate = true;
    std::unique_ptr<BuildDirs> dirs;
    std::optional<policy::BuildUserLock> user;
    sandbox::SandboxConfig config;
    std::vector<NewPath> newPaths;
    StorePathSet closure;
    sandbox::SandboxResult result;
    /// Held until the outputs are registered or discarded. When another process held one
    /// as the build was started (mustWait()), the worker waits for them.
    std::optional<OutputLocks> outputLocks;
    /// The worker found the outputs valid after waiting: nothing was run.
    bool builtElsewhere = false;
    /// A sandbox-paths entry outside the store is mounted: a host directory, which may hold
    /// a unix socket to a host process (see mustSealOutputs).
    bool hostPathMounted = false;
    /// The outputs were built but break the spec's checks: --keep-failed keeps them.
    bool failedChecks = false;
};

// Removes invalid leftovers at the real store locations an unsandboxed build writes to (a
// build interrupted before registration). The caller holds the output locks.
void removeLeftovers(const Job& job) {
    if (job.isolate) return;
    for (const NewPath& path : job.newPaths)
        if (pathExists(path.location)) removeTree(path.location);
}

class Orchestrator {
public:
    Orchestrator(LocalStore& store, const BuildOptions& options)
        : store_(store), options_(options), storeDir_(store.storeDir()),
          outputLockFile_(store.layout().tmpDir()), dirs_(store.layout().tmpDir()) {}

    std::vector<BuildResult> run(const std::vector<std::string>& specFiles) {
        graph_ = BuildGraph::load(specFiles);
        std::vector<size_t> wanted;
        for (size_t node : graph_.topologicalOrder())
            if (graph_.nodes()[node].wanted) wanted.push_back(node);
        refuseNoSandbox(wanted);
        refuseVacuousChecks(wanted);
        graph_.resolve(storeDir_,
                       [this](const std::string& hostPath) { return store_.addSource(hostPath); });
        // Temp roots before validity: what is found valid here stays so until we exit.
        StorePathSet wantedOutputs;
        for (size_t node : wanted)
            for (const auto& [output, path] : graph_.nodes()[node].outputs)
                wantedOutputs.insert(path);
        store_.addTempRoots(wantedOutputs);
        std::vector<size_t> toBuild;
        for (size_t node : wanted)
            if (!allOutputsValid(node)) toBuild.push_back(node);
        checkPolicy(toBuild);
        loadChecks(toBuild);

        unsigned jobs = options_.settings.maxJobs;
        if (users_) jobs = std::min<unsigned>(jobs, static_cast<unsigned>(users_->size()));
        ScheduleHooks hooks;
        hooks.start = [this](size_t node) { return start(node); };
        hooks.finish = [this](size_t node, const std::exception_ptr& error) {
            finish(node, error);
        };
        ScheduleOutcome outcome = runSchedule(graph_, wanted, jobs, hooks);
        if (!outcome.failed.empty()) reportFailures(outcome);

        std::set<size_t> built(toBuild.begin(), toBuild.end());
        std::vector<BuildResult> results;
        for (size_t node : graph_.targets()) {
            const BuildNode& n = graph_.nodes()[node];
            BuildResult result;
            result.specFile = n.spec.file;
            result.name = n.spec.name;
            for (const auto& [output, path] : n.outputs)
                result.outputs.emplace_back(output, storeDir_.print(path));
            result.built = built.count(node) > 0 && !builtElsewhere_.count(node);
            results.push_back(std::move(result));
        }
        return results;
    }

private:
    void print(std::string_view line) {
        std::lock_guard lock(printMutex_);
        if (options_.print) {
            options_.print(line);
        } else {
            std::cerr << line << '\n';
        }
    }

    bool allOutputsValid(size_t node) {
        for (const auto& [output, path] : graph_.nodes()[node].outputs)
            if (!store_.db().isValid(path)) return false;
        return true;
    }

    bool isolates(const BuildSpec& spec) const {
        switch (options_.settings.sandbox) {
        case SandboxMode::Strict:
            return true;
        case SandboxMode::Relaxed:
            return !spec.noSandbox;
        case SandboxMode::Off:
            return false;
        }
        return true;
    }

    // A spec that asks for no sandbox where the policy demands one is refused before its
    // sources are even added to the store.
    void refuseNoSandbox(const std::vector<size_t>& wanted) const {
        if (options_.settings.sandbox != SandboxMode::Strict) return;
        for (size_t node : wanted) {
            const BuildSpec& spec = graph_.nodes()[node].spec;
            if (!spec.noSandbox) continue;
            const SourceLocation& at = spec.noSandboxPosition;
            throw SandboxError(at.file + ":" + std::to_string(at.line) + ":" +
                               std::to_string(at.column) + ": '" + spec.name +
                               "' asks for no-sandbox: true, which sandbox mode strict " +
                               "refuses (use --sandbox relaxed to allow it)");
        }
    }

    // A `checks:` entry that can match nothing the build could depend on is refused at its
    // file:line:col before anything is built, as Nix refuses an illegal reference specifier,
    // and before any source is added to the store: the graph is resolved with the sources'
    // paths computed, not added (run() resolves it again, adding them).
    void refuseVacuousChecks(const std::vector<size_t>& wanted) {
        bool any = false;
        for (size_t node : wanted)
            any = any ||
                  (graph_.nodes()[node].spec.checks && graph_.nodes()[node].spec.checks.size() > 0);
        if (!any) return;
        graph_.resolve(storeDir_, [this](const std::string& hostPath) {
            return computeSourcePath(storeDir_, hostPath);
        });
        for (size_t node : wanted)
            addChecks(node);
        for (const BuildNode& n : graph_.nodes())
            checkedOutputs_.push_back(n.outputs);
    }

    // The rules the outputs of `toBuild` must pass before they are registered, for the
    // graph as built: those of refuseVacuousChecks unless a source changed since it resolved
    // the graph, which changes output paths.
    void loadChecks(const std::vector<size_t>& toBuild) {
        bool unchanged = checkedOutputs_.size() == graph_.nodes().size();
        for (size_t i = 0; unchanged && i < checkedOutputs_.size(); ++i)
            unchanged = checkedOutputs_[i] == graph_.nodes()[i].outputs;
        if (unchanged) return;
        checks_.clear();
        for (size_t node : toBuild)
            addChecks(node);
    }

    void addChecks(size_t node) {
        std::vector<rules::Rule> rules = specCheckRules(graph_, node, store_.db());
        if (rules.empty()) return;
        rules::Policy& policy = checks_[node];
        policy.rules = std::move(rules);
        policy.files.push_back(graph_.nodes()[node].spec.file);
    }

    // Every other refusal the policy demands happens here, before anything is built.
    void checkPolicy(const std::vector<size_t>& toBuild) {
        const policy::Settings& settings = options_.settings;
        if (toBuild.empty()) return;
        bool anyIsolated = false, anyUnsandboxed = false;
        for (size_t node : toBuild) {
            bool isolate = isolates(graph_.nodes()[node].spec);
            anyIsolated = anyIsolated || isolate;
            anyUnsandboxed = anyUnsandboxed || !isolate;
        }
        std::string why;
        if (anyIsolated && !options_.canIsolate(&why))
            throw SandboxError("sandbox mode " +
                               std::string(policy::sandboxModeName(settings.sandbox)) +
                               " cannot isolate its builds here: " + why);
        const StoreLayout& layout = store_.layout();
        if (anyUnsandboxed && layout.storeDir != layout.realStoreDir)
            throw SandboxError("an unsandboxed build writes its outputs straight into the store, "
                               "but the logical store dir " +
                               layout.storeDir + " is not where the files are (" +
                               layout.realStoreDir +
                               "); build sandboxed, or use a store whose dir is its real location");
        // Once per run, never silently: limits no cgroup can enforce here.
        std::string unenforced =
            sandbox::unenforcedLimits(settings.maxMemory.bytes, settings.maxProcesses);
        if (!unenforced.empty()) print("warning: " + unenforced);
        if (options_.asRoot) {
            users_.emplace(settings.buildUsersGroup);
            // Unsandboxed builds write into the store dir itself: the build users may create
            // entries there, but not list it (DESIGN.md, "Sandbox": 1735 root:<group>).
            if (anyUnsandboxed) {
                gid_t gid = users_->gid();
                checkReachable(layout.realStoreDir, gid);
                if (::chown(layout.realStoreDir.c_str(), 0, gid) == -1 ||
                    ::chmod(layout.realStoreDir.c_str(), 01735) == -1)
                    throw SandboxError(SysError("giving the store dir " + layout.realStoreDir +
                                                " to the build users group")
                                           .what());
            }
        }
    }

    // An unsandboxed builder runs as a build user on the host: every directory above the
    // store dir must let it through, or it fails later with a bare "Permission denied".
    static void checkReachable(const std::string& storeDir, gid_t buildGid) {
        std::string dir = storeDir;
        while (true) {
            dir = dir.substr(0, dir.rfind('/'));
            if (dir.empty()) dir = "/";
            struct stat st {};
            if (::stat(dir.c_str(), &st) == -1) throw SysError("examining '" + dir + "'");
            bool searchable =
                (st.st_mode & S_IXOTH) || (st.st_gid == buildGid && (st.st_mode & S_IXGRP));
            if (!searchable)
                throw SandboxError("an unsandboxed build runs as a build user, who cannot reach "
                                   "the store dir " +
                                   storeDir + ": " + dir +
                                   " is not searchable by others (chmod o+x it, or build "
                                   "sandboxed)");
            if (dir == "/") return;
        }
    }

    std::function<void()> start(size_t node) {
        const BuildNode& n = graph_.nodes()[node];
        // Outputs and inputs are rooted before their validity is checked and the inputs'
        // closure read, so no collection removes what the build is about to use or has
        // just registered (docs/store.md, "Garbage collection").
        const StorePathSet inputs = inputPaths(graph_, node);
        StorePathSet rooted = inputs;
        for (const auto& [output, path] : n.outputs)
            rooted.insert(path);
        store_.addTempRoots(rooted);
        if (allOutputsValid(node)) return {};
        const BuildSpec& spec = n.spec;
        auto job = std::make_unique<Job>();
        job->isolate = isolates(spec);
        std::vector<StorePath> outputs;
        for (const auto& [output, path] : n.outputs)
            outputs.push_back(path);
        job->outputLocks.emplace(outputLockFile_.descriptor(), outputs);
        // All free, and valid: another process built them between our check and the lock.
        if (!job->outputLocks->mustWait() && allOutputsValid(node)) return {};

        // The input closure: outputs of input specs, input store paths, sources.
        for (const StorePath& path : n.storeInputs)
            if (!store_.db().isValid(path))
                throw BuildError("input " + storeDir_.print(path) + " of '" + spec.name +
                                 "' is not a valid path in the store");
        StorePathSet roots = inputs;
        for (const auto& [var, path] : n.sourcePaths)
            roots.insert(path);
        job->closure = store_.db().queryClosure(roots);

        BuildMounts mounts = buildMounts(store_, options_.settings.sandboxPaths, job->closure);
        job->hostPathMounted = mounts.hostPathMounted;
        // The build's private directories sit under the store root's tmp/, on the store's
        // file system, so outputs move into the store with rename().
        job->dirs = dirs_.take(job->isolate);
        BuildPlacement placement;
        placement.isolated = job->isolate;
        placement.buildDir = job->dirs->build();
        if (job->isolate) {
            placement.sandboxRoot = dirs_.sandboxRoot();
            placement.outputDir = job->dirs->out();
        }
        placement.buildDirOnHost = options_.keepFailed;
        job->config = sandboxConfig(store_, graph_, node, placement, options_.settings,
                                    std::move(mounts.mounts));
        sandbox::SandboxConfig& config = job->config;

        // Where each output is written (sandboxed, in the build's own store dir), and the
        // content address it is registered with.
        for (const auto& [output, path] : n.outputs) {
            std::string location =
                job->isolate ? config.outputDir + "/" + path.baseName() : store_.realPath(path);
            if (!job->isolate && store_.db().isValid(path))
                throw BuildError("cannot rebuild '" + spec.name + "' unsandboxed: its output " +
                                 storeDir_.print(path) + " is valid while others are not");
            NewPath newPath{path, location, std::nullopt, ""};
            if (spec.fixedOutput) newPath.ca = fixedOutputContentAddress(*spec.fixedOutput);
            job->newPaths.push_back(std::move(newPath));
        }

        std::string prefix = spec.name + "> ";
        config.onLogLine = [this, prefix](std::string_view line) {
            print(prefix + std::string(line));
        };
        print("building '" + spec.name + "' (" + spec.file + ", sandbox " +
              (job->isolate ? std::string(policy::sandboxModeName(options_.settings.sandbox))
                            : std::string("off")) +
              ")");

        Job* running = job.get();
        jobs_[node] = std::move(job);
        auto run = options_.run;
        std::string dbPath = store_.layout().dbPath;
        std::string storeDirText = storeDir_.dir();
        // As root, the build's user is taken when the job runs, on its worker: while other
        // purist processes hold every user it waits there, and this process's finished
        // builds still give theirs back (the scheduler thread is not the one waiting).
        policy::BuildUserPool* users = users_ ? &*users_ : nullptr;
        std::function<void()> waiting = [this, name = spec.name, users] {
            print("waiting for a free build user for '" + name + "': all " +
                  std::to_string(users->size()) + " are busy in other purist processes");
        };
        return [running, run, dbPath, storeDirText, users, waiting] {
            if (running->outputLocks->mustWait()) {
                running->outputLocks->wait();
                // The other process may have registered the outputs; this thread needs its
                // own connection to ask (StoreDb is one per thread).
                StoreDb db(dbPath, StoreDir(storeDirText), Database::Mode::ReadOnly);
                running->builtElsewhere = true;
                for (const NewPath& path : running->newPaths)
                    running->builtElsewhere = running->builtElsewhere && db.isValid(path.path);
                if (running->builtElsewhere) return;
            }
            if (users) {
                running->user.emplace(users->acquire(waiting));
                running->config.buildUid = running->user->user().uid;
                running->config.buildGid = running->user->user().gid;
            }
            removeLeftovers(*running);
            running->result = run(running->config);
        };
    }

    // Ends a job: its build directories go to the next build, and its locks are released.
    void releaseJob(size_t node) {
        auto found = jobs_.find(node);
        if (found == jobs_.end()) return;
        dirs_.giveBack(std::move(found->second->dirs));
        jobs_.erase(found);
    }

    // Takes a failed build's traces away: its outputs never stay in the store, and its
    // directories (with the outputs moved there: sealed, or refused by their checks) go
    // unless --keep-failed.
    // The job is released (its build user above all) even when removing its output fails:
    // a user kept would make every later build of this run wait for it.
    void discard(size_t node, Job& job) {
        std::exception_ptr failure;
        try {
            // Unsandboxed, the builder wrote at the real store locations.
            for (const NewPath& path : job.newPaths)
                if (!job.isolate && !store_.db().isValid(path.path))
                    removeTree(store_.realPath(path.path));
        } catch (...) {
            failure = std::current_exception();
        }
        if (options_.keepFailed && job.dirs) {
            std::string top = job.dirs->top.path();
            job.dirs->top.keep();
            const std::string& name = graph_.nodes()[node].spec.name;
            print("note: keeping the build directory of '" + name + "': " + job.dirs->top.path());
            // Outputs refused by their checks sit, canonicalised and unregistered, under the
            // build's directory (out/ or sealed/), which keep() renamed.
            if (job.failedChecks)
                for (const NewPath& path : job.newPaths)
                    if (path.location.starts_with(top + "/"))
                        print("note: keeping the output " + storeDir_.print(path.path) + " of '" +
                              name + "', which failed its checks: " + job.dirs->top.path() +
                              path.location.substr(top.size()));
            job.dirs.reset();
        }
        releaseJob(node);
        if (failure) std::rethrow_exception(failure);
    }

    void finish(size_t node, const std::exception_ptr& error) {
        auto found = jobs_.find(node);
        if (found == jobs_.end()) {
            if (error) std::rethrow_exception(error);
            return; // nothing was run: already valid
        }
        Job& job = *found->second;
        const BuildNode& n = graph_.nodes()[node];
        const BuildSpec& spec = n.spec;
        if (!error && job.builtElsewhere) {
            print("'" + spec.name + "' was built by another purist process meanwhile");
            builtElsewhere_.insert(node);
            releaseJob(node);
            return;
        }
        try {
            if (error) std::rethrow_exception(error);
            if (!job.result.succeeded())
                throw BuildError("builder for '" + spec.name + "' " +
                                 describeFailure(job.result, options_.settings) +
                                 "; log: " + job.config.logPath);
            for (const NewPath& path : job.newPaths)
                if (!pathExists(path.location))
                    throw BuildError("builder for '" + spec.name + "' did not produce its output " +
                                     storeDir_.print(path.path));
            if (mustSealOutputs(spec.fixedOutput.has_value(), job.isolate, job.hostPathMounted)) {
                sealOutputs(job.newPaths, job.dirs->sealed());
            } else if (options_.asRoot) {
                for (const NewPath& path : job.newPaths)
                    takeOwnership(path.location, job.config.buildUid);
            }
            if (spec.fixedOutput) checkFixedOutput(spec, job.newPaths.front(), job.closure);
            store_.registerNewPaths(
                job.newPaths, job.closure,
                [&](const std::vector<ScannedPath>& scanned) { gateOnChecks(node, job, scanned); });
        } catch (...) {
            discard(node, job);
            throw;
        }
        releaseJob(node);
    }

    // Nix's checkOutputs: outputs that break their spec's checks are not registered, none of
    // them (the checks see every output as scanned, and the closures through the inputs).
    void gateOnChecks(size_t node, Job& job, const std::vector<ScannedPath>& scanned) {
        auto found = checks_.find(node);
        if (found == checks_.end()) return;
        reports::Report report =
            checkNewPaths(store_, found->second, job.newPaths, scanned, job.closure);
        bool fails = reports::reportFails(report);
        if (options_.onChecked) {
            std::map<std::string, SourceLocation> locations;
            for (const rules::Rule& rule : found->second.rules)
                locations.emplace(rule.id, rule.location);
            // A passing report is not needed afterwards: handed over, not copied.
            if (!fails) {
                options_.onChecked(std::move(report), locations);
                return;
            }
            options_.onChecked(report, locations);
        }
        if (!fails) return;
        job.failedChecks = true;
        throw BuildError(describeFailedChecks(graph_.nodes()[node].spec.name, report, "    "));
    }

    [[noreturn]] void reportFailures(const ScheduleOutcome& outcome) {
        std::string message = std::to_string(outcome.failed.size()) + " build" +
                              (outcome.failed.size() == 1 ? "" : "s") + " failed:";
        bool sandboxFailure = false;
        for (const auto& [node, error] : outcome.failed) {
            std::string why;
            try {
                std::rethrow_exception(error);
            } catch (const SandboxError& e) {
                sandboxFailure = true;
                why = e.what();
            } catch (const std::exception& e) {
                why = e.what();
            }
            message += "\n  " + graph_.nodes()[node].spec.file + ": " + why;
        }
        if (!outcome.skipped.empty()) {
            message += "\nnot built because an input failed:";
            for (size_t node : outcome.skipped)
                message += "\n  " + graph_.nodes()[node].spec.file;
        }
        if (sandboxFailure) throw SandboxError(message);
        throw BuildError(message);
    }

    LocalStore& store_;
    const BuildOptions& options_;
    StoreDir storeDir_;
    BuildGraph graph_;
    std::mutex printMutex_;
    std::optional<policy::BuildUserPool> users_;
    // Before jobs_, so that it is closed after the jobs have released their OutputLocks.
    OutputLockFile outputLockFile_;
    std::map<size_t, std::unique_ptr<Job>> jobs_;
    BuildDirPool dirs_;
    std::set<size_t> builtElsewhere_;
    /// The rules from the `checks:` of each build to run that has any.
    std::map<size_t, rules::Policy> checks_;
    /// Every node's outputs when checks_ was made (empty if no wanted spec has checks).
    std::vector<std::vector<std::pair<std::string, StorePath>>> checkedOutputs_;
};

} // namespace

std::vector<BuildResult> buildSpecs(LocalStore& store, const std::vector<std::string>& specFiles,
                                    const BuildOptions& options) {
    return Orchestrator(store, options).run(specFiles);
}

} // namespace purist::builds
