// NAR restore, fed hostile archives. Promises checked beyond "no crash, no sanitizer report":
// restorePath and validateNar agree on what is an archive; a refused archive leaves nothing
// behind; an accepted one dumps back to exactly the bytes it was read from (NAR has one
// serialisation per tree, so anything else means restore accepted a non-canonical archive).

#include "base/error.h"
#include "base/temp_dir.h"
#include "store/nar.h"
#include "tests/fuzz/fuzz_support.h"

#include <cstdint>
#include <optional>
#include <string>
#include <sys/stat.h>

using namespace purist;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view nar(reinterpret_cast<const char*>(data), size);
    const std::string out = fuzz::scratchDir() + "/restored";

    std::optional<uint64_t> validLength;
    try {
        StringSource source(nar);
        validLength = validateNar(source);
    } catch (const FormatError&) {
    }

    bool restored = false;
    try {
        StringSource source(nar);
        restorePath(out, source, NarRestoreOptions{CaseHack::Off});
        restored = true;
    } catch (const FormatError&) {
        if (validLength) fuzz::brokenPromise("validateNar accepted what restorePath refused");
    } catch (const SysError&) {
        // The file system's own limits (a name longer than NAME_MAX) are not the archive's
        // fault as validateNar sees it; restore must still clean up, checked below.
    }
    struct stat info {};
    if (!restored) {
        if (::lstat(out.c_str(), &info) == 0)
            fuzz::brokenPromise("a refused archive left " + out + " behind");
        return 0;
    }
    if (!validLength) fuzz::brokenPromise("restorePath accepted what validateNar refused");

    StringSink dumped;
    dumpPath(out, dumped, NarDumpOptions{CaseHack::Off, nullptr});
    if (dumped.data() != nar.substr(0, *validLength))
        fuzz::brokenPromise("restore then dump does not give back the archive");
    removeTree(out);
    return 0;
}
