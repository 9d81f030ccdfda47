#pragma once
// Moves one consumer of a byte stream onto a worker thread, so that hashing and scanning
// the same NAR use both cores instead of taking turns on one.

#include "store/stream.h"

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace purist {

/// Feeds everything written to it to `target` on a worker thread, in order. Streams that
/// fit in one buffer never start the thread: while they do, write() hands the data to
/// `target` directly, so small paths pay for neither a thread nor a buffer (and an error
/// of the target is thrown by that write()). From the first write that would take the
/// stream past one buffer on, write() copies the data into one of a fixed set of buffers
/// and returns; it blocks only while every buffer is in use, so memory stays bounded.
/// finish() waits until the target has seen every byte and rethrows anything the target
/// threw. `target` must outlive this object and must not be used by anyone else until
/// finish() returns. The destructor finishes (discarding any error) if finish() was not
/// called. Not thread-safe itself: one writer thread.
class AsyncSink : public Sink {
public:
    explicit AsyncSink(Sink& target, size_t bufferCount = 4, size_t bufferSize = 256 * 1024);
    ~AsyncSink() override;
    AsyncSink(const AsyncSink&) = delete;
    AsyncSink& operator=(const AsyncSink&) = delete;

    void write(std::string_view data) override;
    void finish();

private:
    void run();
    void start();
    void submitCurrent();

    Sink& target_;
    size_t bufferCount_;
    size_t bufferSize_;
    uint64_t written_ = 0; // bytes handed to the target directly, before any buffering
    std::vector<std::unique_ptr<char[]>> buffers_; // allocated on start(); never zero-filled
    std::mutex mutex_;
    std::condition_variable changed_;
    std::deque<std::pair<size_t, size_t>> filled_; // (buffer index, bytes used), in order
    std::vector<size_t> free_;
    size_t current_ = 0; // buffer being filled by write()
    size_t currentUsed_ = 0;
    bool closing_ = false;
    bool finished_ = false;
    std::exception_ptr error_;
    std::thread worker_;
};

} // namespace purist
