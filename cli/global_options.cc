#include "cli/global_options.h"

#include "base/error.h"

#include <cstdlib>

namespace purist::cli {

void addGlobalOptions(CLI::App& app, GlobalOptions& options) {
    // The variables are read by selectLayout, not by CLI11's envname: a value CLI11 took from
    // the environment would be indistinguishable from the flag, and --store must override
    // $PURIST_ROOT, not clash with it.
    app.add_option("--root", options.root,
                   "Store root holding store/, db/, gcroots/, logs/ and tmp/ "
                   "(default: $PURIST_ROOT, else ~/.local/share/purist)");
    app.add_option("--store-dir", options.storeDir,
                   "Logical store dir that store paths name, e.g. /nix/store to compute the "
                   "paths Nix would (default: $PURIST_STORE_DIR, else <root>/store)");
    app.add_option("--store", options.store,
                   "Use an existing Nix store, read-only: nix:///PREFIX (PREFIX holds store/ "
                   "and var/nix/db, e.g. nix:///nix), local?root=DIR or DIR (Nix's chroot "
                   "store DIR/nix/store); overrides $PURIST_ROOT");
}

StoreLayout selectLayout(const GlobalOptions& options) {
    if (!options.store.empty()) {
        // As Nix's --store overrides $NIX_REMOTE: the environment's purist store is ignored,
        // but two flags naming two stores are a contradiction.
        if (!options.root.empty())
            throw UsageError("--store and --root cannot be used together: --store names a Nix "
                             "store, --root a purist store");
        if (!options.storeDir.empty())
            throw UsageError("--store and --store-dir cannot be used together: a Nix store's "
                             "paths name /nix/store");
        return StoreLayout::nixStore(options.store);
    }
    const char* envStoreDir = std::getenv("PURIST_STORE_DIR");
    std::string storeDir = !options.storeDir.empty() ? options.storeDir
                           : envStoreDir             ? envStoreDir
                                                     : "";
    if (!options.root.empty()) return StoreLayout::atRoot(options.root, storeDir);
    StoreLayout layout = StoreLayout::fromEnvironment();
    if (!options.storeDir.empty()) layout = StoreLayout::atRoot(layout.root, options.storeDir);
    return layout;
}

void refuseReadOnlyStore(const GlobalOptions& options, const std::string& command) {
    if (!options.store.empty())
        throw UsageError(command + " writes to the store, and --store '" + options.store +
                         "' opens a Nix store read-only; use purist's own store (--root)");
}

LocalStore openStore(const GlobalOptions& options, Database::Mode mode) {
    return LocalStore(selectLayout(options), mode); // a Nix store's layout opens read-only
}

LocalStore openWritableStore(const GlobalOptions& options, const std::string& command) {
    refuseReadOnlyStore(options, command);
    return LocalStore(selectLayout(options), Database::Mode::ReadWrite);
}

} // namespace purist::cli
