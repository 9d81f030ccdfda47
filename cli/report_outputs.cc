#include "cli/report_outputs.h"

#include "base/error.h"

#include <optional>
#include <set>

namespace purist::cli {

OutputPlan planOutputs(const std::vector<std::string>& outputs) {
    OutputPlan plan;
    std::set<std::string> files;
    auto claim = [&](const std::string& file, const std::string& value) {
        if (!files.insert(file).second)
            throw UsageError("--output " + value + ": the file '" + file +
                             "' is already the destination of another report");
    };
    for (const std::string& value : outputs) {
        size_t equals = value.find('=');
        std::optional<reports::ReportFormat> format;
        if (equals != std::string::npos) {
            try {
                format = reports::parseReportFormat(value.substr(0, equals));
            } catch (const UsageError&) {
                // Not FORMAT=FILE: a file whose name has an '='.
            }
        }
        if (!format) {
            if (!plan.file.empty())
                throw UsageError("--output given two files ('" + plan.file + "' and '" + value +
                                 "'); to write several formats, give each as FORMAT=FILE");
            claim(value, value);
            plan.file = value;
            continue;
        }
        std::string file = value.substr(equals + 1);
        if (file.empty())
            throw UsageError("--output " + value + ": no file after '='; write FORMAT=FILE");
        claim(file, value);
        plan.extra.emplace_back(*format, file);
    }
    return plan;
}

} // namespace purist::cli
