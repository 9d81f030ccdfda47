// purist-sandbox: the helper that forks every build's intermediate (sandbox/launcher.h).
// purist starts it with its end of their socket at descriptor 3; it is not meant to be
// run by hand. Its operator new and delete are in child_allocator.cc.

#include "sandbox/launcher_protocol.h"

#include <cstdio>
#include <sys/stat.h>

int main() {
    struct stat info {};
    if (::fstat(purist::sandbox::kLauncherSocketFd, &info) == -1 || !S_ISSOCK(info.st_mode)) {
        std::fputs("purist-sandbox: this helper is started by purist, not by hand\n", stderr);
        return 2;
    }
    purist::sandbox::runLauncher(purist::sandbox::kLauncherSocketFd);
}
