#pragma once
// The man page and the bash and zsh completions, generated from the command definitions.

#include "cli/global_options.h"

#include <CLI/CLI.hpp>

namespace purist::cli {

/// Adds the hidden `purist __generate man|bash|zsh`, which writes purist.1 or a completion
/// script for `app` (as it is when the command runs: add it after every other command) to
/// stdout. `app` and `options` must outlive the parse.
void addGenerateCommand(CLI::App& app, GlobalOptions& options);

} // namespace purist::cli
