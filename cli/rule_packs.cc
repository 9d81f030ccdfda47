#include "cli/rule_packs.h"

#include "base/error.h"
#include "base/install_layout.h"

#include <algorithm>
#include <filesystem>
#include <set>
#include <sys/stat.h>

namespace purist::cli {
namespace {

bool isRegularFile(const std::string& path) {
    struct stat info {};
    return ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode);
}

} // namespace

std::string resolvePolicyArgument(const std::string& argument) {
    if (argument.empty() || argument.find('/') != std::string::npos || isRegularFile(argument) ||
        argument == "." || argument == "..")
        return argument;
    const std::string file =
        argument.ends_with(".yaml") || argument.ends_with(".yml") ? argument : argument + ".yaml";
    std::string looked;
    std::set<std::string> packs;
    for (const InstallCandidate& candidate :
         installCandidates(InstallDir::Data, "rules/packs", runningExecutable())) {
        looked += (looked.empty() ? "" : ", ") + candidate.path;
        std::string pack = candidate.path + "/" + file;
        if (isRegularFile(pack)) return pack;
        std::error_code error;
        for (const auto& entry : std::filesystem::directory_iterator(candidate.path, error))
            if (entry.path().extension() == ".yaml") packs.insert(entry.path().stem().string());
    }
    std::string known;
    for (const std::string& pack : packs)
        known += (known.empty() ? "" : ", ") + pack;
    throw UsageError(
        "--policy " + argument + ": no such file, and no rule pack of that name in " +
        (looked.empty() ? std::string("(nowhere: where purist runs from is unknown)") : looked) +
        (known.empty() ? std::string() : " (the packs there: " + known + ")"));
}

} // namespace purist::cli
