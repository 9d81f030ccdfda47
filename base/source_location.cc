#include "base/source_location.h"

namespace purist {

std::string SourceLocation::describe() const {
    if (line <= 0) return file;
    if (column <= 0) return file + ":" + std::to_string(line);
    return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

} // namespace purist
