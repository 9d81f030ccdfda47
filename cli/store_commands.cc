// `purist store ...`: the content-addressed store from the command line.

#include "base/error.h"
#include "base/file_descriptor.h"
#include "base/temp_dir.h"
#include "cli/exit_codes.h"
#include "cli/global_options.h"
#include "cli/value_format.h"
#include "store/gc_roots.h"
#include "store/nar.h"

#include <nlohmann/json.hpp>

#include <ctime>
#include <fcntl.h>
#include <iostream>
#include <memory>
#include <unistd.h>

namespace purist::cli {
namespace {

CaseHack parseCaseHack(const std::string& value) {
    if (value == "auto") return CaseHack::Auto;
    if (value == "on") return CaseHack::On;
    return CaseHack::Off;
}

void printPaths(const LocalStore& store, const StorePathSet& paths, bool json = false) {
    if (json) {
        nlohmann::json out = nlohmann::json::array();
        for (const StorePath& p : paths)
            out.push_back(store.storeDir().print(p));
        std::cout << out.dump(2) << "\n";
        return;
    }
    for (const StorePath& p : paths)
        std::cout << store.storeDir().print(p) << "\n";
}

void addAdd(CLI::App& store, GlobalOptions& options) {
    auto* cmd = store.add_subcommand("add", "Add files or directories to the store as sources, "
                                            "printing their store paths (as `nix-store --add`)");
    auto paths = std::make_shared<std::vector<std::string>>();
    auto name = std::make_shared<std::string>();
    auto dryRun = std::make_shared<bool>(false);
    cmd->add_option("paths", *paths, "Files or directories to add")->required();
    cmd->add_option("--name", *name, "Store path name (default: the source's last component)");
    cmd->add_flag("--dry-run,-n", *dryRun, "Print the paths that would be added; add nothing");
    cmd->callback([&options, paths, name, dryRun] {
        options.action = [&options, paths, name, dryRun] {
            if (!name->empty() && paths->size() > 1)
                throw UsageError("--name needs exactly one path");
            if (*dryRun) {
                // A dry run needs only the store dir: no store is created or opened.
                StoreDir storeDir(selectLayout(options).storeDir);
                for (const std::string& p : *paths)
                    std::cout << storeDir.print(computeSourcePath(storeDir, p, *name)) << "\n";
                return kExitOk;
            }
            LocalStore store = openWritableStore(options, "purist store add");
            for (const std::string& p : *paths)
                std::cout << store.storeDir().print(store.addSource(p, *name)) << "\n";
            return kExitOk;
        };
    });
}

void addHash(CLI::App& store, GlobalOptions& options) {
    auto* cmd = store.add_subcommand(
        "hash", "Print the hash of a path's NAR serialisation (or, with --flat, of a file's "
                "bytes), as `nix-hash` does; useful for fixed-output specs");
    auto path = std::make_shared<std::string>();
    auto flat = std::make_shared<bool>(false);
    auto type = std::make_shared<std::string>("sha256");
    auto format = std::make_shared<std::string>("sri");
    cmd->add_option("path", *path, "File or directory")->required();
    cmd->add_flag("--flat", *flat, "Hash the file's bytes, not its NAR");
    cmd->add_option("--type", *type, "sha1, sha256 or sha512")->capture_default_str();
    cmd->add_option("--format", *format, "sri, nix32 (Nix's base32) or hex")
        ->check(CLI::IsMember({"sri", "nix32", "hex"}))
        ->capture_default_str();
    cmd->callback([&options, path, flat, type, format] {
        options.action = [path, flat, type, format] {
            HashSink sink(parseAlgorithm(*type));
            if (*flat) {
                FileDescriptor fd = openFile(*path, O_RDONLY);
                FdSource source(fd.get(), "'" + *path + "'");
                std::vector<char> buffer(1 << 18);
                while (size_t n = source.read(buffer.data(), buffer.size()))
                    sink.write(std::string_view(buffer.data(), n));
            } else {
                dumpPath(*path, sink);
            }
            Hash h = sink.finish();
            std::cout << (*format == "sri"   ? h.toSri()
                          : *format == "hex" ? h.toHex()
                                             : h.toBase32())
                      << "\n";
            return kExitOk;
        };
    });
}

void addDumpRestore(CLI::App& store, GlobalOptions& options) {
    auto* dump = store.add_subcommand("dump", "Write the NAR serialisation of any path to "
                                              "stdout, byte for byte as `nix-store --dump`");
    auto dumpPathArg = std::make_shared<std::string>();
    auto dumpCaseHack = std::make_shared<std::string>("auto");
    dump->add_option("path", *dumpPathArg, "File, directory or symlink")->required();
    dump->add_option("--case-hack", *dumpCaseHack,
                     "Strip ~nix~case~hack~N suffixes: auto (on case-insensitive file "
                     "systems), on, off")
        ->check(CLI::IsMember({"auto", "on", "off"}))
        ->capture_default_str();
    dump->callback([&options, dumpPathArg, dumpCaseHack] {
        options.action = [dumpPathArg, dumpCaseHack] {
            if (::isatty(STDOUT_FILENO))
                throw UsageError("refusing to write a binary NAR to a terminal; redirect stdout");
            FdSink sink(STDOUT_FILENO, "standard output");
            NarDumpOptions dumpOptions;
            dumpOptions.caseHack = parseCaseHack(*dumpCaseHack);
            dumpPath(*dumpPathArg, sink, dumpOptions);
            return kExitOk;
        };
    });

    auto* restore = store.add_subcommand(
        "restore", "Read a NAR from stdin and create it at DIR, which must not exist; a broken "
                   "or hostile archive is refused and leaves nothing behind");
    auto target = std::make_shared<std::string>();
    auto restoreCaseHack = std::make_shared<std::string>("auto");
    restore->add_option("dir", *target, "Where to create the archive's root")->required();
    restore
        ->add_option("--case-hack", *restoreCaseHack,
                     "Rename case-colliding names: auto (on case-insensitive file "
                     "systems), on, off")
        ->check(CLI::IsMember({"auto", "on", "off"}))
        ->capture_default_str();
    restore->callback([&options, target, restoreCaseHack] {
        options.action = [target, restoreCaseHack] {
            FdSource source(STDIN_FILENO, "standard input");
            NarRestoreOptions restoreOptions;
            restoreOptions.caseHack = parseCaseHack(*restoreCaseHack);
            restorePath(*target, source, restoreOptions);
            char extra;
            if (source.read(&extra, 1) != 0) {
                removeTree(*target);
                throw FormatError("standard input holds data after the end of the NAR; "
                                  "nothing was restored");
            }
            return kExitOk;
        };
    });
}

/// One entry of `store info --json`, shaped as `nix path-info --json` prints it (Nix 2.8's
/// keys, in its order, with its value types: SRI narHash, integer registrationTime), except
/// that every key is always there: an absent deriver or ca is null, a path not built here
/// has "ultimate": false, and "valid" is true (Nix 2.8 prints "valid" only when false, and
/// leaves the other keys out when empty, as Nix 2.19 no longer does).
nlohmann::ordered_json pathInfoJson(const StoreDir& storeDir, const ValidPathInfo& info) {
    nlohmann::ordered_json refs = nlohmann::ordered_json::array();
    for (const StorePath& r : info.references)
        refs.push_back(storeDir.print(r));
    nlohmann::ordered_json signatures = nlohmann::ordered_json::array();
    for (size_t start = 0; start < info.sigs.size();) {
        size_t end = info.sigs.find(' ', start);
        if (end == std::string::npos) end = info.sigs.size();
        if (end > start) signatures.push_back(info.sigs.substr(start, end - start));
        start = end + 1;
    }
    nlohmann::ordered_json entry;
    entry["path"] = storeDir.print(info.path);
    entry["narHash"] = info.narHash.toSri();
    entry["narSize"] = info.narSize;
    entry["references"] = std::move(refs);
    entry["ca"] = info.ca.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(info.ca);
    entry["deriver"] = info.deriver ? nlohmann::ordered_json(storeDir.print(*info.deriver))
                                    : nlohmann::ordered_json();
    entry["registrationTime"] = info.registrationTime;
    entry["ultimate"] = info.ultimate;
    entry["signatures"] = std::move(signatures);
    entry["valid"] = true;
    return entry;
}

void addQueries(CLI::App& store, GlobalOptions& options) {
    auto* info = store.add_subcommand(
        "info", "Show what the store DB records of paths (--json: as `nix path-info --json`)");
    auto infoPaths = std::make_shared<std::vector<std::string>>();
    auto json = std::make_shared<bool>(false);
    info->add_option("paths", *infoPaths, "Store paths or result links")->required();
    info->add_flag("--json", *json,
                   "Print a JSON array in the shape of `nix path-info --json`; a path that is "
                   "not valid is {\"path\": ..., \"valid\": false}, as in Nix");
    info->callback([&options, infoPaths, json] {
        options.action = [&options, infoPaths, json] {
            LocalStore store = openStore(options, Database::Mode::ReadOnly);
            nlohmann::ordered_json out = nlohmann::ordered_json::array();
            for (const std::string& arg : *infoPaths) {
                StorePath path = store.parseUserPath(arg);
                if (*json) {
                    // As `nix path-info --json`: an invalid path is an entry, not an error.
                    std::optional<ValidPathInfo> i = store.db().tryQueryInfo(path);
                    if (i) {
                        out.push_back(pathInfoJson(store.storeDir(), *i));
                    } else {
                        nlohmann::ordered_json entry;
                        entry["path"] = store.storeDir().print(path);
                        entry["valid"] = false;
                        out.push_back(std::move(entry));
                    }
                    continue;
                }
                ValidPathInfo i = store.db().queryInfo(path);
                std::cout << "path:         " << store.storeDir().print(i.path) << "\n"
                          << "nar hash:     " << i.narHash.toNixString() << "\n"
                          << "nar size:     " << i.narSize << " (" << humanSize(i.narSize) << ")\n"
                          << "registered:   " << formatTime(i.registrationTime) << "\n";
                if (i.deriver)
                    std::cout << "deriver:      " << store.storeDir().print(*i.deriver) << "\n";
                if (!i.ca.empty()) std::cout << "content addr: " << i.ca << "\n";
                std::cout << "references:   " << i.references.size() << "\n";
                for (const StorePath& r : i.references)
                    std::cout << "  " << store.storeDir().print(r) << "\n";
            }
            if (*json) std::cout << out.dump() << "\n";
            return kExitOk;
        };
    });

    struct Query {
        const char* name;
        const char* help;
    };
    for (Query q : {Query{"refs", "Print the paths a store path refers to"},
                    Query{"referrers", "Print the paths that refer to a store path"}}) {
        auto* cmd = store.add_subcommand(q.name, q.help);
        auto arg = std::make_shared<std::string>();
        cmd->add_option("path", *arg, "Store path or result link")->required();
        auto json = std::make_shared<bool>(false);
        cmd->add_flag("--json", *json, "Print a JSON array of store paths");
        std::string which = q.name;
        cmd->callback([&options, arg, which, json] {
            options.action = [&options, arg, which, json] {
                LocalStore store = openStore(options, Database::Mode::ReadOnly);
                StorePath p = store.parseUserPath(*arg);
                store.db().queryInfo(p); // an invalid path is an error, not an empty answer
                printPaths(store,
                           which == "refs" ? store.db().queryReferences(p)
                                           : store.db().queryReferrers(p),
                           *json);
                return kExitOk;
            };
        });
    }

    auto* closure = store.add_subcommand(
        "closure", "Print every path reachable from the given paths through references "
                   "(or, with --referrers, every path that reaches them)");
    auto closurePaths = std::make_shared<std::vector<std::string>>();
    auto referrers = std::make_shared<bool>(false);
    auto sizes = std::make_shared<bool>(false);
    closure->add_option("paths", *closurePaths, "Store paths or result links")->required();
    closure->add_flag("--referrers", *referrers, "The referrers closure instead");
    closure->add_flag("--size", *sizes, "Print each path's NAR size and the total");
    auto closureJson = std::make_shared<bool>(false);
    closure->add_flag("--json", *closureJson,
                      "Print a JSON array of store paths; with --size, {paths: [{path, narSize}], "
                      "totalNarSize}");
    closure->callback([&options, closurePaths, referrers, sizes, closureJson] {
        options.action = [&options, closurePaths, referrers, sizes, closureJson] {
            LocalStore store = openStore(options, Database::Mode::ReadOnly);
            StorePathSet roots;
            for (const std::string& arg : *closurePaths) {
                StorePath p = store.parseUserPath(arg);
                store.db().queryInfo(p);
                roots.insert(p);
            }
            StorePathSet result = *referrers ? store.db().queryReferrersClosure(roots)
                                             : store.db().queryClosure(roots);
            if (!*sizes) {
                printPaths(store, result, *closureJson);
                return kExitOk;
            }
            uint64_t total = 0;
            nlohmann::json sized = nlohmann::json::array();
            for (const StorePath& p : result) {
                uint64_t size = store.db().queryInfo(p).narSize;
                total += size;
                if (*closureJson)
                    sized.push_back({{"path", store.storeDir().print(p)}, {"narSize", size}});
                else
                    std::cout << store.storeDir().print(p) << "\t" << humanSize(size) << "\n";
            }
            if (*closureJson) {
                std::cout << nlohmann::json{{"paths", sized}, {"totalNarSize", total}}.dump(2)
                          << "\n";
                return kExitOk;
            }
            std::cout << "total: " << result.size() << " paths, " << humanSize(total) << " ("
                      << total << " bytes)\n";
            return kExitOk;
        };
    });

    auto* verify = store.add_subcommand(
        "verify", "Re-hash store paths (all valid paths if none given) and compare contents, "
                  "size and references with the DB; exit 1 if anything differs");
    auto verifyPaths = std::make_shared<std::vector<std::string>>();
    verify->add_option("paths", *verifyPaths, "Store paths (default: every valid path)");
    auto verifyJson = std::make_shared<bool>(false);
    verify->add_flag("--json", *verifyJson,
                     "Print {checked, problems: [{path, problem}]} (the exit code is the same)");
    verify->callback([&options, verifyPaths, verifyJson] {
        options.action = [&options, verifyPaths, verifyJson] {
            LocalStore store = openStore(options, Database::Mode::ReadOnly);
            // Verify reads the store without changing what is valid, but the scratch space
            // of killed processes is no part of it: that goes (never a Nix store's tmp).
            if (!store.layout().nix) {
                ScratchReclaim reclaimed = store.reclaimScratch();
                if (reclaimed.removed)
                    std::cerr << "reclaimed the scratch space of " << reclaimed.removed
                              << " dead process" << (reclaimed.removed == 1 ? "" : "es")
                              << " under " << store.layout().tmpDir() << "\n";
                if (!reclaimed.legacy.empty())
                    std::cerr << "note: " << reclaimed.legacy.size() << " scratch director"
                              << (reclaimed.legacy.size() == 1 ? "y" : "ies")
                              << " of an older purist left alone (it cannot be told whether "
                                 "its owner still runs, and a build- one may be a "
                                 "--keep-failed post-mortem); remove by hand once no older "
                                 "purist uses this store: "
                              << reclaimed.legacy.front()
                              << (reclaimed.legacy.size() > 1 ? " ..." : "") << "\n";
            }
            std::vector<StorePath> paths;
            for (const std::string& arg : *verifyPaths)
                paths.push_back(store.parseUserPath(arg));
            std::vector<VerifyProblem> problems = store.verify(paths);
            size_t checked = paths.empty() ? store.db().queryAllValidPaths().size() : paths.size();
            if (*verifyJson) {
                nlohmann::json list = nlohmann::json::array();
                for (const VerifyProblem& p : problems)
                    list.push_back(
                        {{"path", store.storeDir().print(p.path)}, {"problem", p.problem}});
                std::cout << nlohmann::json{{"checked", checked}, {"problems", list}}.dump(
                                 2, ' ', false, nlohmann::json::error_handler_t::replace)
                          << "\n";
            }
            for (const VerifyProblem& p : problems)
                if (!*verifyJson)
                    std::cout << store.storeDir().print(p.path) << ": " << p.problem << "\n";
            std::cerr << "verified " << checked << " paths: " << problems.size() << " problems\n";
            return problems.empty() ? kExitOk : kExitViolations;
        };
    });
}

void addRoots(CLI::App& store, GlobalOptions& options) {
    auto* cmd = store.add_subcommand(
        "roots",
        "List the GC roots under <root>/gcroots and <root>/profiles (named files, "
        "symlinks, indirect roots) and the store paths they keep alive; stale roots are reported");
    auto json = std::make_shared<bool>(false);
    cmd->add_flag("--json", *json, "Print {roots: [{location, path}], stale: [...]}");
    cmd->callback([&options, json] {
        options.action = [&options, json] {
            StoreLayout layout = selectLayout(options);
            GcRootScan scan = findGcRoots(gcRootDirs(layout.root), StoreDir(layout.storeDir),
                                          layout.realStoreDir);
            StoreDir storeDir(layout.storeDir);
            if (*json) {
                nlohmann::json roots = nlohmann::json::array();
                for (const GcRoot& root : scan.roots)
                    roots.push_back(
                        {{"location", root.location}, {"path", storeDir.print(root.path)}});
                std::cout << nlohmann::json{{"roots", roots}, {"stale", scan.stale}}.dump(
                                 2, ' ', false, nlohmann::json::error_handler_t::replace)
                          << "\n";
                return kExitOk;
            }
            for (const GcRoot& root : scan.roots)
                std::cout << root.location << " -> " << storeDir.print(root.path) << "\n";
            for (const std::string& stale : scan.stale)
                std::cerr << "stale root (keeps nothing alive): " << stale << "\n";
            return kExitOk;
        };
    });
}

} // namespace

void addGcCommands(CLI::App& store, GlobalOptions& options); // cli/gc_commands.cc

void addStoreCommands(CLI::App& app, GlobalOptions& options) {
    auto* store = app.add_subcommand(
        "store", "Work with the content-addressed store: add, hash, "
                 "dump, restore, info, refs, closure, verify, roots, gc, delete");
    store->require_subcommand(1);
    addAdd(*store, options);
    addHash(*store, options);
    addDumpRestore(*store, options);
    addQueries(*store, options);
    addRoots(*store, options);
    addGcCommands(*store, options);
}

} // namespace purist::cli
