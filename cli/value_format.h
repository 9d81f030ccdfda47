#pragma once
// How the CLI prints values a person reads: times and sizes.

#include <cstdint>
#include <string>

namespace purist::cli {

/// Seconds since the epoch as RFC 3339 UTC, e.g. "2026-11-23T10:00:00Z".
std::string formatTime(int64_t seconds);

/// A byte count in IEC units with one decimal, e.g. "640.2 KiB" ("592 B" below 1 KiB).
std::string humanSize(uint64_t bytes);

} // namespace purist::cli
