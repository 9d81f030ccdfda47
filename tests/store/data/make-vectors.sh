#!/bin/sh
# Regenerates the NAR fixtures with Nix itself (nix-bin 2.8 from Debian):
#   sh tests/store/data/make-vectors.sh   (from the repository root)
# The trees are rebuilt identically by tests/store/nar_test.cc (makeTrickyTree).
set -eu
dir=$(mktemp -d)
cd "$dir"
mkdir -p tricky/sub tricky/empty-dir
printf 'hello\n' > tricky/hello.txt
: > tricky/empty-file
printf '#!/bin/sh\necho hi\n' > tricky/sub/run.sh
chmod 755 tricky/sub/run.sh
ln -s ../hello.txt tricky/sub/relative-link
ln -s /nonexistent/target tricky/dangling-link
printf 'upper\n' > tricky/Case
printf 'lower\n' > tricky/case
printf 'unicode\n' > "tricky/na$(printf '\303\257')ve-$(printf '\346\227\245')"
printf 'x' > tricky/.hidden
chmod 644 tricky/hello.txt tricky/empty-file tricky/Case tricky/case tricky/.hidden
out=$(cd - >/dev/null && pwd)/tests/store/data
nix-store --dump tricky > "$out/tricky.nar"
printf 'hello\n' > single.txt
nix-store --dump single.txt > "$out/single.nar"
echo "tricky.nar $(nix-hash --type sha256 --base32 tricky)"
echo "single.nar $(nix-hash --type sha256 --base32 single.txt)"
NIX_REMOTE= nix-store --store "$dir/store" --add tricky
rm -rf "$dir"
