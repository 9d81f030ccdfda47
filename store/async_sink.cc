#include "store/async_sink.h"

#include <algorithm>
#include <cstring>

namespace purist {

AsyncSink::AsyncSink(Sink& target, size_t bufferCount, size_t bufferSize)
    : target_(target), bufferCount_(std::max<size_t>(bufferCount, 2)), bufferSize_(bufferSize) {}

void AsyncSink::start() {
    for (size_t i = 0; i < bufferCount_; ++i) {
        buffers_.push_back(std::make_unique_for_overwrite<char[]>(bufferSize_));
        if (i > 0) free_.push_back(i);
    }
    worker_ = std::thread([this] { run(); });
}

AsyncSink::~AsyncSink() {
    try {
        finish();
    } catch (...) {
        // The owner did not ask for the result; a destructor must not throw.
    }
}

void AsyncSink::submitCurrent() {
    std::unique_lock lock(mutex_);
    filled_.emplace_back(current_, currentUsed_);
    changed_.notify_all();
    // The worker hands every buffer back, also after the target failed (it then skips the
    // writes), so the writer never stalls and learns of the error in finish(), in order.
    changed_.wait(lock, [this] { return !free_.empty(); });
    current_ = free_.back();
    free_.pop_back();
    currentUsed_ = 0;
}

void AsyncSink::write(std::string_view data) {
    if (!worker_.joinable()) {
        if (written_ + data.size() <= bufferSize_) {
            target_.write(data);
            written_ += data.size();
            return;
        }
        start();
    }
    while (!data.empty()) {
        size_t n = std::min(data.size(), bufferSize_ - currentUsed_);
        std::memcpy(buffers_[current_].get() + currentUsed_, data.data(), n);
        currentUsed_ += n;
        data.remove_prefix(n);
        if (currentUsed_ == bufferSize_) submitCurrent();
    }
}

void AsyncSink::finish() {
    if (finished_) return;
    finished_ = true;
    if (!worker_.joinable()) return; // small: every byte went to the target directly
    {
        std::lock_guard lock(mutex_);
        if (currentUsed_ > 0) filled_.emplace_back(current_, currentUsed_);
        currentUsed_ = 0;
        closing_ = true;
    }
    changed_.notify_all();
    worker_.join();
    if (error_) std::rethrow_exception(error_);
}

void AsyncSink::run() {
    for (;;) {
        std::pair<size_t, size_t> job;
        {
            std::unique_lock lock(mutex_);
            changed_.wait(lock, [this] { return !filled_.empty() || closing_; });
            if (filled_.empty()) return;
            job = filled_.front();
            filled_.pop_front();
        }
        try {
            if (!error_) target_.write(std::string_view(buffers_[job.first].get(), job.second));
        } catch (...) {
            std::lock_guard lock(mutex_);
            error_ = std::current_exception();
        }
        {
            std::lock_guard lock(mutex_);
            free_.push_back(job.first);
        }
        changed_.notify_all();
    }
}

} // namespace purist
