#pragma once
// Byte streams: what NAR dumping writes to and restoring reads from. Streams are
// push (Sink) or pull (Source) and never hold more than one buffer of data.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace purist {

/// Receives a stream of bytes. Implementations may throw on write.
class Sink {
public:
    virtual ~Sink() = default;
    virtual void write(std::string_view data) = 0;
};

/// Produces a stream of bytes.
class Source {
public:
    virtual ~Source() = default;
    /// Reads up to `size` bytes into `buffer`; returns 0 only at the end of the stream.
    virtual size_t read(char* buffer, size_t size) = 0;
    /// Reads exactly `size` bytes or throws FormatError("unexpected end of ...").
    void readExact(char* buffer, size_t size);
};

/// Appends everything to a string it owns.
class StringSink : public Sink {
public:
    void write(std::string_view data) override { data_.append(data); }
    std::string& data() { return data_; }

private:
    std::string data_;
};

/// Reads from a string it does not own; the string must outlive the source.
class StringSource : public Source {
public:
    explicit StringSource(std::string_view data) : data_(data) {}
    size_t read(char* buffer, size_t size) override;

private:
    std::string_view data_;
};

/// Writes to a file descriptor it does not own.
class FdSink : public Sink {
public:
    FdSink(int fd, std::string what) : fd_(fd), what_(std::move(what)) {}
    void write(std::string_view data) override;

private:
    int fd_;
    std::string what_;
};

/// Reads from a file descriptor it does not own.
class FdSource : public Source {
public:
    FdSource(int fd, std::string what) : fd_(fd), what_(std::move(what)) {}
    size_t read(char* buffer, size_t size) override;

private:
    int fd_;
    std::string what_;
};

/// Forwards every write to two sinks, in order.
class TeeSink : public Sink {
public:
    TeeSink(Sink& first, Sink& second) : first_(first), second_(second) {}
    void write(std::string_view data) override {
        first_.write(data);
        second_.write(data);
    }

private:
    Sink& first_;
    Sink& second_;
};

/// Counts bytes and discards them.
class CountingSink : public Sink {
public:
    void write(std::string_view data) override { count_ += data.size(); }
    uint64_t count() const { return count_; }

private:
    uint64_t count_ = 0;
};

} // namespace purist
