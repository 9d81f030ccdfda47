// `purist store gc` and `purist store delete`: removing what no root keeps alive.

#include "base/byte_size.h"
#include "base/error.h"
#include "cli/exit_codes.h"
#include "cli/global_options.h"
#include "cli/settings_flags.h"
#include "cli/value_format.h"
#include "store/gc.h"

#include <iostream>
#include <memory>
#include <optional>

namespace purist::cli {
namespace {

// A size as Nix's --max-freed takes it (100M, 2G), or any size purist's files accept.
uint64_t parseMaxFreed(const std::string& text) {
    std::string error;
    std::optional<uint64_t> bytes = parseByteSize(text, error);
    if (!bytes) throw UsageError("--max-freed: " + error);
    return *bytes;
}

void printSummary(const LocalStore& store, const GcResult& result, bool dryRun) {
    std::cerr << (dryRun ? "would delete " : "deleted ") << result.dead.size() << " store path"
              << (result.dead.size() == 1 ? "" : "s") << ", " << humanSize(result.bytesFreed)
              << " (" << result.bytesFreed << " bytes of NAR) "
              << (dryRun ? "would be freed" : "freed");
    if (result.logsRemoved) std::cerr << ", " << result.logsRemoved << " logs";
    std::cerr << "\n";
    if (result.leftoversRemoved)
        std::cerr << "removed " << result.leftoversRemoved
                  << " invalid leftovers of interrupted builds or collections from "
                  << store.layout().realStoreDir << "\n";
    if (result.lockedSkipped)
        std::cerr << result.lockedSkipped
                  << " paths were made invalid but their files left: a build holds their lock\n";
    if (result.staleTempRootFiles)
        std::cerr << "removed the temp roots of " << result.staleTempRootFiles
                  << " dead processes\n";
}

std::string kindName(GcRootRef::Kind kind) {
    switch (kind) {
    case GcRootRef::Kind::Permanent:
        return "";
    case GcRootRef::Kind::Temporary:
        return " (temporary)";
    case GcRootRef::Kind::Runtime:
        return " (runtime)";
    }
    return "";
}

struct GcFlags {
    bool dryRun = false;
    std::string maxFreed;
    bool printRoots = false, printLive = false, printDead = false;
};

void addGc(CLI::App& store, GlobalOptions& options) {
    auto flags = std::make_shared<GcFlags>();
    auto* cmd = store.add_subcommand(
        "gc", "Delete the store paths no root keeps alive (gcroots/, profiles/, the temp roots "
              "of running purist processes, and paths running processes use), with their logs");
    cmd->add_flag("--dry-run,-n", flags->dryRun, "Print what would be deleted; delete nothing");
    cmd->add_option("--max-freed", flags->maxFreed,
                    "Stop once this much (NAR size: 100M, 2G) has been freed");
    auto* roots = cmd->add_flag("--print-roots", flags->printRoots,
                                "Print the roots and the paths they keep alive; delete nothing");
    auto* live = cmd->add_flag("--print-live", flags->printLive,
                               "Print the paths that are alive; delete nothing");
    auto* dead = cmd->add_flag("--print-dead", flags->printDead,
                               "Print the paths a collection would delete; delete nothing");
    roots->excludes(live)->excludes(dead);
    live->excludes(dead);
    cmd->callback([&options, flags] {
        options.action = [&options, flags] {
            GcOptions gc;
            if (flags->printRoots) gc.action = GcOptions::Action::PrintRoots;
            if (flags->printLive) gc.action = GcOptions::Action::PrintLive;
            if (flags->printDead) gc.action = GcOptions::Action::PrintDead;
            gc.dryRun = flags->dryRun;
            if (!flags->maxFreed.empty()) gc.maxFreed = parseMaxFreed(flags->maxFreed);
            const bool changes = gc.action == GcOptions::Action::Collect && !gc.dryRun;
            if (changes) refuseReadOnlyStore(options, "purist store gc");
            SettingsFlags noFlags;
            gc.runtimeRoots = loadEffectiveSettings(noFlags, options).gcRuntimeRoots;
            // A listing of purist's own store takes the same locks as a collection and
            // reads the temp roots, so it says what a collection would do now; a Nix store
            // is only read.
            LocalStore store = openStore(options);
            GcResult result = collectGarbage(store, gc);
            const StoreDir& dir = store.storeDir();
            switch (gc.action) {
            case GcOptions::Action::PrintRoots:
                for (const GcRootRef& r : result.roots)
                    std::cout << r.location << " -> " << dir.print(r.path) << kindName(r.kind)
                              << "\n";
                return kExitOk;
            case GcOptions::Action::PrintLive:
                for (const StorePath& p : result.live)
                    std::cout << dir.print(p) << "\n";
                return kExitOk;
            case GcOptions::Action::PrintDead:
                for (const StorePath& p : result.dead)
                    std::cout << dir.print(p) << "\n";
                return kExitOk;
            case GcOptions::Action::Collect:
                break;
            }
            if (gc.dryRun)
                for (const StorePath& p : result.dead)
                    std::cout << dir.print(p) << "\n";
            printSummary(store, result, gc.dryRun);
            return kExitOk;
        };
    });
}

void addDelete(CLI::App& store, GlobalOptions& options) {
    auto paths = std::make_shared<std::vector<std::string>>();
    auto* cmd = store.add_subcommand(
        "delete", "Delete the given store paths (as `nix-store --delete`); refused if any of "
                  "them is alive or referenced by a path that stays, naming the root or "
                  "referrer");
    cmd->add_option("paths", *paths, "Store paths to delete")->required();
    cmd->callback([&options, paths] {
        options.action = [&options, paths] {
            refuseReadOnlyStore(options, "purist store delete");
            SettingsFlags noFlags;
            bool runtimeRoots = loadEffectiveSettings(noFlags, options).gcRuntimeRoots;
            LocalStore store = openStore(options);
            std::vector<StorePath> chosen;
            for (const std::string& p : *paths)
                chosen.push_back(store.parseUserPath(p));
            GcResult result = deletePaths(store, chosen, runtimeRoots);
            for (const StorePath& p : result.dead)
                std::cout << store.storeDir().print(p) << "\n";
            printSummary(store, result, false);
            return kExitOk;
        };
    });
}

} // namespace

void addGcCommands(CLI::App& store, GlobalOptions& options) {
    addGc(store, options);
    addDelete(store, options);
}

} // namespace purist::cli
