#include "cli/global_options.h"

#include "base/error.h"

namespace purist::cli {

void addGlobalOptions(CLI::App& app, GlobalOptions& options) {
    app.add_option("--root", options.root,
                   "Store root holding store/, db/, gcroots/, logs/ and tmp/ "
                   "(default: $PURIST_ROOT, else ~/.local/share/purist)")
        ->envname("PURIST_ROOT");
    app.add_option("--store-dir", options.storeDir,
                   "Logical store dir that store paths name, e.g. /nix/store to compute the "
                   "paths Nix would (default: $PURIST_STORE_DIR, else <root>/store)")
        ->envname("PURIST_STORE_DIR");
    app.add_option("--store", options.store,
                   "Use an existing Nix store read-only: nix:///nix, or a prefix such as /nix");
}

StoreLayout selectLayout(const GlobalOptions& options) {
    if (!options.store.empty()) {
        if (!options.root.empty()) throw UsageError("--store and --root cannot be used together");
        return StoreLayout::nixStore(options.store);
    }
    if (!options.root.empty()) return StoreLayout::atRoot(options.root, options.storeDir);
    StoreLayout layout = StoreLayout::fromEnvironment();
    if (!options.storeDir.empty()) layout = StoreLayout::atRoot(layout.root, options.storeDir);
    return layout;
}

LocalStore openStore(const GlobalOptions& options, Database::Mode mode) {
    if (!options.store.empty()) mode = Database::Mode::ReadOnly;
    return LocalStore(selectLayout(options), mode);
}

} // namespace purist::cli
