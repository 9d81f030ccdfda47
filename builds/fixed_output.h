#pragma once
// Fixed-output builds (a spec with `fixed-output:`): the content address they are registered
// with, and the check of what they produced against the hash they declared. Internal to
// builds/ (build_runner.cc).

#include "builds/build_spec.h"
#include "store/local_store.h"

#include <string>

namespace purist::builds {

/// The `ca` field a fixed output is registered with, as Nix writes it:
/// `fixed:<hash>` for mode flat, `fixed:r:<hash>` for mode recursive.
std::string fixedOutputContentAddress(const FixedOutput& fixed);

/// Checks the output `out` of the fixed-output build `spec` (its only one, at its
/// `location`, not registered yet) before registration: its hash, over the NAR for mode
/// recursive or the bytes of one regular file for mode flat, must be the declared one, and
/// it must refer to no path of `inputClosure` (the build's inputs and their closure).
/// Throws BuildError saying which (declared and actual hash; each reference and the file
/// it is in), SysError naming the path on a read failure.
void checkFixedOutput(const BuildSpec& spec, const NewPath& out, const StorePathSet& inputClosure);

} // namespace purist::builds
