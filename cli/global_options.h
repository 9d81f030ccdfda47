#pragma once
// Options every subcommand shares, and opening the store they select.

#include "store/local_store.h"

#include <CLI/CLI.hpp>

#include <functional>
#include <string>

namespace purist::cli {

struct GlobalOptions {
    /// --root as given on the command line (or by a config file's store-root, for the
    /// commands that load settings); empty: $PURIST_ROOT, else the per-user default.
    std::string root;
    /// --store-dir as given; empty: $PURIST_STORE_DIR, else <root>/store.
    std::string storeDir;
    /// --store: an existing Nix store, read-only (StoreLayout::nixStore says which
    /// spellings). The flag wins over $PURIST_ROOT and $PURIST_STORE_DIR, as Nix's --store
    /// wins over $NIX_REMOTE; with --root or --store-dir it is a usage error.
    std::string store;
    /// What the chosen subcommand does, set by its parse callback and run after parsing
    /// so that errors surface outside CLI11. Returns the exit code.
    std::function<int()> action;
};

/// Adds --root, --store-dir and --store to `app` (inherited by every subcommand).
void addGlobalOptions(CLI::App& app, GlobalOptions& options);

/// The layout the options select.
StoreLayout selectLayout(const GlobalOptions& options);
/// Opens the selected store; a Nix store is always opened read-only (its LocalStore then
/// refuses every write: LocalStore::requireWritable).
LocalStore openStore(const GlobalOptions& options, Database::Mode mode = Database::Mode::ReadWrite);
/// Opens the selected store for `command` (e.g. "purist store add"), which writes to it.
/// Throws UsageError naming the command, before anything is read or written, when the
/// store is a read-only Nix store (--store).
LocalStore openWritableStore(const GlobalOptions& options, const std::string& command);
/// Throws UsageError, saying `command` writes to the store, if --store selects a Nix store.
void refuseReadOnlyStore(const GlobalOptions& options, const std::string& command);

/// Adds `purist store ...`.
void addStoreCommands(CLI::App& app, GlobalOptions& options);
/// Adds `purist build`.
void addBuildCommands(CLI::App& app, GlobalOptions& options);
/// Adds `purist config ...`.
void addConfigCommands(CLI::App& app, GlobalOptions& options);

/// Adds `purist check`, `purist why` and `purist audit [history]`.
void addCheckCommands(CLI::App& app, GlobalOptions& options);

} // namespace purist::cli
