#!/usr/bin/env bash
# Fails, listing the files, if any C++ file under git differs from what clang-format makes
# of it (.clang-format at the root). Fix with: git ls-files '*.cc' '*.h' | xargs clang-format -i
set -euo pipefail
cd "$(dirname "$0")/.."
# Debian 12's clang-format; another version formats some constructs differently.
format=${CLANG_FORMAT:-clang-format-14}
command -v "$format" >/dev/null || scripts/install-deps.sh format
mapfile -t files < <(git ls-files '*.cc' '*.h')
# One process for every file; it names each unformatted one in a "FILE:LINE:COL: error:".
mapfile -t bad < <("$format" --dry-run --Werror "${files[@]}" 2>&1 |
    sed -n 's/^\([^:]*\):[0-9]*:[0-9]*: error: .*/\1/p' | sort -u)
if [ ${#bad[@]} -gt 0 ]; then
    echo "not formatted with $format (run: $format -i FILE):" >&2
    printf '  %s\n' "${bad[@]}" >&2
    exit 1
fi
echo "format: ${#files[@]} files clean ($("$format" --version | grep -o 'version [0-9.]*'))"
