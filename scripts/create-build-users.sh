#!/bin/sh
# Creates the build users group and its members that purist needs when it builds as root
# (setting build-users-group): group purist-build, users purist-build1..N, no login, no
# home. Idempotent: existing group and users are kept. Run as root.
#   usage: scripts/create-build-users.sh [COUNT] [GROUP]     (defaults: 8 purist-build)
set -eu

count=${1:-8}
group=${2:-purist-build}

if [ "$(id -u)" -ne 0 ]; then
    echo "create-build-users.sh: must run as root" >&2
    exit 1
fi
case $count in
    ''|*[!0-9]*) echo "create-build-users.sh: COUNT must be a number, not '$count'" >&2; exit 2 ;;
esac

nologin=/usr/sbin/nologin
[ -x "$nologin" ] || nologin=/sbin/nologin
[ -x "$nologin" ] || nologin=/bin/false

if ! getent group "$group" >/dev/null; then
    groupadd --system "$group"
fi

i=1
while [ "$i" -le "$count" ]; do
    user="$group$i"
    if ! getent passwd "$user" >/dev/null; then
        useradd --system --no-create-home --home-dir /var/empty --shell "$nologin" \
            --gid "$group" --groups "$group" --comment "purist build user $i" "$user"
    else
        # An existing user may have lost its membership; membership is what purist reads.
        usermod --append --groups "$group" "$user"
    fi
    i=$((i + 1))
done
echo "build users: group $group with members $(getent group "$group" | cut -d: -f4)"
