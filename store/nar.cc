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

std::string joinRelative(const std::string& parent, const std::string& name) {
    return parent.empty() ? name : parent + "/" + name;
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
    void writePayloadString(std::string_view relativePath, std::string_view s) {
        writeU64(s.size());
        mark(relativePath);
        append(s);
        pad(s.size());
    }

    void mark(std::string_view relativePath) {
        if (listener_) listener_->onPayload(relativePath, offset_ + used_);
    }

    /// Copies `size` bytes of file contents from `fd` straight into the buffer.
    void writeContents(int fd, uint64_t size, const std::string& shownPath,
                       std::string_view relativePath) {
        writeU64(size);
        mark(relativePath);
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

class Dumper {
public:
    Dumper(NarWriter& writer, bool caseHack) : writer_(writer), caseHack_(caseHack) {}

    /// Dumps the object `name` inside directory `dirFd` (AT_FDCWD and a full path for the root).
    void dumpAt(int dirFd, const std::string& name, const std::string& shown,
                const std::string& relative) {
        struct stat st;
        if (::fstatat(dirFd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == -1)
            throw SysError("examining '" + shown + "'");
        writer_.writeString("(");
        if (S_ISREG(st.st_mode)) {
            FileDescriptor fd = openFileAt(dirFd, name, O_RDONLY | O_NOFOLLOW, 0, shown);
            writer_.writeString("type");
            writer_.writeString("regular");
            if (st.st_mode & S_IXUSR) {
                writer_.writeString("executable");
                writer_.writeString("");
            }
            writer_.writeString("contents");
            writer_.writeContents(fd.get(), static_cast<uint64_t>(st.st_size), shown, relative);
        } else if (S_ISLNK(st.st_mode)) {
            writer_.writeString("type");
            writer_.writeString("symlink");
            writer_.writeString("target");
            writer_.writePayloadString(relative, readLink(dirFd, name, shown, st));
        } else if (S_ISDIR(st.st_mode)) {
            writer_.writeString("type");
            writer_.writeString("directory");
            FileDescriptor fd =
                openFileAt(dirFd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0, shown);
            for (const auto& [entryName, onDisk] : listSorted(fd.get(), shown)) {
                std::string childRelative = joinRelative(relative, entryName);
                writer_.writeString("entry");
                writer_.writeString("(");
                writer_.writeString("name");
                writer_.writePayloadString(childRelative, entryName);
                writer_.writeString("node");
                dumpAt(fd.get(), onDisk, shown + "/" + onDisk, childRelative);
                writer_.writeString(")");
            }
        } else {
            throw FormatError("'" + shown + "' is a " + typeName(st.st_mode) +
                              ", which a NAR cannot hold");
        }
        writer_.writeString(")");
    }

private:
    static std::string typeName(mode_t mode) {
        if (S_ISCHR(mode)) return "character device";
        if (S_ISBLK(mode)) return "block device";
        if (S_ISFIFO(mode)) return "FIFO";
        if (S_ISSOCK(mode)) return "socket";
        return "file of unknown type";
    }

    static std::string readLink(int dirFd, const std::string& name, const std::string& shown,
                                const struct stat& st) {
        std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
        ssize_t n = ::readlinkat(dirFd, name.c_str(), target.data(), target.size());
        if (n == -1) throw SysError("reading symlink '" + shown + "'");
        if (static_cast<size_t>(n) >= target.size())
            throw FormatError("symlink '" + shown + "' changed while it was archived");
        target.resize(static_cast<size_t>(n));
        return target;
    }

    /// Entries as (name in the NAR, name on disk), in the NAR's byte order.
    std::vector<std::pair<std::string, std::string>> listSorted(int fd, const std::string& shown) {
        std::vector<std::pair<std::string, std::string>> entries;
        for (DirectoryEntry& entry : listDirectory(fd, shown)) {
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
                                  entries[i].second + "' in '" + shown +
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

// Not a descriptor, and unlike AT_FDCWD never a valid openat() base.
constexpr int kValidateOnly = -1;

/// Parses one NAR node and, when `dirFd` is valid, creates it as `name` in that directory.
class Restorer {
public:
    Restorer(NarReader& reader, bool caseHack) : reader_(reader), caseHack_(caseHack) {}

    /// `dirFd` == kValidateOnly parses without creating anything.
    void node(int dirFd, const std::string& name, const std::string& shown) {
        reader_.expect("(");
        reader_.expect("type");
        std::string type = reader_.readString(kMaxTokenLength, "node type");
        if (type == "regular") {
            regular(dirFd, name, shown);
        } else if (type == "symlink") {
            reader_.expect("target");
            std::string target = reader_.readString(kMaxTargetLength, "symlink target");
            if (target.empty() || target.find('\0') != std::string::npos)
                throw FormatError("NAR symlink '" + shown + "' has an empty or NUL-holding target");
            if (dirFd != kValidateOnly && ::symlinkat(target.c_str(), dirFd, name.c_str()) == -1)
                throw SysError("creating symlink '" + shown + "'");
            reader_.expect(")");
        } else if (type == "directory") {
            directory(dirFd, name, shown);
        } else {
            throw FormatError("NAR node '" + shown + "' has the unknown type '" +
                              NarReader::printable(type) + "'");
        }
    }

private:
    void regular(int dirFd, const std::string& name, const std::string& shown) {
        std::string token = reader_.readString(kMaxTokenLength, "token");
        bool executable = false;
        if (token == "executable") {
            executable = true;
            reader_.expect("");
            token = reader_.readString(kMaxTokenLength, "token");
        }
        if (token != "contents")
            throw FormatError("NAR file '" + shown + "' has '" + NarReader::printable(token) +
                              "' where 'contents' was expected");
        uint64_t length = reader_.readU64();
        FileDescriptor fd;
        if (dirFd != kValidateOnly)
            // O_EXCL and O_NOFOLLOW: a name that already exists, a symlink above all, is
            // never written through.
            fd = openFileAt(dirFd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW,
                            executable ? 0755 : 0644, shown);
        reader_.readContents(length, [&](std::string_view piece) {
            if (fd) writeAll(fd.get(), piece, "'" + shown + "'");
        });
        reader_.readPadding(length);
        if (fd) fd.close();
        reader_.expect(")");
    }

    void directory(int dirFd, const std::string& name, const std::string& shown) {
        FileDescriptor fd;
        if (dirFd != kValidateOnly) {
            if (::mkdirat(dirFd, name.c_str(), 0755) == -1)
                throw SysError("creating directory '" + shown + "'");
            fd = openFileAt(dirFd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0, shown);
        }
        std::string previous;
        bool first = true;
        std::map<std::string, int> lowerCaseCount;
        for (;;) {
            std::string token = reader_.readString(kMaxTokenLength, "token");
            if (token == ")") return;
            if (token != "entry")
                throw FormatError("NAR directory '" + shown + "' has '" +
                                  NarReader::printable(token) + "' where 'entry' was expected");
            reader_.expect("(");
            reader_.expect("name");
            std::string entryName = reader_.readString(kMaxNameLength, "entry name");
            validateName(entryName, shown);
            if (!first && entryName <= previous)
                throw FormatError("NAR directory '" + shown + "' has entry '" +
                                  NarReader::printable(entryName) + "' " +
                                  (entryName == previous ? "twice" : "out of order"));
            first = false;
            previous = entryName;
            std::string onDisk = entryName;
            if (caseHack_) {
                if (entryName.find(kCaseHackSuffix) != std::string::npos)
                    throw FormatError("NAR entry '" + NarReader::printable(entryName) + "' in '" +
                                      shown + "' holds the reserved case-hack suffix");
                std::string lower = entryName;
                for (char& c : lower)
                    c = static_cast<char>(std::tolower(static_cast<uint8_t>(c)));
                auto [it, inserted] = lowerCaseCount.try_emplace(lower, 0);
                if (!inserted)
                    onDisk += std::string(kCaseHackSuffix) + std::to_string(++it->second);
            }
            reader_.expect("node");
            node(fd ? fd.get() : kValidateOnly, onDisk, shown + "/" + onDisk);
            reader_.expect(")");
        }
    }

    NarReader& reader_;
    bool caseHack_;
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
    Dumper dumper(writer, caseHack);
    writer.writeString(kNarMagic);
    dumper.dumpAt(AT_FDCWD, path, path, "");
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
    Restorer restorer(reader, caseHack);
    try {
        readMagic(reader);
        restorer.node(AT_FDCWD, path, path);
    } catch (...) {
        // Leave nothing behind: a half-restored tree must never be mistaken for a whole one.
        try {
            removeTree(path);
        } catch (const Error&) {
        }
        throw;
    }
}

uint64_t validateNar(Source& source) {
    NarReader reader(source);
    readMagic(reader);
    Restorer restorer(reader, false);
    restorer.node(kValidateOnly, "", "<nar>");
    return reader.consumed();
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
