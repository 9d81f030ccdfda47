#pragma once
// Options every subcommand shares, and opening the store they select.

#include "store/local_store.h"

#include <CLI/CLI.hpp>

#include <functional>
#include <string>

namespace purist::cli {

struct GlobalOptions {
    std::string root;     ///< --root; else $PURIST_ROOT, else the per-user default
    std::string storeDir; ///< --store-dir; else $PURIST_STORE_DIR, else <root>/store
    std::string store;    ///< --store nix:///nix: an existing Nix store, read-only
    /// What the chosen subcommand does, set by its parse callback and run after parsing
    /// so that errors surface outside CLI11. Returns the exit code.
    std::function<int()> action;
};

/// Adds --root, --store-dir and --store to `app` (inherited by every subcommand).
void addGlobalOptions(CLI::App& app, GlobalOptions& options);

/// The layout the options select.
StoreLayout selectLayout(const GlobalOptions& options);
/// Opens the selected store; a Nix store is always opened read-only.
LocalStore openStore(const GlobalOptions& options, Database::Mode mode = Database::Mode::ReadWrite);

/// Adds `purist store ...`.
void addStoreCommands(CLI::App& app, GlobalOptions& options);

/// Adds `purist check`, `purist why` and `purist audit [history]`.
void addCheckCommands(CLI::App& app, GlobalOptions& options);

} // namespace purist::cli
