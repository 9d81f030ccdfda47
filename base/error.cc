#include "base/error.h"

#include <cerrno>
#include <cstring>

namespace purist {
namespace {

std::string positioned(const std::string& file, int line, int column, const std::string& msg) {
    std::string out = file;
    if (line > 0) out += ":" + std::to_string(line) + ":" + std::to_string(column);
    return out.empty() ? msg : out + ": " + msg;
}

} // namespace

ConfigError::ConfigError(const std::string& file, const std::string& message)
    : Error(positioned(file, 0, 0, message)), file_(file) {}

ConfigError::ConfigError(const std::string& file, int line, int column, const std::string& message)
    : Error(positioned(file, line, column, message)), file_(file), line_(line), column_(column) {}

SysError::SysError(const std::string& message) : SysError(errno, message) {}

SysError::SysError(int errorNumber, const std::string& message)
    : Error(message + ": " + std::strerror(errorNumber)), errno_(errorNumber) {}

} // namespace purist
