#include "sandbox/cgroup.h"

#include "base/error.h"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <dirent.h>
#include <fcntl.h>
#include <memory>
#include <mutex>
#include <sstream>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <utility>

namespace purist::sandbox {
namespace {

SandboxError cgroupFailure(const std::string& step, int errorNumber = errno) {
    return SandboxError("sandbox: " + std::string(SysError(errorNumber, step).what()));
}

// The value of `key` in a cgroup file of `key value` lines (memory.events, pids.events,
// memory.oom_control); 0 when absent.
uint64_t counterOf(const std::string& text, std::string_view key) {
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        if (line.size() > key.size() && line.compare(0, key.size(), key) == 0 &&
            line[key.size()] == ' ')
            return std::strtoull(line.c_str() + key.size() + 1, nullptr, 10);
    }
    return 0;
}

// Writes `value` to a cgroup control file. `optional`: a file the kernel may lack (swap
// accounting off, an old kernel) is skipped.
void writeControl(const std::string& path, const std::string& value, bool optional = false) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd == -1) {
        if (optional && errno == ENOENT) return;
        throw cgroupFailure("opening '" + path + "'");
    }
    FileDescriptor owner(fd);
    if (::write(fd, value.data(), value.size()) != static_cast<ssize_t>(value.size()))
        throw cgroupFailure("writing '" + value + "' to '" + path + "'");
}

// Reads a cgroup file from its start, through a descriptor kept open (which also clears
// the kernel's change mark on it, for poll).
std::string readFrom(int fd) {
    std::string out;
    char buffer[512];
    for (off_t at = 0;;) {
        ssize_t n = ::pread(fd, buffer, sizeof buffer, at);
        if (n == -1) {
            if (errno == EINTR) continue;
            throw cgroupFailure("reading a cgroup file");
        }
        if (n == 0) return out;
        out.append(buffer, static_cast<size_t>(n));
        at += n;
    }
}

bool hasWord(const std::string& list, std::string_view word, char separator) {
    std::istringstream in(list);
    for (std::string item; std::getline(in, item, separator);) {
        while (!item.empty() && (item.back() == '\n' || item.back() == ' '))
            item.pop_back();
        if (item == word) return true;
    }
    return false;
}

std::string uniqueName() {
    static std::atomic<unsigned> counter{0};
    return "purist-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
}

// Where this process's cgroup lies on the host, in one hierarchy: the hierarchy's mount
// point joined with the path /proc/self/cgroup gives, relative to the mount's root.
struct Hierarchy {
    std::string mountPoint;
    std::string mountRoot;
};

std::string ownDirectory(const Hierarchy& h, const std::string& cgroupPath) {
    std::string relative = cgroupPath;
    if (h.mountRoot != "/" && relative.compare(0, h.mountRoot.size(), h.mountRoot) == 0)
        relative = relative.substr(h.mountRoot.size());
    if (relative == "/") relative.clear();
    return h.mountPoint + relative;
}

// Removes the empty build cgroups that a purist process killed mid-build (SIGKILL: no
// destructor ran) left in `dir`: named purist-<pid>-<n>, their pid no longer alive. One
// still holding processes is not empty and stays (rmdir refuses it).
void removeStaleCgroups(const CgroupFileSystem& files, const std::string& dir) {
    DIR* list = ::opendir(dir.c_str());
    if (!list) return;
    std::unique_ptr<DIR, int (*)(DIR*)> closer(list, ::closedir);
    while (dirent* entry = ::readdir(list)) {
        std::string_view name = entry->d_name;
        if (!name.starts_with("purist-")) continue;
        pid_t owner = static_cast<pid_t>(std::strtol(entry->d_name + 7, nullptr, 10));
        if (owner <= 0 || ::kill(owner, 0) == 0 || errno != ESRCH) continue;
        // Best effort: what cannot be removed now is tried again by the next purist.
        std::string stale = dir + "/" + entry->d_name;
        if (files.removing) files.removing(stale);
        (void)::rmdir(stale.c_str());
    }
}

// Whether a cgroup can be made in `dir`: the only test that tells (ownership, a read-only
// mount, delegation); the probe's cgroup is removed at once.
bool canCreateIn(const CgroupFileSystem& files, const std::string& dir, std::string& why) {
    std::string probe = dir + "/" + uniqueName();
    if (::mkdir(probe.c_str(), 0755) == -1) {
        why = SysError("creating a cgroup in '" + dir + "'").what();
        return false;
    }
    if (files.created) files.created(probe);
    if (files.removing) files.removing(probe);
    if (::rmdir(probe.c_str()) == -1) throw cgroupFailure("removing the cgroup '" + probe + "'");
    removeStaleCgroups(files, dir);
    return true;
}

// Enables `enable` ("+memory +pids") for the children of purist's v2 cgroup `own`. The
// kernel refuses while `own` itself holds processes (no internal processes): purist then
// moves itself into a leaf of its own below `own`, as Nix does, and tries again. That works
// when purist is alone in a delegated cgroup (systemd-run --user --scope -p Delegate=yes),
// and before the sandbox helper is started (prepareSandbox probes first); with other
// processes there (a terminal's shell), it cannot, and `why` says so. The leaf is left
// behind when purist exits, and removed by the next purist (removeStaleCgroups).
bool handDownControllers(const CgroupFileSystem& files, const std::string& own,
                         const std::string& enable, std::string& why) {
    std::string control = own + "/cgroup.subtree_control";
    try {
        writeControl(control, enable);
        return true;
    } catch (const SandboxError& e) {
        why = e.what();
    }
    if (::access(control.c_str(), W_OK) != 0) return false;
    std::string leaf = own + "/" + uniqueName() + "-self";
    if (::mkdir(leaf.c_str(), 0755) == -1) return false;
    if (files.created) files.created(leaf);
    try {
        writeControl(leaf + "/cgroup.procs", "0");
        writeControl(control, enable);
        return true;
    } catch (const SandboxError& e) {
        why = std::string(e.what()) +
              " (other processes share purist's cgroup; run purist in a delegated cgroup of "
              "its own, e.g. systemd-run --user --scope -p Delegate=yes purist ...)";
        return false;
    }
}

} // namespace

CgroupSupport probeCgroups(const CgroupFileSystem& files) {
    CgroupSupport support;
    support.files = files;
    std::string cgroups, mountinfo;
    try {
        cgroups = readFile(files.root + "/proc/self/cgroup");
        mountinfo = readFile(files.root + "/proc/self/mountinfo");
    } catch (const SysError& e) {
        support.whyNot = e.what();
        return support;
    }
    // Mount points of the hierarchies: fields 4 (root) and 5 (mount point), then after
    // " - " the file system type and its super options (the v1 controllers).
    std::optional<Hierarchy> v2, memoryV1, pidsV1;
    std::istringstream mounts(mountinfo);
    for (std::string line; std::getline(mounts, line);) {
        std::istringstream fields(line);
        std::string id, parent, device, root, mountPoint, word;
        fields >> id >> parent >> device >> root >> mountPoint;
        while (fields >> word && word != "-") {
        }
        std::string type, source, options;
        fields >> type >> source >> options;
        mountPoint = files.root + mountPoint;
        if (type == "cgroup2" && !v2) v2 = Hierarchy{mountPoint, root};
        if (type != "cgroup") continue;
        if (hasWord(options, "memory", ',') && !memoryV1) memoryV1 = Hierarchy{mountPoint, root};
        if (hasWord(options, "pids", ',') && !pidsV1) pidsV1 = Hierarchy{mountPoint, root};
    }
    std::string v2Path, memoryPath, pidsPath;
    std::istringstream lines(cgroups);
    for (std::string line; std::getline(lines, line);) {
        size_t first = line.find(':'), second = line.find(':', first + 1);
        if (first == std::string::npos || second == std::string::npos) continue;
        std::string controllers = line.substr(first + 1, second - first - 1);
        std::string path = line.substr(second + 1);
        if (line.compare(0, first, "0") == 0 && controllers.empty()) v2Path = path;
        if (hasWord(controllers, "memory", ',')) memoryPath = path;
        if (hasWord(controllers, "pids", ',')) pidsPath = path;
    }

    // v2 when its hierarchy holds the controllers; otherwise the v1 ones, if mounted.
    if (v2 && !v2Path.empty()) {
        std::string own = ownDirectory(*v2, v2Path);
        std::string available;
        try {
            available = readFile(own + "/cgroup.controllers");
        } catch (const SysError&) {
        }
        bool memory = hasWord(available, "memory", ' ');
        bool pids = hasWord(available, "pids", ' ');
        if (memory || pids) {
            support.version = CgroupSupport::Version::V2;
            support.memoryParent = support.pidsParent = own;
            // The build's cgroup gets the controllers only if its parent hands them down;
            // the kernel refuses that while the parent itself holds processes (purist),
            // and then purist runs without these limits and says so.
            std::string enable = std::string(memory ? "+memory " : "") + (pids ? "+pids" : "");
            std::string subtree;
            try {
                subtree = readFile(own + "/cgroup.subtree_control");
            } catch (const SysError&) {
            }
            bool handedDown = (!memory || hasWord(subtree, "memory", ' ')) &&
                              (!pids || hasWord(subtree, "pids", ' '));
            if (!handedDown) handedDown = handDownControllers(files, own, enable, support.whyNot);
            if (handedDown && canCreateIn(files, own, support.whyNot)) {
                support.memory = memory;
                support.pids = pids;
            }
            if (!memory && support.whyNot.empty())
                support.whyNot = "the cgroup v2 hierarchy has no memory controller here";
            if (!pids && support.whyNot.empty())
                support.whyNot = "the cgroup v2 hierarchy has no pids controller here";
            return support;
        }
    }
    support.version = CgroupSupport::Version::V1;
    if (memoryV1 && !memoryPath.empty()) {
        support.memoryParent = ownDirectory(*memoryV1, memoryPath);
        support.memory = canCreateIn(files, support.memoryParent, support.whyNot);
    } else {
        support.whyNot = "no cgroup memory controller is mounted";
    }
    if (pidsV1 && !pidsPath.empty()) {
        support.pidsParent = ownDirectory(*pidsV1, pidsPath);
        std::string why;
        support.pids = canCreateIn(files, support.pidsParent, why);
        if (!support.pids && support.whyNot.empty()) support.whyNot = why;
    } else if (support.whyNot.empty()) {
        support.whyNot = "no cgroup pids controller is mounted";
    }
    if (!support.memory && !support.pids && !memoryV1 && !pidsV1)
        support.version = CgroupSupport::Version::None;
    return support;
}

const CgroupSupport& cgroupSupport() {
    static std::once_flag once;
    static CgroupSupport support;
    std::call_once(once, [] { support = probeCgroups(CgroupFileSystem{}); });
    return support;
}

// Emptied build cgroups of this process, for its next builds (BuildCgroup::recycle). A
// forked child of this process must not take them: its parent may be using the same.
struct CgroupPool {
    std::mutex mutex;
    pid_t owner = ::getpid();
    std::vector<std::unique_ptr<BuildCgroup>> free;

    std::optional<BuildCgroup> take(bool memory, bool pids) {
        std::lock_guard lock(mutex);
        if (owner != ::getpid()) {
            for (auto& c : free) // the parent's: not ours to remove
                c->memoryDir_.reset(), c->pidsDir_.reset();
            free.clear();
            owner = ::getpid();
        }
        for (size_t i = 0; i < free.size(); ++i) {
            if (free[i]->memoryDir_.has_value() != memory || free[i]->pidsDir_.has_value() != pids)
                continue;
            std::optional<BuildCgroup> taken(std::move(*free[i]));
            free.erase(free.begin() + static_cast<long>(i));
            return taken;
        }
        return std::nullopt;
    }

    void give(BuildCgroup&& cgroup) {
        std::lock_guard lock(mutex);
        if (owner == ::getpid()) free.push_back(std::make_unique<BuildCgroup>(std::move(cgroup)));
    }

    ~CgroupPool() {
        if (owner != ::getpid()) {
            for (auto& c : free)
                c->memoryDir_.reset(), c->pidsDir_.reset();
        }
    }
};

CgroupPool& cgroupPool() {
    static CgroupPool pool;
    return pool;
}

void BuildCgroup::limit(uint64_t maxMemory, uint64_t maxProcesses) {
    // A recycled cgroup keeps its limits and counters: limits are written only when they
    // change, and the counters' last values (read by limitHit() when the previous build
    // ended, with nothing left in the cgroup to change them since) are the new baseline.
    if (memoryDir_ && maxMemory != memoryLimit_) {
        const char* file = v1_ ? "/memory.limit_in_bytes" : "/memory.max";
        writeControl(*memoryDir_ + file, std::to_string(maxMemory));
        if (v1_)
            writeControl(*memoryDir_ + "/memory.memsw.limit_in_bytes", std::to_string(maxMemory),
                         true);
        memoryLimit_ = maxMemory;
    }
    if (pidsDir_ && maxProcesses != processLimit_) {
        writeControl(*pidsDir_ + "/pids.max", std::to_string(maxProcesses));
        processLimit_ = maxProcesses;
    }
    drainEvent();
    oomKillsBefore_ = oomKillsSeen_;
    pidsMaxBefore_ = pidsMaxSeen_;
}

bool BuildCgroup::populated() const {
    if (cgroupEvents_) return counterOf(readFrom(cgroupEvents_.get()), "populated") != 0;
    if (pidsCurrent_) return readFrom(pidsCurrent_.get()) != "0\n";
    if (memoryDir_) return !readFile(*memoryDir_ + "/cgroup.procs").empty();
    return false;
}

void BuildCgroup::recycle() {
    // Nothing of the build may be left to run in the next one's cgroup.
    if (!pooled_ || populated()) return remove();
    cgroupPool().give(std::move(*this));
}

std::optional<BuildCgroup> BuildCgroup::create(uint64_t maxMemory, uint64_t maxProcesses) {
    const CgroupSupport& support = cgroupSupport();
    bool memory = maxMemory > 0 && support.memory;
    bool pids = maxProcesses > 0 && support.pids;
    if (!memory && !pids) return std::nullopt;
    if (std::optional<BuildCgroup> reused = cgroupPool().take(memory, pids)) {
        reused->limit(maxMemory, maxProcesses);
        return reused;
    }
    std::optional<BuildCgroup> made = create(support, maxMemory, maxProcesses);
    if (made) made->pooled_ = true;
    return made;
}

std::optional<BuildCgroup> BuildCgroup::create(const CgroupSupport& support, uint64_t maxMemory,
                                               uint64_t maxProcesses) {
    bool memory = maxMemory > 0 && support.memory;
    bool pids = maxProcesses > 0 && support.pids;
    if (!memory && !pids) return std::nullopt;
    BuildCgroup cgroup; // removes what was made if a step below throws
    cgroup.files_ = &support.files;
    cgroup.v1_ = support.version == CgroupSupport::Version::V1;
    std::string name = uniqueName();
    auto make = [&](const std::string& parent) {
        std::string dir = parent + "/" + name;
        if (::mkdir(dir.c_str(), 0755) == -1)
            throw cgroupFailure("creating the build's cgroup '" + dir + "'");
        if (support.files.created) support.files.created(dir);
        cgroup.join_.push_back(dir + "/cgroup.procs");
        return dir;
    };
    auto openRead = [&](const std::string& path) {
        int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd == -1) throw cgroupFailure("opening '" + path + "'");
        return FileDescriptor(fd);
    };
    auto openWatched = [&](const std::string& path) {
        cgroup.watched_.push_back(openRead(path));
        return cgroup.watched_.back().get();
    };

    if (cgroup.v1_) {
        if (memory) {
            std::string dir = make(support.memoryParent);
            cgroup.memoryDir_ = dir;
            writeControl(dir + "/memory.limit_in_bytes", std::to_string(maxMemory));
            cgroup.memoryLimit_ = maxMemory;
            // Memory plus swap, where swap is accounted: swapping must not lift the limit.
            writeControl(dir + "/memory.memsw.limit_in_bytes", std::to_string(maxMemory), true);
            int event = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
            if (event == -1) throw cgroupFailure("creating an eventfd");
            cgroup.eventFd_ = FileDescriptor(event);
            int oomControl = openWatched(dir + "/memory.oom_control");
            cgroup.memoryEvents_ = oomControl;
            writeControl(dir + "/cgroup.event_control",
                         std::to_string(event) + " " + std::to_string(oomControl));
        }
        if (pids) {
            std::string dir = make(support.pidsParent);
            cgroup.pidsDir_ = dir;
            writeControl(dir + "/pids.max", std::to_string(maxProcesses));
            cgroup.processLimit_ = maxProcesses;
            cgroup.counters_.push_back(openRead(dir + "/pids.events"));
            cgroup.pidsEvents_ = cgroup.counters_.back().get();
            cgroup.pidsCurrent_ = openRead(dir + "/pids.current");
            // v1 pids has no notification.
            cgroup.needsPolling_ = true;
        }
        return cgroup;
    }

    std::string dir = make(support.memoryParent);
    // Owned at once, so a failure below removes it.
    if (memory) cgroup.memoryDir_ = dir;
    if (pids) cgroup.pidsDir_ = dir;
    int epoll = ::epoll_create1(EPOLL_CLOEXEC);
    if (epoll == -1) throw cgroupFailure("creating an epoll descriptor");
    cgroup.eventFd_ = FileDescriptor(epoll);
    auto watch = [&](const std::string& path) {
        int fd = openWatched(path);
        epoll_event event{};
        event.events = EPOLLPRI;
        event.data.fd = fd;
        if (::epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event) == -1) {
            // A file that cannot be polled (EPERM: no kernfs file, as in a test's tree) is
            // asked every few hundred milliseconds instead.
            if (errno != EPERM) throw cgroupFailure("watching '" + path + "'");
            cgroup.needsPolling_ = true;
        }
        return fd;
    };
    if (memory) {
        writeControl(dir + "/memory.max", std::to_string(maxMemory));
        cgroup.memoryLimit_ = maxMemory;
        writeControl(dir + "/memory.swap.max", "0", true);
        cgroup.memoryEvents_ = watch(dir + "/memory.events");
    }
    if (pids) {
        writeControl(dir + "/pids.max", std::to_string(maxProcesses));
        cgroup.processLimit_ = maxProcesses;
        cgroup.pidsEvents_ = watch(dir + "/pids.events");
    }
    // Whether anything is left in it, this cgroup or below, whatever the controllers.
    cgroup.cgroupEvents_ = openRead(dir + "/cgroup.events");
    // One directory on v2: joined once.
    cgroup.join_.resize(1);
    return cgroup;
}

BuildCgroup::BuildCgroup(BuildCgroup&& other) noexcept
    : files_(other.files_), v1_(other.v1_), needsPolling_(other.needsPolling_),
      pooled_(other.pooled_), memoryDir_(std::exchange(other.memoryDir_, std::nullopt)),
      pidsDir_(std::exchange(other.pidsDir_, std::nullopt)), join_(std::move(other.join_)),
      eventFd_(std::move(other.eventFd_)), watched_(std::move(other.watched_)),
      memoryEvents_(std::exchange(other.memoryEvents_, -1)),
      pidsEvents_(std::exchange(other.pidsEvents_, -1)),
      pidsCurrent_(std::move(other.pidsCurrent_)), cgroupEvents_(std::move(other.cgroupEvents_)),
      counters_(std::move(other.counters_)), memoryLimit_(other.memoryLimit_),
      processLimit_(other.processLimit_), oomKillsBefore_(other.oomKillsBefore_),
      pidsMaxBefore_(other.pidsMaxBefore_), oomKillsSeen_(other.oomKillsSeen_),
      pidsMaxSeen_(other.pidsMaxSeen_) {}

BuildCgroup::~BuildCgroup() {
    try {
        remove();
    } catch (const Error&) {
        // A destructor cannot throw; the build's caller calls remove() to hear about it.
    }
}

void BuildCgroup::drainEvent() const {
    if (!eventFd_) return;
    if (v1_) {
        uint64_t count;
        (void)!::read(eventFd_.get(), &count, sizeof count); // EAGAIN: nothing pending
        return;
    }
    for (const FileDescriptor& fd : watched_)
        readFrom(fd.get());
}

CgroupLimit BuildCgroup::limitHit() const {
    if (memoryEvents_ >= 0) {
        std::string events = readFrom(memoryEvents_);
        oomKillsSeen_ = counterOf(events, "oom_kill");
        if (v1_ && counterOf(events, "under_oom") > 0) return CgroupLimit::Memory;
    }
    if (pidsEvents_ >= 0) pidsMaxSeen_ = counterOf(readFrom(pidsEvents_), "max");
    if (oomKillsSeen_ > oomKillsBefore_) return CgroupLimit::Memory;
    if (pidsMaxSeen_ > pidsMaxBefore_) return CgroupLimit::Processes;
    return CgroupLimit::None;
}

void BuildCgroup::killAll() const {
    for (const std::optional<std::string>& dir : {memoryDir_, pidsDir_}) {
        if (!dir) continue;
        if (!v1_) {
            int fd = ::open((*dir + "/cgroup.kill").c_str(), O_WRONLY | O_CLOEXEC);
            if (fd != -1) {
                FileDescriptor owner(fd);
                if (::write(fd, "1", 1) == 1) continue;
            }
        }
        // v1, or a v2 kernel older than cgroup.kill (5.14): each listed process. A process
        // forked meanwhile is caught by the next round of remove().
        std::istringstream pids(readFile(*dir + "/cgroup.procs"));
        for (pid_t pid; pids >> pid;)
            ::kill(pid, SIGKILL);
    }
}

void BuildCgroup::remove() {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    // On v2 both name one directory: removed once.
    if (!v1_ && memoryDir_) pidsDir_.reset();
    removeDir(memoryDir_, deadline);
    removeDir(pidsDir_, deadline);
}

void BuildCgroup::removeDir(std::optional<std::string>& dir,
                            std::chrono::steady_clock::time_point deadline) {
    if (!dir) return;
    if (files_ && files_->removing) files_->removing(*dir);
    for (int attempt = 0;; ++attempt) {
        if (::rmdir(dir->c_str()) == 0 || errno == ENOENT) break;
        if (errno != EBUSY || std::chrono::steady_clock::now() >= deadline)
            throw cgroupFailure("removing the build's cgroup '" + *dir + "'");
        // A process that has closed its pipes may still be exiting: give it a moment,
        // then kill whatever stays.
        if (attempt >= 10) killAll();
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    dir.reset();
}

} // namespace purist::sandbox
