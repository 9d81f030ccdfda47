// The builder log filter (sandbox/log_filter.h): a hostile builder controls every byte.
// Input: one byte for the line-length limit (1 to 64), one for where to split the rest
// into two feed() calls, then the log. Promises checked: no line is longer than the limit
// whatever its bytes (issue 10, defect 2), and no line holds a C0 control other than tab,
// or ESC, whatever the split.

#include "sandbox/log_filter.h"
#include "tests/fuzz/fuzz_support.h"

#include <cstdint>
#include <string>

using namespace purist;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 2) return 0;
    const size_t limit = 1 + data[0] % 64;
    const std::string_view log(reinterpret_cast<const char*>(data + 2), size - 2);
    const size_t split = log.empty() ? 0 : data[1] % (log.size() + 1);

    sandbox::LogFilter filter(
        [&](std::string_view line) {
            if (line.size() > limit)
                fuzz::brokenPromise("a line of " + std::to_string(line.size()) +
                                    " bytes, over the limit of " + std::to_string(limit));
            for (char c : line) {
                auto byte = static_cast<unsigned char>(c);
                if ((byte < 0x20 && byte != '\t') || byte == 0x7f)
                    fuzz::brokenPromise("control byte " + std::to_string(byte) + " in a line");
            }
        },
        limit);
    filter.feed(log.substr(0, split));
    filter.feed(log.substr(split));
    filter.finish();
    return 0;
}
