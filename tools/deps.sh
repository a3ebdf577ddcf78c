#!/bin/sh
# Checks the Debian packages a step needs and, only when asked to
# (--install, which `make deps`, `make run`, `make test` and `make check`
# pass) and run as root, installs the missing ones, saying which; otherwise
# prints the exact command to run and fails.
#
# Usage: tools/deps.sh [--install] [build|test|check|browser|slurm]
#   build    what the programs need to build and link (the default; plain
#            `make` checks this much and installs nothing)
#   test     build, and what `make test` needs: Criterion, g++, python3,
#            curl, time, bc
#   check    test, and what `make check` adds: clang (fuzz targets),
#            valgrind, Chromium (the status page in a real browser)
#   browser  Chromium alone (tests/job/test-status-page.sh asks for it)
#   slurm    Slurm and munge alone (tests/job/test-slurm.sh asks for them:
#            it runs a controller and a node daemon of its own)
set -eu

install=no
if [ "${1:-}" = --install ]; then install=yes; shift; fi
mode=${1:-build}
case $mode in
build|test|check|browser|slurm) ;;
*) echo "deps: unknown step '$mode': use build, test, check, browser or" \
        "slurm" >&2
   exit 2 ;;
esac

missing=""
need_cmd() { command -v "$1" >/dev/null 2>&1 || missing="$missing $2"; }
need_pc() {
    if command -v pkg-config >/dev/null 2>&1; then
        pkg-config --exists "$1" || missing="$missing $2"
    else
        missing="$missing $2"
    fi
}

if [ "$mode" != browser ] && [ "$mode" != slurm ]; then
    need_cmd protoc-c protobuf-c-compiler
    need_cmd pkg-config pkg-config
    need_cmd xxd xxd                    # embeds the status page
    need_pc libprotobuf-c libprotobuf-c-dev
    need_pc libutf8proc libutf8proc-dev
    need_pc libsodium libsodium-dev
    need_pc json-c libjson-c-dev        # mrstatus
    need_pc libmicrohttpd libmicrohttpd-dev
    need_pc zlib zlib1g-dev             # compressed inputs
    need_pc libzstd libzstd-dev
fi
if [ "$mode" = test ] || [ "$mode" = check ]; then
    need_pc criterion libcriterion-dev
    [ -x /usr/bin/time ] || missing="$missing time"
    need_cmd bc bc
    need_cmd g++ g++                    # C++ test apps
    need_cmd python3 python3            # journal and streaming tests
    need_cmd curl curl                  # status page tests
fi
if [ "$mode" = check ]; then
    need_cmd clang clang
    need_cmd valgrind valgrind
fi
if [ "$mode" = check ] || [ "$mode" = browser ]; then
    need_cmd chromium chromium
fi
if [ "$mode" = slurm ]; then
    need_cmd slurmctld slurm-wlm
    need_cmd munged munge
fi

[ -z "$missing" ] && exit 0

if [ $install = yes ] && [ "$(id -u)" = 0 ] &&
        command -v apt-get >/dev/null 2>&1; then
    echo "deps: installing Debian packages for '$mode':$missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    # Slurm's and munge's packages start their daemons on install: the
    # suite runs its own, so a policy-rc.d (when none is there; removed on
    # any exit, an interrupt too, as it would block every later service
    # start on the host) keeps the install from starting any, and on a
    # systemd host the services this install added, and only those (not a
    # munge the host already ran), are disabled after it, so that none
    # starts at boot either.
    policy=""
    trap '[ -z "$policy" ] || rm -f "$policy"' EXIT
    trap 'exit 129' HUP
    trap 'exit 130' INT
    trap 'exit 143' TERM
    added=""
    if [ "$mode" = slurm ] && [ "$(cat /proc/1/comm 2>/dev/null)" = systemd ]
    then
        case $missing in *munge*) added="munge" ;; esac
        case $missing in *slurm-wlm*) added="$added slurmd slurmctld" ;; esac
        for unit in $added; do
            if systemctl is-active --quiet "$unit" 2>/dev/null ||
               systemctl is-enabled --quiet "$unit" 2>/dev/null; then
                added=$(echo " $added " | sed "s/ $unit / /")
            fi
        done
    fi
    if [ "$mode" = slurm ] && [ ! -e /usr/sbin/policy-rc.d ]; then
        policy=/usr/sbin/policy-rc.d
        printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod 755 "$policy"
    fi
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >/dev/null || exit 1
    [ -z "$policy" ] || rm -f "$policy"
    policy=""
    # shellcheck disable=SC2086
    case $added in
    *[a-z]*) systemctl disable --now $added >/dev/null 2>&1 || true ;;
    esac
    echo "deps: installed$missing" >&2
    exit 0
fi
echo "deps: missing Debian packages for '$mode':$missing" >&2
if [ "$(id -u)" = 0 ]; then
    echo "deps: run: make deps (or apt-get install$missing)" >&2
else
    echo "deps: run: sudo apt-get install$missing" >&2
fi
exit 1
