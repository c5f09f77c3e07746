#!/bin/sh
# Checks that the Debian packages suanli needs are installed; installs the
# missing ones when run as root, otherwise prints the exact apt-get line.
set -eu
pkgs="gcc make cmake pkg-config libyaml-dev libsqlite3-dev libcmocka-dev"
missing=""
for p in $pkgs; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
    echo "deps: installing$missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
else
    echo "deps: missing Debian packages:$missing" >&2
    echo "deps: run this as root, then retry:" >&2
    echo "  apt-get update && apt-get install -y$missing" >&2
    exit 1
fi
