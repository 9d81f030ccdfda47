#pragma once
// What the fuzz targets share: a scratch directory for the run, and a way to say that an
// input broke a promise (as opposed to being refused, which is what bad input should get).

#include <string>
#include <string_view>

namespace purist::fuzz {

/// A directory private to this fuzzing process, created on first use and removed at exit.
/// Targets write their input there when the parser under test reads a file.
const std::string& scratchDir();

/// Writes `data` to `<scratchDir()>/<name>` and returns the path.
std::string writeScratchFile(const std::string& name, std::string_view data);

/// Prints `what` and aborts, so libFuzzer records the input as a crash: for a promise the
/// parser broke without crashing (a round trip that differs, a line over its limit).
[[noreturn]] void brokenPromise(const std::string& what);

} // namespace purist::fuzz
