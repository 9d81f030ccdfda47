#include "store/stream.h"

#include "base/error.h"
#include "base/file_descriptor.h"

#include <cstring>

namespace purist {

void Source::readExact(char* buffer, size_t size) {
    while (size > 0) {
        size_t n = read(buffer, size);
        if (n == 0) throw FormatError("unexpected end of stream");
        buffer += n;
        size -= n;
    }
}

size_t StringSource::read(char* buffer, size_t size) {
    size_t n = std::min(size, data_.size());
    std::memcpy(buffer, data_.data(), n);
    data_.remove_prefix(n);
    return n;
}

void FdSink::write(std::string_view data) {
    writeAll(fd_, data, what_);
}

size_t FdSource::read(char* buffer, size_t size) {
    return readSome(fd_, buffer, size, what_);
}

} // namespace purist
