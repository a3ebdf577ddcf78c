#!/usr/bin/env bash
# The layers (docs/architecture.md): no file includes a header of a layer
# above its own, and no program carries code of a layer it should not use.
# The tables below are the architecture; the Makefile's include paths and
# link lines must agree with them. Each check is first shown a planted
# violation, so that a check that could not fail would itself fail.
set -u
. "$(dirname "$0")/lib.sh"
begin_suite mr-layers
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP" || exit 1

# What each layer's files may include, besides their own folder's headers.
# proto is the code generated from proto/*.proto (*.pb-c.h).
declare -A MAY_INCLUDE=(
    [common]=""
    [rpc]="common"
    [worker]="common rpc proto include"
    [coordinator]="common rpc proto"
    [launcher]="common rpc proto include worker coordinator"
    [apps]="include"
    [include]=""
    [tools]="common"
)
# The layers each program may link.
declare -A MAY_LINK=(
    [mrcoordinator]="common proto rpc coordinator"
    [mrworker]="common proto rpc worker"
    [mrsequential]="common worker"
    [mrrun]="common proto rpc worker coordinator launcher"
    [mrgen]="common"
    [mrstatus]="common proto rpc coordinator launcher"
)
LIB_LAYERS="common proto rpc worker coordinator launcher"

# layer_of_header ROOT NAME: the folders (layers) under ROOT that hold a
# header NAME; proto for generated ones.
layer_of_header() {
    local root=$1 name=$2 d
    case $name in *.pb-c.h) echo proto; return ;; esac
    for d in "${!MAY_INCLUDE[@]}"; do
        [ -f "$root/$d/$name" ] && echo "$d"
    done
}

# include_violations ROOT: one line per quoted #include, in any layer's
# files under ROOT, of a header that lives only in layers that file's
# layer may not include.
include_violations() {
    local root=$1 layer f name owner ok
    for layer in "${!MAY_INCLUDE[@]}"; do
        for f in "$root/$layer"/*.[ch]; do
            [ -f "$f" ] || continue
            for name in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f"); do
                [ -f "$root/$layer/$name" ] && continue     # its own layer
                ok=0
                owner=$(layer_of_header "$root" "$name")
                for o in $owner; do
                    case " ${MAY_INCLUDE[$layer]} " in
                        *" $o "*) ok=1 ;;
                    esac
                done
                [ $ok = 1 ] && continue
                echo "${f#"$root"/} includes $name (of ${owner:-no layer}), which $layer may not use"
            done
        done
    done
}

test_includes_follow_layers() {
    local plant out
    plant=$WORK/plant
    mkdir -p "$plant/worker" "$plant/coordinator" "$plant/common"
    echo '#include "coord.h"' > "$plant/worker/bad.c"
    echo '' > "$plant/coordinator/coord.h"
    echo '#include "mr_err.h"' > "$plant/worker/good.c"
    echo '' > "$plant/common/mr_err.h"
    out=$(include_violations "$plant")
    if [ "$out" != "worker/bad.c includes coord.h (of coordinator), which worker may not use" ]; then
        fail includes_follow_layers "the check missed a planted violation: '$out'"
        return
    fi
    out=$(include_violations "$TOP")
    if [ -n "$out" ]; then
        fail includes_follow_layers "$(echo "$out" | head -5 | tr '\n' ';')"
    else
        pass includes_follow_layers
    fi
}

# layer_symbols LAYER: the global symbols its library defines.
layer_symbols() {
    nm --defined-only -g "$B/libmr_$1.a" 2>/dev/null |
        awk 'NF == 3 && $2 ~ /[TDBR]/ { print $3 }' | sort -u
}

# foreign_code PROGRAM ALLOWED...: one line per layer outside ALLOWED whose
# code PROGRAM carries, with an example symbol.
foreign_code() {
    local prog=$1 layer common
    shift
    for layer in $LIB_LAYERS; do
        case " $* " in *" $layer "*) continue ;; esac
        common=$(comm -12 <(nm --defined-only -g "$B/$prog" |
                                awk 'NF == 3 { print $3 }' | sort -u) \
                          <(layer_symbols "$layer"))
        [ -n "$common" ] &&
            echo "$prog carries $(echo "$common" | wc -l) functions or" \
                 "objects of $layer, e.g. $(echo "$common" | head -1)"
    done
}

test_programs_link_their_layers() {
    local prog out bad=""
    for layer in $LIB_LAYERS; do
        if [ -z "$(layer_symbols "$layer")" ]; then
            fail programs_link_their_layers "no symbols in $B/libmr_$layer.a"
            return
        fi
    done
    # Planted: mrrun carries the coordinator, which mrworker may not.
    if [ -z "$(foreign_code mrrun ${MAY_LINK[mrworker]})" ]; then
        fail programs_link_their_layers "the check missed mrrun carrying" \
             "layers mrworker may not link"
        return
    fi
    for prog in "${!MAY_LINK[@]}"; do
        [ -x "$B/$prog" ] || { bad="$bad $prog is not built;"; continue; }
        out=$(foreign_code "$prog" ${MAY_LINK[$prog]})
        [ -n "$out" ] && bad="$bad $out;"
    done
    if [ -n "$bad" ]; then
        fail programs_link_their_layers "$bad"
    else
        pass programs_link_their_layers
    fi
}

test_includes_follow_layers
test_programs_link_their_layers
