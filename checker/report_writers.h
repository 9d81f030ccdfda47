#pragma once
// One renderer per format, each in its own file; reporters.cc dispatches to them. Each
// appends the whole document to `out` (the caller writes it to the stream in one go).

#include "checker/reporters.h"

#include <string>

namespace purist::checker {

void renderTextReport(const Report& report, const ReportOptions& options, std::string& out);
void renderJsonReport(const Report& report, std::string& out);
void renderSarifReport(const Report& report, std::string& out);
void renderJunitReport(const Report& report, std::string& out);
void renderHtmlReport(const Report& report, std::string& out);

} // namespace purist::checker
