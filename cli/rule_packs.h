#pragma once
// The rule packs purist ships (rules/packs/, installed in <prefix>/share/purist/rules/packs):
// `--policy impure-paths` names one without a path, wherever purist is installed.

#include <string>

namespace purist::cli {

/// `argument` of --policy as a file to load: an existing file, or a path (with a '/'), is
/// itself; a bare name that is no file is the shipped rule pack NAME.yaml (or NAME), found
/// where base/install_layout.h says. Throws UsageError naming where it looked, and the
/// packs there, when there is no such file and no such pack.
std::string resolvePolicyArgument(const std::string& argument);

} // namespace purist::cli
