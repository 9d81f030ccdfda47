// purist: a policy-driven purity checker and build validator.

#include "base/error.h"
#include "base/version.h"
#include "cli/command_suggestion.h"
#include "cli/exit_codes.h"
#include "cli/generated_docs.h"
#include "cli/global_options.h"

#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

namespace {

int runPurist(int argc, char** argv) {
    using namespace purist::cli;
    CLI::App app{"purist: build in a sandbox, store content-addressed, check against policy.\n"
                 "Run 'purist COMMAND --help' for a command's options.",
                 "purist"};
    app.set_version_flag("--version", std::string("purist ") + purist::kVersion);
    app.require_subcommand(1);
    // Global options (--root, --store-dir, --store) may follow the subcommand too.
    app.fallthrough();
    GlobalOptions options;
    addGlobalOptions(app, options);
    addStoreCommands(app, options);
    addBuildCommands(app, options);
    addConfigCommands(app, options);
    addCheckCommands(app, options);
    addGenerateCommand(app, options);

    try {
        app.parse(argc, argv);
    } catch (const CLI::Success& e) { // --help, --version
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        // Every error reads the same way, whoever found it: `purist: error: ...`.
        std::vector<std::string> args(argv + 1, argv + argc);
        std::string message = diagnoseUnknownCommand(app, args).value_or(e.what());
        std::cerr << "purist: error: " << message << "\n"
                  << "Run 'purist --help' or 'purist COMMAND --help' for usage.\n";
        return kExitUsage;
    }
    try {
        // A caller may hand purist SIGCHLD ignored, which survives exec: children would
        // then be reaped by the kernel, and their exit statuses and pids lost to the
        // sandbox's waits (and its helper's pid free for reuse before purist kills it).
        if (::signal(SIGCHLD, SIG_DFL) == SIG_ERR) throw purist::SysError("resetting SIGCHLD");
        return options.action ? options.action() : kExitOk;
    } catch (const std::exception& e) {
        return reportError(e);
    }
}

} // namespace

int main(int argc, char** argv) {
    // What throws outside a command (building the command line, printing an error, running
    // out of memory) still ends in one line and the operational-failure code, not in
    // std::terminate's abort and a core dump.
    try {
        return runPurist(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "purist: error: %s\n", e.what());
    } catch (...) {
        std::fputs("purist: error: unknown exception\n", stderr);
    }
    return purist::cli::kExitUsage;
}
