#include "checker/path_walker.h"

#include "base/error.h"

#include <algorithm>
#include <dirent.h>
#include <memory>
#include <vector>

namespace purist::checker {

namespace {

struct DirCloser {
    void operator()(DIR* dir) const { ::closedir(dir); }
};

void walkInto(const std::string& root, const std::string& relative,
              const std::function<void(const std::string&, const struct stat&)>& visit) {
    std::string full = relative.empty() ? root : root + "/" + relative;
    struct stat st;
    if (::lstat(full.c_str(), &st) != 0) throw SysError("reading the metadata of '" + full + "'");
    visit(relative, st);
    if (!S_ISDIR(st.st_mode)) return;
    std::unique_ptr<DIR, DirCloser> dir(::opendir(full.c_str()));
    if (!dir) throw SysError("opening directory '" + full + "'");
    std::vector<std::string> names;
    errno = 0;
    while (struct dirent* entry = ::readdir(dir.get())) {
        std::string name = entry->d_name;
        if (name != "." && name != "..") names.push_back(std::move(name));
        errno = 0;
    }
    if (errno != 0) throw SysError("reading directory '" + full + "'");
    dir.reset();
    std::sort(names.begin(), names.end());
    for (const auto& name : names)
        walkInto(root, relative.empty() ? name : relative + "/" + name, visit);
}

} // namespace

void walkPath(const std::string& root,
              const std::function<void(const std::string&, const struct stat&)>& visit) {
    walkInto(root, "", visit);
}

} // namespace purist::checker
