#include "sandbox/mounts.h"

#include "base/error.h"
#include "base/file_descriptor.h"

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

namespace purist::sandbox {
namespace {

void mountOrThrow(const std::string& source, const std::string& target, const char* type,
                  unsigned long flags, const char* data, const std::string& step) {
    if (::mount(source.empty() ? nullptr : source.c_str(), target.c_str(), type, flags, data) == -1)
        throw SysError(step + " ('" + target + "')");
}

// Creates `root + relative` and its missing parents below `root` (`relative` is clean and
// absolute). Only the sandbox's own fresh root is written, so an existing entry is one an
// earlier step created.
void makeDirs(const std::string& root, const std::string& relative, mode_t mode) {
    for (size_t slash = relative.find('/', 1);; slash = relative.find('/', slash + 1)) {
        std::string prefix = root + relative.substr(0, slash);
        if (::mkdir(prefix.c_str(), mode) == -1 && errno != EEXIST)
            throw SysError("creating directory '" + prefix + "'");
        if (slash == std::string::npos) return;
    }
}

void makeEmptyFile(const std::string& root, const std::string& relative) {
    std::string path = root + relative;
    makeDirs(root, relative.substr(0, relative.rfind('/')), 0755);
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0444);
    if (fd == -1) throw SysError("creating mount point '" + path + "'");
    FileDescriptor(fd).close();
}

void makeSymlink(const std::string& target, const std::string& path) {
    if (::symlink(target.c_str(), path.c_str()) == -1)
        throw SysError("creating symlink '" + path + "' -> '" + target + "'");
}

// Creates one directory whose parent exists.
void makeDir(const std::string& path, mode_t mode) {
    if (::mkdir(path.c_str(), mode) == -1) throw SysError("creating directory '" + path + "'");
}

// The per-mount flags a remount must keep. Inside a user namespace the kernel locks the
// flags of mounts inherited from the host, and a remount that would clear one (noexec,
// an atime mode) fails with EPERM; so they are read back and kept.
unsigned long currentMountFlags(const std::string& path) {
    struct statvfs info {};
    if (::statvfs(path.c_str(), &info) == -1)
        throw SysError("reading the mount flags of '" + path + "'");
    unsigned long flags = 0;
    if (info.f_flag & ST_RDONLY) flags |= MS_RDONLY;
    if (info.f_flag & ST_NOSUID) flags |= MS_NOSUID;
    if (info.f_flag & ST_NODEV) flags |= MS_NODEV;
    if (info.f_flag & ST_NOEXEC) flags |= MS_NOEXEC;
    if (info.f_flag & ST_NOATIME) flags |= MS_NOATIME;
    if (info.f_flag & ST_NODIRATIME) flags |= MS_NODIRATIME;
    if (info.f_flag & ST_RELATIME) flags |= MS_RELATIME;
    return flags;
}

// Adds nosuid and nodev, and read-only when asked, to the mount at `target`, keeping its
// other flags. mount_setattr (Linux 5.12) only adds them: one system call. Where it fails
// (an older kernel, or a seccomp filter of a container that does not know it), a remount
// with the flags read back (currentMountFlags) sets the same flags or fails itself.
void restrictMount(const std::string& target, bool readOnly, const char* step) {
    mount_attr attr{};
    attr.attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | (readOnly ? MOUNT_ATTR_RDONLY : 0);
    if (::mount_setattr(AT_FDCWD, target.c_str(), 0, &attr, sizeof attr) == 0) return;
    unsigned long flags = currentMountFlags(target) | MS_BIND | MS_REMOUNT | MS_NOSUID | MS_NODEV;
    if (readOnly) flags |= MS_RDONLY;
    mountOrThrow("", target, nullptr, flags, nullptr, step);
}

// Binds `source` on `target` (not recursively: submounts of the source, which the policy
// did not name, stay hidden) and remounts it nosuid and nodev, read-only when asked. nosuid
// stops a setuid binary in a sandbox path from raising privileges; nodev stops a device
// node in a writable mount from opening a host disk.
void bindMount(const std::string& source, const std::string& target, bool readOnly) {
    mountOrThrow(source, target, nullptr, MS_BIND, nullptr, "bind-mounting '" + source + "'");
    restrictMount(target, readOnly, readOnly ? "remounting read-only" : "remounting nosuid,nodev");
}

std::string passwdFile(const SandboxIdentity& id) {
    std::string uid = std::to_string(id.uid), gid = std::to_string(id.gid);
    return "root:x:0:0:root:/root:/noshell\n"
           "nixbld:x:" +
           uid + ":" + gid +
           ":purist build user:/build:/noshell\n"
           "nobody:x:65534:65534:nobody:/:/noshell\n";
}

std::string groupFile(const SandboxIdentity& id) {
    return "root:x:0:\n"
           "nixbld:!:" +
           std::to_string(id.gid) +
           ":\n"
           "nogroup:x:65534:\n";
}

void makeEtc(const std::string& root, const SandboxConfig& config, const SandboxIdentity& id) {
    std::string etc = root + "/etc";
    makeDirs(root, "/etc", 0755);
    writeFile(etc + "/passwd", passwdFile(id), 0644);
    writeFile(etc + "/group", groupFile(id), 0644);
    // Without a hosts file, resolving `localhost` would need DNS, which is not there.
    writeFile(etc + "/hosts", "127.0.0.1 localhost\n::1 localhost\n", 0644);
    // Only fixed-output builds may resolve names; their output hash is checked afterwards.
    if (config.hostNetwork && ::access("/etc/resolv.conf", R_OK) == 0)
        writeFile(etc + "/resolv.conf", readFile("/etc/resolv.conf"), 0644);
}

// The build's scratch space, /build, /tmp and /dev/shm, is three directories of the
// sandbox root's own tmpfs, each bind-mounted on itself: a mount of its own stays
// writable when the root is made read-only, and the three share the root's one bound,
// build-dir-size, so that a build cannot fill the host's memory (a tmpfs is by default
// half the RAM) or, for /build, its disk. One file system, not three: each tmpfs costs a
// superblock to set up and tear down, which made a third of strict mode's extra set-up
// time (docs/PERFORMANCE.md); and the bound is on their total, not three times the size.
std::string rootOptions(const SandboxConfig& config) {
    std::string options = "mode=0755";
    if (config.buildDirSize > 0) options += ",size=" + std::to_string(config.buildDirSize);
    return options;
}

// Makes `path` (a directory of the root's tmpfs) a mount of its own: a bind of itself,
// which keeps the root's nosuid and nodev.
void bindOnItself(const std::string& path, const char* step) {
    mountOrThrow(path, path, nullptr, MS_BIND, nullptr, step);
}

// /build: the host's build directory when it must outlive the sandbox (--keep-failed),
// else a directory of the root's tmpfs owned by the build user, whose files go with the
// mount namespace.
void mountBuildDir(const std::string& root, const SandboxConfig& config,
                   const SandboxIdentity& identity) {
    std::string build = root + "/build";
    if (config.buildDirOnHost) {
        makeDir(build, 0755);
        bindMount(config.buildDir, build, false);
        return;
    }
    makeDir(build, 0700);
    if (::chown(build.c_str(), identity.uid, identity.gid) == -1)
        throw SysError("giving '" + build + "' to the build user");
    bindOnItself(build, "bind-mounting /build on itself");
}

// A /dev of its own: a builder reaches no disk, no /dev/mem, no host terminal through it.
void makeDev(const std::string& root, const SandboxIdentity& identity) {
    std::string dev = root + "/dev";
    makeDir(dev, 0755);
    // /dev/shm's directory in the root's tmpfs (scratch space, see rootOptions), held by a
    // descriptor: the tmpfs mounted on /dev next hides it from the builder.
    makeDir(dev + "/shm", 01777);
    int shmFd = ::open((dev + "/shm").c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (shmFd == -1) throw SysError("opening '" + dev + "/shm'");
    FileDescriptor shm(shmFd);
    mountOrThrow("tmpfs", dev, "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755,size=1m",
                 "mounting a tmpfs on /dev");
    // The numbers are the kernel's fixed ones (Documentation/admin-guide/devices.txt).
    static constexpr struct {
        const char* name;
        unsigned major, minor;
    } kDevices[] = {{"null", 1, 3},   {"zero", 1, 5},    {"full", 1, 7},
                    {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0}};
    for (const auto& device : kDevices) {
        std::string target = dev + "/" + device.name;
        if (!identity.userNamespace) {
            // As root, the device made here (the tmpfs allows devices): cheaper than a bind
            // mount to set up and to tear down. In a user namespace mknod is refused.
            if (::mknod(target.c_str(), S_IFCHR | 0666, makedev(device.major, device.minor)) == -1)
                throw SysError("creating the device '" + target + "'");
            continue;
        }
        std::string host = std::string("/dev/") + device.name;
        makeEmptyFile(root, host);
        mountOrThrow(host, target, nullptr, MS_BIND, nullptr, "bind-mounting '" + host + "'");
    }
    // A private devpts instance: terminals the builder opens are its own, and the host's
    // ptys (the caller's terminal among them) are not listed.
    makeDir(dev + "/pts", 0755);
    mountOrThrow("devpts", dev + "/pts", "devpts", MS_NOSUID | MS_NOEXEC,
                 "newinstance,ptmxmode=0666,mode=0620", "mounting devpts");
    makeSymlink("pts/ptmx", dev + "/ptmx");
    makeDir(dev + "/shm", 0755);
    mountOrThrow("/proc/self/fd/" + std::to_string(shm.get()), dev + "/shm", nullptr, MS_BIND,
                 nullptr, "bind-mounting the scratch directory on /dev/shm");
    makeSymlink("/proc/self/fd", dev + "/fd");
    makeSymlink("/proc/self/fd/0", dev + "/stdin");
    makeSymlink("/proc/self/fd/1", dev + "/stdout");
    makeSymlink("/proc/self/fd/2", dev + "/stderr");
}

// The directory that receives the outputs, on the host's file system, where the caller
// finds them afterwards. Held by an O_PATH descriptor because the sandbox's own /tmp (or
// /dev) may cover its host path once mounted.
FileDescriptor openOutputDir(const SandboxConfig& config, const SandboxIdentity& id) {
    const std::string& dir = config.outputDir;
    // 1775: the builder may create its outputs here, and the sticky bit stops it from
    // renaming or deleting mount points it does not own.
    if (!id.userNamespace && ::chown(dir.c_str(), 0, id.gid) == -1)
        throw SysError("giving the output directory '" + dir + "' to the build group");
    if (::chmod(dir.c_str(), 01775) == -1)
        throw SysError("setting mode 1775 on the output directory '" + dir + "'");
    int fd = ::open(dir.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd == -1) throw SysError("opening the output directory '" + dir + "'");
    return FileDescriptor(fd);
}

// Binds the output directory at the store dir's logical path: its own mount, so it stays
// writable when the rest of the root is made read-only.
void mountStoreDir(const std::string& root, const SandboxConfig& config, int outputDir) {
    makeDirs(root, config.storeDir, 0755);
    mountOrThrow("/proc/self/fd/" + std::to_string(outputDir), root + config.storeDir, nullptr,
                 MS_BIND, nullptr, "bind-mounting the output directory as the store dir");
}

// A symlink to recreate in the sandbox: `path` (below the root) pointing at `target`.
struct SandboxLink {
    std::string target;
    std::string path;
};

// Opens `relative` (a store path's base name, perhaps with a subpath) beneath the store
// dir's descriptor with O_PATH, following no symlink: every component but the last must
// be a real directory, and the last is opened as what it is, a symlink included. A
// symlink a build or a source put in the store would otherwise be resolved here, against
// the host's root, by a process that may be root: a path to a root-only file, to /etc, or
// `..` to the store root would be mounted into the sandbox. Returns an invalid descriptor
// for a missing optional entry.
FileDescriptor openInStore(int storeDir, const std::string& realStoreDir, const BindMount& m) {
    const std::string shown = realStoreDir + "/" + m.source;
    if (!isCleanAbsolutePath("/" + m.source))
        throw SandboxError("the store path '" + shown + "' is not a clean relative path");
    FileDescriptor current;
    int at = storeDir;
    for (size_t start = 0;;) {
        size_t slash = m.source.find('/', start);
        bool last = slash == std::string::npos;
        std::string name = m.source.substr(start, last ? std::string::npos : slash - start);
        // O_DIRECTORY with O_NOFOLLOW: a symlink in the middle is ENOTDIR, not followed.
        int flags = O_PATH | O_NOFOLLOW | O_CLOEXEC | (last ? 0 : O_DIRECTORY);
        int fd = ::openat(at, name.c_str(), flags);
        if (fd == -1) {
            if (m.optional && errno == ENOENT) return FileDescriptor();
            if (errno == ENOTDIR || errno == ELOOP)
                throw SysError("opening '" + shown +
                               "': a component of its path is a symlink "
                               "or a file, and store paths are never followed");
            throw SysError("opening the store path '" + shown + "'");
        }
        current = FileDescriptor(fd);
        if (last) return current;
        at = current.get();
        start = slash + 1;
    }
}

std::string readLinkAt(int fd, const std::string& shown) {
    std::string target(256, '\0');
    for (;;) {
        // An O_PATH descriptor of the link itself, with an empty path (Linux 2.6.39).
        ssize_t n = ::readlinkat(fd, "", target.data(), target.size());
        if (n == -1) throw SysError("reading the symlink '" + shown + "'");
        if (static_cast<size_t>(n) < target.size()) {
            target.resize(static_cast<size_t>(n));
            return target;
        }
        target.resize(target.size() * 2);
    }
}

// Mounts one store path (or a path below one) at `target`, from a descriptor that
// openInStore opened without following a link; a symlink is kept in `links` to be
// recreated once every mount is in place. The bind's source is the descriptor's magic
// link in /proc, which names the opened inode itself: nothing is resolved by name again.
void mountFromStore(const std::string& root, const BindMount& m, int storeDir,
                    const std::string& realStoreDir, std::vector<SandboxLink>& links) {
    const std::string shown = realStoreDir + "/" + m.source;
    FileDescriptor source = openInStore(storeDir, realStoreDir, m);
    if (!source) return;
    struct stat info {};
    if (::fstat(source.get(), &info) == -1) throw SysError("examining '" + shown + "'");
    if (S_ISLNK(info.st_mode)) {
        links.push_back({readLinkAt(source.get(), shown), root + m.target});
        return;
    }
    if (S_ISDIR(info.st_mode)) {
        makeDirs(root, m.target, 0755);
    } else {
        makeEmptyFile(root, m.target);
    }
    std::string target = root + m.target;
    mountOrThrow("/proc/self/fd/" + std::to_string(source.get()), target, nullptr, MS_BIND, nullptr,
                 "bind-mounting the store path '" + shown + "'");
    restrictMount(target, m.readOnly, "remounting a store path read-only");
}

void mountEntries(const std::string& root, const SandboxConfig& config) {
    std::vector<const BindMount*> sorted;
    for (const auto& m : config.mounts)
        sorted.push_back(&m);
    // Parents before children: `/usr` must be in place before `/usr/lib/x` is mounted on it.
    std::stable_sort(sorted.begin(), sorted.end(),
                     [](const BindMount* a, const BindMount* b) { return a->target < b->target; });
    FileDescriptor storeDir;
    std::vector<SandboxLink> links;
    for (const BindMount* m : sorted) {
        if (m->fromStore) {
            if (!storeDir) {
                int fd = ::open(config.realStoreDir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (fd == -1) throw SysError("opening the store dir '" + config.realStoreDir + "'");
                storeDir = FileDescriptor(fd);
            }
            mountFromStore(root, *m, storeDir.get(), config.realStoreDir, links);
            continue;
        }
        struct stat info {};
        if (::stat(m->source.c_str(), &info) == -1) {
            if (m->optional && errno == ENOENT) continue;
            throw SysError("reading sandbox path source '" + m->source + "'");
        }
        std::string target = root + m->target;
        if (S_ISDIR(info.st_mode)) {
            makeDirs(root, m->target, 0755);
        } else {
            makeEmptyFile(root, m->target);
        }
        bindMount(m->source, target, m->readOnly);
    }
    // Links last: were one made before a mount below its path, that mount would follow it.
    // A mount target below a store path that is a link now fails here (EEXIST) instead.
    for (const SandboxLink& link : links) {
        makeDirs(root, link.path.substr(root.size(), link.path.rfind('/') - root.size()), 0755);
        makeSymlink(link.target, link.path);
    }
}

// pivot_root moves the host's root out of the way and the detach below removes it from
// this mount namespace: unlike chroot, there is no directory left above `/` that a
// process with CAP_SYS_CHROOT (or a new user namespace) could climb back to.
void pivotInto(const std::string& root) {
    if (::chdir(root.c_str()) == -1)
        throw SysError("changing into the sandbox root '" + root + "'");
    if (::syscall(SYS_pivot_root, ".", ".") == -1) throw SysError("pivot_root into '" + root + "'");
    if (::umount2(".", MNT_DETACH) == -1) throw SysError("detaching the host's root file system");
    if (::chdir("/") == -1) throw SysError("changing into the new root");
}

} // namespace

bool isCleanAbsolutePath(const std::string& path) {
    if (path.empty() || path[0] != '/') return false;
    if (path == "/") return true;
    if (path.back() == '/') return false;
    for (size_t start = 1; start <= path.size();) {
        size_t end = path.find('/', start);
        if (end == std::string::npos) end = path.size();
        std::string_view part(path.data() + start, end - start);
        if (part.empty() || part == "." || part == "..") return false;
        start = end + 1;
    }
    return true;
}

void enterSandboxRoot(const SandboxConfig& config, const SandboxIdentity& identity) {
    const std::string& root = config.sandboxRoot;
    // Modes below are exact (a device's 0666 above all); the builder gets 022 before exec.
    ::umask(0);

    // Private propagation: the mounts below must not appear in the host's namespace, and
    // mounts made later on the host must not appear in the sandbox.
    mountOrThrow("", "/", nullptr, MS_REC | MS_PRIVATE, nullptr, "making mounts private");
    FileDescriptor outputDir = openOutputDir(config, identity);
    // The root itself is a tmpfs over the host directory: mount points and /etc cost no
    // disk writes, and they vanish with the namespace, leaving the caller only the output
    // directory. It is also the mount point pivot_root needs.
    // It holds the build's scratch space too (rootOptions).
    mountOrThrow("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, rootOptions(config).c_str(),
                 "mounting a tmpfs as the sandbox root");
    // The sandbox's own file systems first, so that the store dir, /build and sandbox paths
    // may lie below them (a store under /tmp) and are mounted on top.
    makeDir(root + "/tmp", 01777);
    bindOnItself(root + "/tmp", "bind-mounting /tmp on itself");
    makeDev(root, identity);
    // A procfs of the new PID namespace: host processes are not listed, their
    // environments and command lines cannot be read.
    makeDir(root + "/proc", 0555);
    mountOrThrow("proc", root + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr,
                 "mounting /proc");
    makeEtc(root, config, identity);
    // Only the inputs are mounted into the store dir, so listing it reveals nothing else.
    mountStoreDir(root, config, outputDir.get());
    outputDir.close();
    mountBuildDir(root, config, identity);
    mountEntries(root, config);

    pivotInto(root);
    // Everything outside the store dir, /build, /tmp and /dev/shm is read-only: a builder
    // cannot leave files in the root that a later step (or the caller) might trust.
    restrictMount("/", true, "remounting the sandbox root read-only");
    if (::chdir("/build") == -1) throw SysError("changing into /build");
}

} // namespace purist::sandbox
