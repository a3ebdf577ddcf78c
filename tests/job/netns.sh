# Shell helpers for jobs across network namespaces, shared by
# tests/job/test-netns.sh and bench/bench-net.sh, which source it. Not
# executable on purpose (tests/run.sh runs every executable
# tests/job/*.sh as a suite; keep this file mode 644). Needs root, ip(8)
# (iproute2) and unshare(1) (util-linux).
#
# The network: one "hub" namespace holding a bridge, and one namespace
# per node, each joined to the bridge by a veth pair whose ends are made
# in the hub and in the node directly, so nothing ever appears in the
# root namespace (no interface, route or sysctl changes there). Each node
# has loopback up and 10.77.0.N/24 on eth0. The subnet is the same every
# run: a run's network is its own namespaces, which no other run shares;
# only the namespaces' names are global (/run/netns), and they carry the
# shell's pid and a random number.
#
#   netns_up NODE...          makes the hub and the nodes; NETNS_IP[NODE]
#   netns_private_cmd NODE HIDE CARRY
#                             NETNS_CMD: the words that run a command in
#                             NODE, in a mount namespace of its own where
#                             a tmpfs hides the directory HIDE
#   netns_down                ends what runs in them, removes them all
# shellcheck shell=bash disable=SC2034

declare -A NETNS_IP=()
NETNS_NAMES=()
NETNS_PREFIX=
NETNS_CMD=()

# netns_can: true when this shell may make namespaces (root, with ip and
# unshare); else false, with the reason on stdout.
netns_can() {
    if [ "$(id -u)" -ne 0 ]; then
        echo "needs root (network namespaces)"
    elif ! command -v ip >/dev/null || ! command -v unshare >/dev/null; then
        echo "needs ip (iproute2) and unshare (util-linux)"
    else
        return 0
    fi
    return 1
}

# netns_name NODE: the namespace of NODE ("hub" for the bridge's).
netns_name() { echo "$NETNS_PREFIX-$1"; }

# netns_add NAME: makes namespace NAME with loopback up, recorded for
# netns_down.
netns_add() {
    ip netns add "$1" || return 1
    NETNS_NAMES+=("$1")
    ip -n "$1" link set lo up
}

# netns_up NODE...: the hub with its bridge, then each NODE in order with
# address 10.77.0.1, .2, ... in NETNS_IP[NODE]. Prints what failed and
# returns false on error (netns_down still removes what was made).
netns_up() {
    local hub node ns i=0
    NETNS_PREFIX=mr$$-$(printf %04x $((RANDOM)))
    hub=$(netns_name hub)
    netns_add "$hub" &&
        ip -n "$hub" link add br0 type bridge &&
        ip -n "$hub" link set br0 up || {
            echo "cannot make the hub namespace $hub"; return 1; }
    for node in "$@"; do
        i=$((i + 1))
        ns=$(netns_name "$node")
        netns_add "$ns" &&
            ip -n "$hub" link add "v$i" type veth peer name eth0 netns "$ns" &&
            ip -n "$hub" link set "v$i" master br0 up &&
            ip -n "$ns" addr add "10.77.0.$i/24" dev eth0 &&
            ip -n "$ns" link set eth0 up || {
                echo "cannot join namespace $ns to the hub"; return 1; }
        NETNS_IP[$node]=10.77.0.$i
    done
}

# netns_private_cmd NODE HIDE CARRY: sets NETNS_CMD to the words that run
# a command in NODE's network namespace and in a mount namespace of its
# own, where a tmpfs (mode 0700) is mounted over the directory HIDE, so
# that nothing under HIDE is seen, and made the command's working
# directory (a directory under HIDE would still show what is beneath);
# then file CARRY (a path under HIDE; ""
# for none), read before the mount, is written again at the same path in
# the tmpfs, mode 600, and the command is exec'd (same pid). Set-up
# failures exit 125. Usage: netns_private_cmd w1 "$WORK" "$WORK/token";
# "${NETNS_CMD[@]}" mrworker ... &
netns_private_cmd() {
    # shellcheck disable=SC2016
    NETNS_CMD=(ip netns exec "$(netns_name "$1")"
               unshare --mount --propagation private
               bash -c '
                   hide=$1 carry=$2
                   shift 2
                   if [ -n "$carry" ]; then exec 3<"$carry" || exit 125; fi
                   mount -t tmpfs -o mode=0700 netns-private "$hide" &&
                       cd "$hide" || exit 125
                   if [ -n "$carry" ]; then
                       mkdir -p "$(dirname "$carry")" &&
                           (umask 077 && cat <&3 >"$carry") || exit 125
                       exec 3<&-
                   fi
                   exec "$@"' netns-private "$2" "$3")
}

# netns_down: kills, by pid, whatever still runs in the namespaces
# netns_up made (only this run's processes run there), then removes them;
# their veth pairs go with them.
netns_down() {
    local ns pids
    for ns in "${NETNS_NAMES[@]}"; do
        pids=$(ip netns pids "$ns" 2>/dev/null)
        # shellcheck disable=SC2086
        [ -z "$pids" ] || kill -KILL $pids 2>/dev/null
    done
    for ns in "${NETNS_NAMES[@]}"; do
        ip netns del "$ns" 2>/dev/null
    done
    NETNS_NAMES=()
}
