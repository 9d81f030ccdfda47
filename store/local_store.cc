#include "store/local_store.h"

#include "base/directory.h"
#include "base/error.h"
#include "base/temp_dir.h"
#include "store/async_sink.h"
#include "store/disk_space.h"
#include "store/path_lock.h"
#include "store/scratch.h"

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>

namespace purist {
namespace {

namespace fs = std::filesystem;

void makeDirectories(const std::string& path) {
    std::error_code ec;
    fs::create_directories(path, ec);
    if (ec) throw SysError(ec.value(), "creating directory '" + path + "'");
}

bool pathExists(const std::string& path) {
    struct stat st;
    if (::lstat(path.c_str(), &st) == 0) return true;
    if (errno == ENOENT) return false;
    throw SysError("examining '" + path + "'");
}

std::string baseNameOf(std::string path) {
    while (path.size() > 1 && path.back() == '/')
        path.pop_back();
    size_t slash = path.find_last_of('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

int64_t now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

/// Hashes and measures a NAR stream.
struct NarDigest {
    Hash hash;
    uint64_t size;
};

NarDigest hashPath(const std::string& path) {
    HashSink sink(HashAlgorithm::Sha256);
    dumpPath(path, sink);
    uint64_t size = sink.bytesWritten();
    return {sink.finish(), size};
}

/// Moves a finished path into the store, replacing an invalid leftover of an earlier crash.
/// The leftover is removed by removeTree alone, which opens every directory with
/// O_NOFOLLOW and makes it writable through that descriptor: no chmod by path, which a
/// leftover changed meanwhile (an unsandboxed build user may create entries in the store
/// dir) could turn into a chmod of a host directory through a symlink.
void moveIntoPlace(const std::string& from, const std::string& to) {
    if (from == to) return;
    if (pathExists(to)) removeTree(to);
    if (::rename(from.c_str(), to.c_str()) == -1)
        throw SysError("moving '" + from + "' to '" + to + "'");
}

/// Canonicalisation of a path that is yet to be moved into the store; see sealRoot.
const CanonicaliseOptions kBeforeMove = [] {
    CanonicaliseOptions options;
    options.keepRootWritable = true;
    return options;
}();

/// Gives a path's top directory the canonical mode once it is in place. It stays writable
/// until then because rename(2) of a directory to a new parent must update its "..", which
/// needs write permission on the directory itself when the caller is not root.
void sealRoot(const std::string& path) {
    struct stat st;
    if (::lstat(path.c_str(), &st) == -1) throw SysError("examining '" + path + "'");
    if (S_ISDIR(st.st_mode) && ::chmod(path.c_str(), 0555) == -1)
        throw SysError("changing mode of '" + path + "'");
}

} // namespace

StoreLayout StoreLayout::atRoot(const std::string& root, const std::string& storeDir) {
    if (root.empty() || root[0] != '/')
        throw UsageError("store root '" + root + "' must be an absolute path");
    StoreLayout layout;
    layout.root = root;
    layout.realStoreDir = root + "/store";
    layout.storeDir = storeDir.empty() ? layout.realStoreDir : storeDir;
    layout.dbPath = root + "/db/db.sqlite";
    return layout;
}

StoreLayout StoreLayout::fromEnvironment() {
    std::string root;
    if (const char* env = std::getenv("PURIST_ROOT"); env && *env) {
        root = env;
    } else if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg) {
        root = std::string(xdg) + "/purist";
    } else if (const char* home = std::getenv("HOME"); home && *home) {
        root = std::string(home) + "/.local/share/purist";
    } else {
        throw UsageError("cannot choose a store root: set PURIST_ROOT or HOME, or pass --root");
    }
    const char* storeDir = std::getenv("PURIST_STORE_DIR");
    return atRoot(root, storeDir ? storeDir : "");
}

namespace {

std::string withoutTrailingSlashes(std::string path) {
    while (path.size() > 1 && path.back() == '/')
        path.pop_back();
    return path;
}

/// The layout of a Nix store whose state and store dirs are under `prefix` (`/nix`).
StoreLayout nixStoreAtPrefix(const std::string& prefix) {
    StoreLayout layout;
    layout.root = prefix + "/var/nix";
    layout.storeDir = "/nix/store";
    layout.realStoreDir = prefix + "/store";
    layout.dbPath = prefix + "/var/nix/db/db.sqlite";
    layout.nix = true;
    return layout;
}

std::string absoluteDir(const std::string& spec, const std::string& dir) {
    if (dir.empty() || dir[0] != '/')
        throw UsageError("Nix store '" + spec +
                         "': expected nix:///PREFIX (e.g. nix:///nix), local?root=DIR or an "
                         "absolute DIR");
    return withoutTrailingSlashes(dir);
}

} // namespace

StoreLayout StoreLayout::nixStore(const std::string& spec) {
    if (spec.rfind("nix://", 0) == 0) return nixStoreAtPrefix(absoluteDir(spec, spec.substr(6)));
    // Nix's own store URLs for a local store: `local` is the system store, and
    // `local?root=DIR` the chroot store whose files are under DIR/nix.
    if (spec == "local") return nixStoreAtPrefix("/nix");
    if (spec.rfind("local?", 0) == 0) {
        std::string query = spec.substr(6);
        if (query.rfind("root=", 0) != 0 || query.find('&') != std::string::npos)
            throw UsageError("Nix store '" + spec +
                             "': of a local store's settings only root=DIR is understood");
        std::string root = absoluteDir(spec, query.substr(5));
        return nixStoreAtPrefix(root == "/" ? "/nix" : root + "/nix");
    }
    if (spec.find("://") != std::string::npos || spec == "daemon" || spec == "auto")
        throw UsageError("Nix store '" + spec +
                         "': purist reads a local Nix store's files and database directly; "
                         "name it as nix:///PREFIX, local?root=DIR or DIR");
    // A bare DIR is what Nix reads as a chroot store (`nix-build --store DIR` puts its
    // paths in DIR/nix/store); purist has also always read it as a PREFIX holding store/
    // and var/nix/db (`--store /nix`). The database on disk decides; both is ambiguous.
    std::string dir = absoluteDir(spec, spec);
    std::string chroot = dir == "/" ? "/nix" : dir + "/nix";
    bool isChroot = pathExists(nixStoreAtPrefix(chroot).dbPath);
    bool isPrefix = pathExists(nixStoreAtPrefix(dir).dbPath);
    if (isChroot && isPrefix)
        throw UsageError("Nix store '" + spec + "' is ambiguous: both " + chroot + " and " + dir +
                         " hold a Nix store; say nix://" + chroot + " or nix://" + dir);
    if (!isChroot && !isPrefix)
        throw StoreError("no Nix store at '" + dir + "': neither " +
                         nixStoreAtPrefix(chroot).dbPath + " (Nix's chroot store) nor " +
                         nixStoreAtPrefix(dir).dbPath + " exists");
    return nixStoreAtPrefix(isChroot ? chroot : dir);
}

static StoreLayout prepared(StoreLayout layout, Database::Mode mode) {
    if (mode == Database::Mode::ReadWrite && !layout.nix) {
        for (const std::string& dir : {layout.realStoreDir, layout.root + "/db",
                                       layout.gcRootsDir(), layout.logsDir(), layout.tmpDir()})
            makeDirectories(dir);
    } else if (!pathExists(layout.dbPath)) {
        throw StoreError("no store database at '" + layout.dbPath + "'");
    }
    return layout;
}

LocalStore::LocalStore(StoreLayout layout, Database::Mode mode)
    : layout_(prepared(std::move(layout), mode)),
      mode_(layout_.nix ? Database::Mode::ReadOnly : mode),
      db_(layout_.dbPath, StoreDir(layout_.storeDir), mode_) {
    // The scratch space of processes killed before they could clean up goes now, so that
    // crashes do not add up; a live process's is locked and stays.
    if (mode_ == Database::Mode::ReadWrite) {
        reclaimScratch();
        tempRoots_ = std::make_unique<TempRoots>(layout_.root);
    }
}

void LocalStore::requireWritable(const std::string& what) const {
    if (readOnly())
        throw StoreError("cannot " + what + ": the " + (layout_.nix ? "Nix " : "") + "store at '" +
                         layout_.realStoreDir + "' is opened read-only");
}

void LocalStore::addTempRoots(const StorePathSet& paths) {
    if (tempRoots_) tempRoots_->add(paths);
}

ScratchReclaim LocalStore::reclaimScratch() {
    // Also from a read-only purist store (`store verify`): tmp/ is no part of what is valid.
    if (layout_.nix)
        throw StoreError("cannot reclaim scratch space in the Nix store at '" +
                         layout_.realStoreDir + "': it is opened read-only");
    return reclaimDeadScratch(layout_.tmpDir());
}

std::string LocalStore::realPath(const StorePath& path) const {
    return layout_.realStoreDir + "/" + path.baseName();
}

StorePath LocalStore::parseUserPath(const std::string& argument) const {
    try {
        for (const std::string& dir : {layout_.storeDir, layout_.realStoreDir}) {
            StoreDir storeDir(dir);
            if (storeDir.isInStore(argument)) return storeDir.parseWithSubpath(argument).first;
        }
        if (argument.find('/') == std::string::npos && !pathExists(argument))
            return StorePath::fromBaseName(argument);
        if (pathExists(argument)) {
            // Links are followed one at a time until the path is in the store, as Nix does,
            // never further: a store path that is itself a link (a build's `$out` -> another
            // path, or -> /etc) names itself, not what it points to, which fs::canonical
            // would have given. The directories above the argument are the user's own.
            std::error_code ec;
            fs::path at = fs::absolute(argument, ec);
            if (!ec) at = fs::canonical(at.parent_path(), ec) / at.filename();
            if (ec) throw SysError(ec.value(), "resolving '" + argument + "'");
            for (int hops = 0; hops <= 40; ++hops) {
                for (const std::string& dir : {layout_.storeDir, layout_.realStoreDir}) {
                    StoreDir storeDir(dir);
                    if (storeDir.isInStore(at.string()))
                        return storeDir.parseWithSubpath(at.string()).first;
                }
                fs::path target = fs::read_symlink(at, ec);
                if (ec) break; // not a link (EINVAL), or gone: not in the store
                at = (at.parent_path() / target).lexically_normal();
            }
        }
    } catch (const FormatError& e) {
        throw UsageError("'" + argument + "' is not a store path: " + e.what());
    }
    throw UsageError("'" + argument + "' is not in the store '" + layout_.storeDir + "'");
}

StorePath computeSourcePath(const StoreDir& storeDir, const std::string& sourcePath,
                            std::string name) {
    if (name.empty()) name = baseNameOf(sourcePath);
    validateStorePathName(name);
    NarDigest digest = hashPath(sourcePath);
    return storeDir.makeFixedOutputPath(FileIngestionMethod::Recursive, digest.hash, name);
}

StorePath LocalStore::addSource(const std::string& sourcePath, std::string name) {
    requireWritable("add '" + sourcePath + "'");
    if (name.empty()) name = baseNameOf(sourcePath);
    validateStorePathName(name);
    if (!pathExists(sourcePath)) throw UsageError("source '" + sourcePath + "' does not exist");

    // Copy first and hash the copy: what is hashed is then exactly what is stored, even if
    // the source changes meanwhile.
    ScratchDir scratch(layout_.tmpDir(), "add");
    std::string copy = scratch.path() + "/" + name;
    // Symlinks are copied as symlinks; a tree deeper than PATH_MAX can name is copied too.
    try {
        copyTree(sourcePath, copy);
    } catch (const SysError& e) {
        // With less room than the source needs (the partial copy still held), it was the
        // disk, whatever the errno says.
        uint64_t needed = treeSize(sourcePath);
        if (isNoSpace(e.errorNumber()) || freeSpace(layout_.tmpDir()) < needed)
            throw noSpaceError(layout_.tmpDir(), "copying '" + sourcePath + "' into the store",
                               needed);
        throw;
    }
    canonicalisePath(copy, kBeforeMove);
    NarDigest digest = hashPath(copy);
    StorePath path =
        storeDir().makeFixedOutputPath(FileIngestionMethod::Recursive, digest.hash, name);
    // Rooted before its validity is checked: a valid path found here stays valid for the
    // caller, whatever a collection running meanwhile decides.
    addTempRoots({path});
    if (db_.isValid(path)) return path;
    // Validity is decided under the path's lock: another adder or a builder may be putting
    // the same path in place, and what it made valid must not be removed below.
    FileDescriptor lockFile = openPathLockFile(layout_.tmpDir());
    PathLock lock(lockFile.get(), path.baseName());
    lock.lock();
    if (db_.isValid(path)) return path;

    ValidPathInfo info{path, digest.hash};
    info.narSize = digest.size;
    info.registrationTime = now();
    info.ca = "fixed:r:" + digest.hash.toNixString();
    info.ultimate = true;
    std::string destination = realPath(path);
    moveIntoPlace(copy, destination);
    try {
        sealRoot(destination);
        db_.registerValidPaths({info});
    } catch (...) {
        removeTree(destination);
        throw;
    }
    return path;
}

ScannedPath LocalStore::scanPath(const StorePath& path, const std::string& location,
                                 const std::vector<std::string>& candidateHashParts) const {
    RefScanner scanner(candidateHashParts);
    HashSink hash(HashAlgorithm::Sha256);
    {
        // Hashing is the slowest consumer; on its own core it runs beside the dump and scan.
        AsyncSink asyncHash(hash);
        TeeSink tee(asyncHash, scanner);
        NarDumpOptions options;
        options.listener = &scanner;
        dumpPath(location, tee, options);
        asyncHash.finish();
    }

    ScannedPath scanned{ValidPathInfo{path, Hash()}, scanner.found()};
    scanned.info.narSize = hash.bytesWritten();
    scanned.info.narHash = hash.finish();
    return scanned;
}

std::vector<ScannedPath> LocalStore::registerNewPaths(const std::vector<NewPath>& paths,
                                                      const StorePathSet& referenceCandidates,
                                                      const RegistrationGate& gate) {
    if (!paths.empty()) requireWritable("register " + storeDir().print(paths.front().path));
    std::map<std::string, StorePath> byHashPart;
    for (const StorePath& candidate : referenceCandidates)
        byHashPart.emplace(std::string(candidate.hashPart()), candidate);
    for (const NewPath& p : paths)
        byHashPart.emplace(std::string(p.path.hashPart()), p.path);
    std::vector<std::string> hashParts;
    hashParts.reserve(byHashPart.size());
    for (const auto& [hashPart, _] : byHashPart)
        hashParts.push_back(hashPart);

    // The caller holds the paths' locks (PathLock) and found them invalid; a path valid now
    // means a caller that did not, and replacing it could pull a valid path from under
    // its users.
    for (const NewPath& p : paths)
        if (db_.isValid(p.path))
            throw StoreError("cannot register '" + storeDir().print(p.path) +
                             "': it is already valid, and a valid path is never replaced");

    std::vector<ScannedPath> scanned;
    int64_t registrationTime = now();
    for (const NewPath& p : paths) {
        canonicalisePath(p.location, kBeforeMove);
        ScannedPath s = scanPath(p.path, p.location, hashParts);
        for (const auto& [hashPart, site] : s.sites)
            s.info.references.insert(byHashPart.at(hashPart));
        s.info.registrationTime = registrationTime;
        s.info.deriver = p.deriver;
        s.info.ca = p.ca;
        s.info.ultimate = true;
        scanned.push_back(std::move(s));
    }
    if (gate) gate(scanned);

    auto step = [&](RegistrationStep what, size_t index) {
        if (registrationFault_) registrationFault_(what, index);
    };
    std::vector<std::string> moved;
    try {
        for (size_t i = 0; i < paths.size(); ++i) {
            std::string destination = realPath(paths[i].path);
            step(RegistrationStep::Move, i);
            moveIntoPlace(paths[i].location, destination);
            moved.push_back(destination);
            step(RegistrationStep::Seal, i);
            sealRoot(destination);
        }
        std::vector<ValidPathInfo> infos;
        for (const ScannedPath& s : scanned)
            infos.push_back(s.info);
        step(RegistrationStep::Commit, paths.size());
        db_.registerValidPaths(infos);
    } catch (...) {
        // None of the batch became valid: take every moved path out of the store again.
        for (const std::string& destination : moved) {
            try {
                removeTree(destination);
            } catch (const Error&) {
            }
        }
        throw;
    }
    return scanned;
}

bool referencesFromScanning(const ValidPathInfo& info) {
    return !info.path.isDerivation() && info.ca.rfind("text:", 0) != 0;
}

std::vector<VerifyProblem> LocalStore::verify(const std::vector<StorePath>& requested) {
    // One snapshot of the reference graph gives every path its closure, in memory.
    RefGraph graph = db_.loadGraph();
    const std::vector<StorePath>& paths = requested.empty() ? graph.paths : requested;
    std::vector<VerifyProblem> problems;
    BreadthFirstWalk walk(graph.size());
    for (const StorePath& path : paths) {
        std::optional<ValidPathInfo> info = db_.tryQueryInfo(path);
        if (!info) {
            problems.push_back({path, "is not valid in the store database"});
            continue;
        }
        std::string location = realPath(path);
        if (!pathExists(location)) {
            problems.push_back({path, "is valid in the database but missing from disk"});
            continue;
        }
        // The candidates a rescan may look for without a false alarm are those the scan at
        // registration certainly had: the path itself and the closure of what it records
        // (all in its build's input closure, or its batch). Any other valid path may be
        // named in its contents without being a reference: a source that mentions a store
        // path, an output that prints one it was not given. Declared references are not
        // rescanned at all (referencesFromScanning).
        std::vector<std::string> candidates;
        bool scanned = referencesFromScanning(*info);
        if (scanned) {
            int64_t node = graph.find(path);
            if (node < 0) {
                for (const StorePath& p : db_.queryClosure({path}))
                    candidates.emplace_back(p.hashPart());
            } else {
                uint32_t roots[] = {static_cast<uint32_t>(node)};
                walk.run(referencesOf(graph), roots);
                for (uint32_t m : walk.order())
                    candidates.emplace_back(graph.paths[m].hashPart());
            }
        }
        ScannedPath actual = scanPath(path, location, candidates);
        if (!(actual.info.narHash == info->narHash))
            problems.push_back({path, "NAR hash is " + actual.info.narHash.toNixString() +
                                          " but the database records " +
                                          info->narHash.toNixString()});
        if (info->narSize != 0 && actual.info.narSize != info->narSize)
            problems.push_back({path, "NAR size is " + std::to_string(actual.info.narSize) +
                                          " but the database records " +
                                          std::to_string(info->narSize)});
        if (!scanned) continue;
        std::map<std::string, const StorePath*> recorded;
        for (const StorePath& ref : info->references)
            recorded.emplace(std::string(ref.hashPart()), &ref);
        for (const auto& [hashPart, site] : actual.sites) {
            if (recorded.count(hashPart)) continue;
            std::optional<StorePath> ref = db_.queryPathFromHashPart(hashPart);
            std::string where = site.file.empty() ? "" : "in '" + site.file + "' ";
            problems.push_back({path, "refers to " + (ref ? storeDir().print(*ref) : hashPart) +
                                          " (" + where + "at byte " + std::to_string(site.offset) +
                                          ") but the database does not record it"});
        }
        for (const auto& [hashPart, ref] : recorded)
            if (!actual.sites.count(hashPart))
                problems.push_back({path, "the database records a reference to " +
                                              storeDir().print(*ref) +
                                              " that its contents do not hold"});
    }
    return problems;
}

} // namespace purist
