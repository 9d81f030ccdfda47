#include "store/async_sink.h"

#include <algorithm>
#include <cstring>

namespace purist {

AsyncSink::AsyncSink(Sink& target, size_t bufferCount, size_t bufferSize)
    : target_(target), bufferSize_(bufferSize),
      buffers_(std::max<size_t>(bufferCount, 2), std::vector<char>(bufferSize)) {
    for (size_t i = 1; i < buffers_.size(); ++i)
        free_.push_back(i);
    current_ = 0;
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
    changed_.wait(lock, [this] { return !free_.empty() || error_; });
    if (error_) {
        // The worker stopped; keep accepting bytes so the writer reaches finish() and
        // learns the error there, in order.
        current_ = filled_.back().first;
        filled_.pop_back();
    } else {
        current_ = free_.back();
        free_.pop_back();
    }
    currentUsed_ = 0;
}

void AsyncSink::write(std::string_view data) {
    while (!data.empty()) {
        size_t n = std::min(data.size(), bufferSize_ - currentUsed_);
        std::memcpy(buffers_[current_].data() + currentUsed_, data.data(), n);
        currentUsed_ += n;
        data.remove_prefix(n);
        if (currentUsed_ == bufferSize_) submitCurrent();
    }
}

void AsyncSink::finish() {
    if (finished_) return;
    finished_ = true;
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
            if (!error_) target_.write(std::string_view(buffers_[job.first].data(), job.second));
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
