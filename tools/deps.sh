#!/bin/sh
# Checks the Debian packages the build needs and installs the missing ones
# when run as root; otherwise prints the exact command to run and fails.
# With "check": also what `make check` needs (clang for the fuzz targets,
# valgrind, the browser); with "browser": Chromium, for the status page's
# test in a real browser (tests/job/test-status-page.sh asks for it).
set -eu

missing=""
command -v protoc-c >/dev/null 2>&1 || missing="$missing protobuf-c-compiler"
command -v pkg-config >/dev/null 2>&1 || missing="$missing pkg-config"
if command -v pkg-config >/dev/null 2>&1; then
    pkg-config --exists libprotobuf-c || missing="$missing libprotobuf-c-dev"
    pkg-config --exists criterion || missing="$missing libcriterion-dev"
    pkg-config --exists libutf8proc || missing="$missing libutf8proc-dev"
    pkg-config --exists libsodium || missing="$missing libsodium-dev"
    pkg-config --exists json-c || missing="$missing libjson-c-dev"  # mrstatus
    pkg-config --exists libmicrohttpd || missing="$missing libmicrohttpd-dev"
else
    missing="$missing libprotobuf-c-dev libcriterion-dev libutf8proc-dev"
    missing="$missing libsodium-dev libjson-c-dev libmicrohttpd-dev"
fi
[ -x /usr/bin/time ] || missing="$missing time"
command -v bc >/dev/null 2>&1 || missing="$missing bc"
command -v g++ >/dev/null 2>&1 || missing="$missing g++"   # C++ test apps
command -v python3 >/dev/null 2>&1 || missing="$missing python3"   # journal tests
command -v xxd >/dev/null 2>&1 || missing="$missing xxd"   # embeds the status page
command -v curl >/dev/null 2>&1 || missing="$missing curl"  # status page tests
if [ "${1:-}" = check ]; then
    command -v clang >/dev/null 2>&1 || missing="$missing clang"
    command -v valgrind >/dev/null 2>&1 || missing="$missing valgrind"
fi
if [ "${1:-}" = check ] || [ "${1:-}" = browser ]; then
    command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
fi

[ -z "$missing" ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "deps: installing$missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
    exit 0
fi
echo "deps: missing Debian packages:$missing" >&2
echo "deps: run: sudo apt-get install$missing" >&2
exit 1
