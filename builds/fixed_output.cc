#include "builds/fixed_output.h"

#include "base/error.h"
#include "base/file_descriptor.h"
#include "store/nar.h"
#include "store/ref_scanner.h"

#include <fcntl.h>
#include <sys/stat.h>

namespace purist::builds {
namespace {

Hash hashOfOutput(const std::string& location, const FixedOutput& fixed, const std::string& name) {
    HashSink sink(fixed.hash.algorithm());
    if (fixed.mode == FileIngestionMethod::Recursive) {
        dumpPath(location, sink);
        return sink.finish();
    }
    struct stat st {};
    if (::lstat(location.c_str(), &st) == -1) throw SysError("examining '" + location + "'");
    if (!S_ISREG(st.st_mode))
        throw BuildError("fixed-output build '" + name +
                         "' has mode flat, so its output must be one regular file, but " +
                         location + " is not");
    FileDescriptor fd = openFile(location, O_RDONLY | O_NOFOLLOW);
    char buffer[65536];
    while (size_t n = readSome(fd.get(), buffer, sizeof buffer, location))
        sink.write(std::string_view(buffer, n));
    return sink.finish();
}

} // namespace

std::string fixedOutputContentAddress(const FixedOutput& fixed) {
    return std::string("fixed:") + (fixed.mode == FileIngestionMethod::Recursive ? "r:" : "") +
           fixed.hash.toNixString();
}

void checkFixedOutput(const BuildSpec& spec, const NewPath& out, const StorePathSet& inputClosure) {
    Hash actual = hashOfOutput(out.location, *spec.fixedOutput, spec.name);
    if (!(actual == spec.fixedOutput->hash))
        throw BuildError("hash mismatch in fixed-output build '" + spec.name + "' (" + spec.file +
                         "):\n  declared: " + spec.fixedOutput->hash.toSri() +
                         "\n  got:      " + actual.toSri());
    std::vector<std::string> hashParts;
    for (const StorePath& path : inputClosure)
        hashParts.emplace_back(path.hashPart());
    auto found = scanForReferences(out.location, hashParts);
    if (!found.empty()) {
        std::string which;
        for (const auto& [hashPart, site] : found)
            which += " " + std::string(hashPart) + " (in " +
                     (site.file.empty() ? std::string("the output itself") : site.file) + ")";
        throw BuildError("fixed-output build '" + spec.name +
                         "' must not refer to other store paths, but refers to" + which);
    }
}

} // namespace purist::builds
