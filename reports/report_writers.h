#pragma once
// One renderer per format, each in its own file; reporters.cc dispatches to them.

#include "reports/reporters.h"

#include <ostream>
#include <string>

namespace purist::reports {

/// Where a renderer appends its output: a string that is handed to the stream whenever
/// it grows past a chunk, so memory stays bounded and no multi-megabyte buffer is built
/// and copied, whatever the report's size. Not thread-safe.
class ReportBuffer {
public:
    /// Writes to `stream`, which must outlive the buffer.
    explicit ReportBuffer(std::ostream& stream) : stream_(stream) { text_.reserve(2 * kChunk); }

    /// The pending text; renderers append to it. The reference stays valid for the
    /// buffer's lifetime (draining clears it, keeping its capacity).
    std::string& text() { return text_; }
    /// Writes the pending text to the stream if it has grown past a chunk. Renderers call
    /// it between findings.
    void drainIfFull() {
        if (text_.size() >= kChunk) drain();
    }
    /// Writes the pending text to the stream and clears it.
    void drain();

private:
    static constexpr size_t kChunk = 64 * 1024;
    std::ostream& stream_;
    std::string text_;
};

void renderTextReport(const Report& report, const ReportOptions& options, ReportBuffer& out);
void renderJsonReport(const Report& report, ReportBuffer& out);
void renderSarifReport(const Report& report, ReportBuffer& out);
void renderJunitReport(const Report& report, ReportBuffer& out);
void renderHtmlReport(const Report& report, ReportBuffer& out);
void renderGithubReport(const Report& report, ReportBuffer& out);

} // namespace purist::reports
