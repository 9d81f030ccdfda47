#include "store/nar.h"

#include "base/directory.h"
#include "base/error.h"
#include "base/file_descriptor.h"
#include "base/temp_dir.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <map>
#include <memory>
#include <optional>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <vector>

namespace purist {
namespace {

constexpr std::string_view kNarMagic = "nix-archive-1";
// Large enough that a hash or scan consumer runs at full speed, small enough to stay in L2.
constexpr size_t kBufferSize = 256 * 1024;
// Longest name and symlink target a restore accepts: NAME_MAX and PATH_MAX on Linux.
constexpr size_t kMaxNameLength = 255;
constexpr size_t kMaxTargetLength = 4095;
constexpr size_t kMaxTokenLength = 64;

size_t paddingOf(uint64_t length) {
    return static_cast<size_t>((8 - length % 8) % 8);
}

bool resolveCaseHack(CaseHack mode, const std::string& path) {
    if (mode == CaseHack::Auto) return isCaseInsensitive(path);
    return mode == CaseHack::On;
}

/// Writes NAR tokens through a buffer, so a small token is a memcpy, not a sink call.
class NarWriter {
public:
    NarWriter(Sink& sink, NarListener* listener)
        : sink_(sink), listener_(listener),
          buffer_(std::make_unique_for_overwrite<char[]>(kBufferSize)) {}

    void writeU64(uint64_t value) {
        char bytes[8];
        for (int i = 0; i < 8; ++i)
            bytes[i] = static_cast<char>(value >> (8 * i));
        append(std::string_view(bytes, 8));
    }

    void writeString(std::string_view s) {
        writeU64(s.size());
        append(s);
        pad(s.size());
    }

    /// Writes a string whose bytes are a payload the listener is told about.
    void writePayloadString(const NarPlacePtr& place, std::string_view s) {
        writeU64(s.size());
        mark(place);
        append(s);
        pad(s.size());
    }

    void mark(const NarPlacePtr& place) {
        if (listener_) listener_->onPayload(place, offset_ + used_);
    }

    bool listening() const { return listener_ != nullptr; }

    /// Copies `size` bytes of file contents from `fd` straight into the buffer.
    void writeContents(int fd, uint64_t size, const std::string& shownPath,
                       const NarPlacePtr& place) {
        writeU64(size);
        mark(place);
        uint64_t left = size;
        while (left > 0) {
            if (used_ == kBufferSize) flush();
            size_t want = static_cast<size_t>(std::min<uint64_t>(left, kBufferSize - used_));
            size_t got = readSome(fd, buffer_.get() + used_, want, "'" + shownPath + "'");
            if (got == 0)
                throw FormatError("file '" + shownPath + "' shrank while it was archived");
            used_ += got;
            left -= got;
        }
        char probe;
        if (readSome(fd, &probe, 1, "'" + shownPath + "'") != 0)
            throw FormatError("file '" + shownPath + "' grew while it was archived");
        pad(size);
    }

    void flush() {
        if (used_ == 0) return;
        sink_.write(std::string_view(buffer_.get(), used_));
        offset_ += used_;
        used_ = 0;
    }

private:
    void append(std::string_view s) {
        while (!s.empty()) {
            if (used_ == kBufferSize) flush();
            size_t n = std::min(s.size(), kBufferSize - used_);
            std::memcpy(buffer_.get() + used_, s.data(), n);
            used_ += n;
            s.remove_prefix(n);
        }
    }

    void pad(uint64_t length) {
        static constexpr char kZeros[8] = {};
        append(std::string_view(kZeros, paddingOf(length)));
    }

    Sink& sink_;
    NarListener* listener_;
    // Not zero-initialised: a small path touches only the pages it fills.
    std::unique_ptr<char[]> buffer_;
    size_t used_ = 0;
    uint64_t offset_ = 0;
};

/// Writes a tree as NAR without recursion: a DirectoryPath down to the directory being
/// written and, per level, its sorted entries still to write.
class Dumper {
public:
    Dumper(NarWriter& writer, bool caseHack) : writer_(writer), caseHack_(caseHack) {}

    void dump(const std::string& path) {
        struct stat st;
        if (::fstatat(AT_FDCWD, path.c_str(), &st, AT_SYMLINK_NOFOLLOW) == -1)
            throw SysError("examining '" + shownPath(path) + "'");
        if (!S_ISDIR(st.st_mode)) {
            leaf(AT_FDCWD, path, path, st, nullptr);
            return;
        }
        writeDirectoryStart();
        DirectoryPath walk(openDirectoryAt(AT_FDCWD, path, path), path);
        struct Level {
            std::vector<std::pair<std::string, std::string>> entries;
            size_t next = 0;
            NarPlacePtr place;
        };
        std::vector<Level> levels;
        levels.push_back({listSorted(walk.fd(), walk.path()), 0, nullptr});
        while (!levels.empty()) {
            Level& level = levels.back();
            if (level.next == level.entries.size()) {
                levels.pop_back();
                writer_.writeString(")"); // the directory node
                if (levels.empty()) break;
                walk.leave();
                writer_.writeString(")"); // its entry in the parent
                continue;
            }
            auto& [inNar, onDisk] = level.entries[level.next++];
            NarPlacePtr place;
            if (writer_.listening())
                place = std::make_shared<const NarPlace>(NarPlace{level.place, inNar});
            writer_.writeString("entry");
            writer_.writeString("(");
            writer_.writeString("name");
            writer_.writePayloadString(place, inNar);
            writer_.writeString("node");
            std::string shown = walk.shownPathOf(onDisk);
            if (::fstatat(walk.fd(), onDisk.c_str(), &st, AT_SYMLINK_NOFOLLOW) == -1)
                throw SysError("examining '" + shownPath(shown) + "'");
            if (S_ISDIR(st.st_mode)) {
                writeDirectoryStart();
                walk.enter(openDirectoryAt(walk.fd(), onDisk, shown), onDisk);
                levels.push_back({listSorted(walk.fd(), walk.path()), 0, std::move(place)});
                continue;
            }
            leaf(walk.fd(), onDisk, shown, st, place);
            writer_.writeString(")");
        }
    }

private:
    void writeDirectoryStart() {
        writer_.writeString("(");
        writer_.writeString("type");
        writer_.writeString("directory");
    }

    /// Writes the node of a file or symlink `name` in `dirFd`, whose status is `st`.
    void leaf(int dirFd, const std::string& name, const std::string& shown, const struct stat& st,
              const NarPlacePtr& place) {
        writer_.writeString("(");
        if (S_ISREG(st.st_mode)) {
            FileDescriptor fd = openFileAt(dirFd, name, O_RDONLY | O_NOFOLLOW, 0, shownPath(shown));
            struct stat opened;
            if (::fstat(fd.get(), &opened) == -1)
                throw SysError("examining '" + shownPath(shown) + "'");
            if (opened.st_ino != st.st_ino || opened.st_dev != st.st_dev)
                throw FormatError("file '" + shownPath(shown) +
                                  "' was replaced while it was archived");
            writer_.writeString("type");
            writer_.writeString("regular");
            if (st.st_mode & S_IXUSR) {
                writer_.writeString("executable");
                writer_.writeString("");
            }
            writer_.writeString("contents");
            writer_.writeContents(fd.get(), static_cast<uint64_t>(st.st_size), shownPath(shown),
                                  place);
        } else if (S_ISLNK(st.st_mode)) {
            writer_.writeString("type");
            writer_.writeString("symlink");
            writer_.writeString("target");
            writer_.writePayloadString(place, readLinkAt(dirFd, name, shown));
        } else {
            throw FormatError("'" + shownPath(shown) + "' is a " + typeName(st.st_mode) +
                              ", which a NAR cannot hold");
        }
        writer_.writeString(")");
    }

    static std::string typeName(mode_t mode) {
        if (S_ISCHR(mode)) return "character device";
        if (S_ISBLK(mode)) return "block device";
        if (S_ISFIFO(mode)) return "FIFO";
        if (S_ISSOCK(mode)) return "socket";
        return "file of unknown type";
    }

    /// Entries as (name in the NAR, name on disk), in the NAR's byte order.
    std::vector<std::pair<std::string, std::string>> listSorted(int fd, const std::string& shown) {
        std::vector<std::pair<std::string, std::string>> entries;
        for (DirectoryEntry& entry : listDirectory(fd, shownPath(shown))) {
            std::string inNar = entry.name;
            if (caseHack_) {
                size_t pos = inNar.find(kCaseHackSuffix);
                if (pos != std::string::npos) inNar.erase(pos);
            }
            entries.emplace_back(std::move(inNar), std::move(entry.name));
        }
        std::sort(entries.begin(), entries.end());
        for (size_t i = 1; i < entries.size(); ++i)
            if (entries[i].first == entries[i - 1].first)
                throw FormatError("names '" + entries[i - 1].second + "' and '" +
                                  entries[i].second + "' in '" + shownPath(shown) +
                                  "' collide once the case hack is undone");
        return entries;
    }

    NarWriter& writer_;
    bool caseHack_;
};

/// Reads NAR tokens from a source through a buffer, checking every length and padding.
class NarReader {
public:
    explicit NarReader(Source& source)
        : source_(source), buffer_(std::make_unique_for_overwrite<char[]>(kBufferSize)) {}

    uint64_t readU64() {
        char bytes[8];
        readExact(bytes, 8);
        uint64_t value = 0;
        for (int i = 7; i >= 0; --i)
            value = value << 8 | static_cast<uint8_t>(bytes[i]);
        return value;
    }

    std::string readString(size_t maxLength, std::string_view what) {
        uint64_t length = readU64();
        if (length > maxLength)
            throw FormatError("NAR " + std::string(what) + " is " + std::to_string(length) +
                              " bytes long, more than the " + std::to_string(maxLength) +
                              " allowed");
        std::string s(static_cast<size_t>(length), '\0');
        readExact(s.data(), s.size());
        readPadding(length);
        return s;
    }

    void expect(std::string_view token) {
        std::string got = readString(kMaxTokenLength, "token");
        if (got != token)
            throw FormatError("NAR has '" + printable(got) + "' where '" + std::string(token) +
                              "' was expected, at byte " + std::to_string(consumed_));
    }

    /// Hands `length` bytes of contents to `consume` in buffer-sized pieces.
    template <typename Consume> void readContents(uint64_t length, Consume&& consume) {
        while (length > 0) {
            if (pos_ == end_) fill();
            size_t n = static_cast<size_t>(std::min<uint64_t>(length, end_ - pos_));
            consume(std::string_view(buffer_.get() + pos_, n));
            pos_ += n;
            consumed_ += n;
            length -= n;
        }
    }

    void readPadding(uint64_t length) {
        char zeros[8];
        size_t n = paddingOf(length);
        readExact(zeros, n);
        for (size_t i = 0; i < n; ++i)
            if (zeros[i] != 0)
                throw FormatError("NAR has non-zero padding at byte " +
                                  std::to_string(consumed_ - n + i));
    }

    uint64_t consumed() const { return consumed_; }

    static std::string printable(std::string_view s) {
        std::string out;
        for (char c : s.substr(0, 40))
            out += (c >= 0x20 && c < 0x7f) ? c : '?';
        return out;
    }

private:
    void fill() {
        pos_ = 0;
        end_ = source_.read(buffer_.get(), kBufferSize);
        if (end_ == 0)
            throw FormatError("NAR is truncated: the stream ends after " +
                              std::to_string(consumed_) + " bytes");
    }

    void readExact(char* out, size_t size) {
        while (size > 0) {
            if (pos_ == end_) fill();
            size_t n = std::min(size, end_ - pos_);
            std::memcpy(out, buffer_.get() + pos_, n);
            pos_ += n;
            consumed_ += n;
            out += n;
            size -= n;
        }
    }

    Source& source_;
    // Not zero-initialised: a small path touches only the pages it fills.
    std::unique_ptr<char[]> buffer_;
    size_t pos_ = 0;
    size_t end_ = 0;
    uint64_t consumed_ = 0;
};

void validateName(const std::string& name, const std::string& dirShown) {
    if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos ||
        name.find('\0') != std::string::npos)
        throw FormatError("NAR entry in '" + dirShown + "' has the forbidden name '" +
                          NarReader::printable(name) + "'");
}

/// Parses one NAR and, unless it only validates, creates it. It does not recurse on the
/// archive's nesting: a stack holds, per open directory, what the order and case-hack
/// checks need, and a DirectoryPath holds a bounded number of descriptors down to the
/// directory being filled. So a hostile archive nested 100,000 deep costs memory in
/// proportion to its own size, never the stack or the descriptor table.
class Restorer {
public:
    Restorer(NarReader& reader, bool caseHack, bool create)
        : reader_(reader), caseHack_(caseHack), create_(create) {}

    /// Reads the root node and creates it as `path` (if creating).
    void restore(const std::string& path) {
        shown_ = path;
        if (!node(AT_FDCWD, path)) return;
        while (!levels_.empty()) {
            Level& level = levels_.back();
            std::string token = reader_.readString(kMaxTokenLength, "token");
            if (token == ")") {
                levels_.pop_back();
                if (levels_.empty()) return;
                if (walk_) walk_->leave();
                shown_.resize(levels_.back().shownLength);
                reader_.expect(")"); // the entry that held the directory
                continue;
            }
            if (token != "entry")
                throw FormatError("NAR directory '" + shownPath(shown_) + "' has '" +
                                  NarReader::printable(token) + "' where 'entry' was expected");
            reader_.expect("(");
            reader_.expect("name");
            std::string entryName = reader_.readString(kMaxNameLength, "entry name");
            validateName(entryName, shownPath(shown_));
            if (!level.first && entryName <= level.previous)
                throw FormatError("NAR directory '" + shownPath(shown_) + "' has entry '" +
                                  NarReader::printable(entryName) + "' " +
                                  (entryName == level.previous ? "twice" : "out of order"));
            level.first = false;
            std::string onDisk = entryName;
            if (caseHack_) {
                if (entryName.find(kCaseHackSuffix) != std::string::npos)
                    throw FormatError("NAR entry '" + NarReader::printable(entryName) + "' in '" +
                                      shownPath(shown_) + "' holds the reserved case-hack suffix");
                std::string lower = entryName;
                for (char& c : lower)
                    c = static_cast<char>(std::tolower(static_cast<uint8_t>(c)));
                auto [it, inserted] = level.lowerCaseCount.try_emplace(lower, 0);
                if (!inserted)
                    onDisk += std::string(kCaseHackSuffix) + std::to_string(++it->second);
            }
            level.previous = std::move(entryName);
            reader_.expect("node");
            shown_ += '/';
            shown_ += onDisk;
            if (!node(walk_ ? walk_->fd() : -1, onDisk)) {
                shown_.resize(levels_.back().shownLength);
                reader_.expect(")");
            }
        }
    }

private:
    struct Level {
        std::string previous; // the last entry's name, for the order check
        bool first = true;
        std::map<std::string, int> lowerCaseCount;
        size_t shownLength = 0;
    };

    /// Reads a node's header and creates it as `name` in `dirFd`. A file or symlink is
    /// read whole; a directory is entered (pushed) and its entries are left to restore().
    /// Returns true for a directory.
    bool node(int dirFd, const std::string& name) {
        reader_.expect("(");
        reader_.expect("type");
        std::string type = reader_.readString(kMaxTokenLength, "node type");
        if (type == "regular") {
            regular(dirFd, name);
            return false;
        }
        if (type == "symlink") {
            reader_.expect("target");
            std::string target = reader_.readString(kMaxTargetLength, "symlink target");
            if (target.empty() || target.find('\0') != std::string::npos)
                throw FormatError("NAR symlink '" + shownPath(shown_) +
                                  "' has an empty or NUL-holding target");
            if (create_ && ::symlinkat(target.c_str(), dirFd, name.c_str()) == -1)
                throw SysError("creating symlink '" + shownPath(shown_) + "'");
            reader_.expect(")");
            return false;
        }
        if (type == "directory") {
            if (create_) {
                if (::mkdirat(dirFd, name.c_str(), 0755) == -1)
                    throw SysError("creating directory '" + shownPath(shown_) + "'");
                FileDescriptor fd = openDirectoryAt(dirFd, name, shown_);
                if (walk_)
                    walk_->enter(std::move(fd), name);
                else
                    walk_.emplace(std::move(fd), shown_);
            }
            levels_.push_back(Level{});
            levels_.back().shownLength = shown_.size();
            return true;
        }
        throw FormatError("NAR node '" + shownPath(shown_) + "' has the unknown type '" +
                          NarReader::printable(type) + "'");
    }

    void regular(int dirFd, const std::string& name) {
        std::string token = reader_.readString(kMaxTokenLength, "token");
        bool executable = false;
        if (token == "executable") {
            executable = true;
            reader_.expect("");
            token = reader_.readString(kMaxTokenLength, "token");
        }
        if (token != "contents")
            throw FormatError("NAR file '" + shownPath(shown_) + "' has '" +
                              NarReader::printable(token) + "' where 'contents' was expected");
        uint64_t length = reader_.readU64();
        FileDescriptor fd;
        std::string what = "'" + shownPath(shown_) + "'";
        if (create_)
            // O_EXCL and O_NOFOLLOW: a name that already exists, a symlink above all, is
            // never written through.
            fd = openFileAt(dirFd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW,
                            executable ? 0755 : 0644, shownPath(shown_));
        reader_.readContents(length, [&](std::string_view piece) {
            if (fd) writeAll(fd.get(), piece, what);
        });
        reader_.readPadding(length);
        if (fd) fd.close();
        reader_.expect(")");
    }

    NarReader& reader_;
    bool caseHack_;
    bool create_;
    std::optional<DirectoryPath> walk_; // when creating, from the root directory down
    std::vector<Level> levels_;
    std::string shown_; // the path of the node being read
};

void readMagic(NarReader& reader) {
    std::string magic;
    try {
        magic = reader.readString(kMaxTokenLength, "magic");
    } catch (const FormatError&) {
        throw FormatError("input is not a NAR: it does not start with 'nix-archive-1'");
    }
    if (magic != kNarMagic)
        throw FormatError("input is not a NAR: it starts with '" + NarReader::printable(magic) +
                          "', not 'nix-archive-1'");
}

} // namespace

void dumpPath(const std::string& path, Sink& sink, const NarDumpOptions& options) {
    NarWriter writer(sink, options.listener);
    bool caseHack = options.caseHack == CaseHack::Auto ? false : options.caseHack == CaseHack::On;
    if (options.caseHack == CaseHack::Auto) {
        struct stat st;
        if (::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
            caseHack = isCaseInsensitive(path);
    }
    writer.writeString(kNarMagic);
    Dumper(writer, caseHack).dump(path);
    writer.flush();
}

void restorePath(const std::string& path, Source& source, const NarRestoreOptions& options) {
    std::string parent = path.substr(0, path.find_last_of('/') + 1);
    if (parent.empty()) parent = ".";
    bool caseHack = resolveCaseHack(options.caseHack, parent);
    struct stat st;
    if (::lstat(path.c_str(), &st) == 0)
        throw StoreError("cannot restore to '" + path + "': it exists already");
    NarReader reader(source);
    try {
        readMagic(reader);
        Restorer(reader, caseHack, true).restore(path);
    } catch (const Error& e) {
        // Leave nothing behind: a half-restored tree must never be mistaken for a whole one.
        // If that fails too, both are said: a silent leftover is what this must never be.
        try {
            removeTree(path);
        } catch (const Error& removal) {
            throw StoreError(std::string(e.what()) + "; and what was restored at '" +
                             shownPath(path) + "' could not be removed: " + removal.what());
        }
        throw;
    } catch (...) {
        try {
            removeTree(path);
        } catch (const Error&) {
            // The original failure (not an Error: out of memory) is the one to report.
        }
        throw;
    }
}

uint64_t validateNar(Source& source) {
    NarReader reader(source);
    readMagic(reader);
    Restorer(reader, false, false).restore("<nar>");
    return reader.consumed();
}

std::string relativePathOf(const NarPlacePtr& place) {
    size_t length = 0, depth = 0;
    for (const NarPlace* p = place.get(); p; p = p->parent.get(), ++depth)
        length += p->name.size();
    if (depth == 0) return "";
    std::string path(length + depth - 1, '/');
    size_t end = path.size();
    for (const NarPlace* p = place.get(); p; p = p->parent.get()) {
        end -= p->name.size();
        path.replace(end, p->name.size(), p->name);
        if (end > 0) --end;
    }
    return path;
}

bool isCaseInsensitive(const std::string& dir) {
    struct statfs fs;
    if (::statfs(dir.c_str(), &fs) == -1)
        throw SysError("examining the file system of '" + dir + "'");
    // vfat and exfat fold case; HFS+ is case-insensitive by default.
    constexpr long kExfatMagic = 0x2011BAB0;
    constexpr long kHfsPlusMagic = 0x482b;
    if (fs.f_type == MSDOS_SUPER_MAGIC || fs.f_type == kExfatMagic || fs.f_type == kHfsPlusMagic)
        return true;
    // ext4 and f2fs can fold case per directory (chattr +F).
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd == -1) return false;
    int flags = 0;
    bool folded =
        ::ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0 && (flags & 0x40000000 /* FS_CASEFOLD_FL */);
    ::close(fd);
    return folded;
}

} // namespace purist
