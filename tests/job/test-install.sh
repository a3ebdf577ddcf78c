#!/usr/bin/env bash
# make install into a staging directory (DESTDIR), then use what it
# installed as a user would, from outside the repository: build an app in C
# with pkg-config and one in C++, run both with the installed mrrun (and
# the installed mrworker it finds next to itself) against mrsequential;
# name an installed app by its name; render every man page; check that
# mrapp.h compiles pedantically as C and C++; make uninstall leaves no
# file. Prints one "PASS name" or "FAIL name: why" line per check.
set -u
. "$(dirname "$0")/lib.sh"

begin_suite mr-install
TOP=$(cd "$(dirname "$0")/../.." && pwd)
DEST=$WORK/dest
PREFIX=/usr/local
P=$DEST$PREFIX
APPDIR=$WORK/myapp
make_inputs --size 200000 --ascii a.txt b.txt c.txt
mkdir -p "$APPDIR"

# make in the repository, on the suite's build directory, with the
# sanitizers it was built with (make check's build/san), so that nothing is
# rebuilt: the stamp of its flags must not change.
SANITIZE=$(grep -o -- '-fsanitize=[a-z,]*' "$B/.flags" | head -n 1 |
           cut -d= -f2)
STAMP=$(cat "$B/.flags")
mk() {
    make -s -C "$TOP" BUILD="$B" SANITIZE="$SANITIZE" PREFIX=$PREFIX \
        DESTDIR="$DEST" "$@"
}

if ! mk install > "$WORK/install.log" 2>&1; then
    fail install "$(tail -3 "$WORK/install.log")"; exit 1
fi
missing=
for f in bin/mrrun bin/mrworker bin/mrcoordinator bin/mrsequential \
         bin/mrstatus bin/mrgen lib/mapreduce/apps/wc.so include/mrapp.h \
         lib/pkgconfig/mrapp.pc share/man/man1/mrrun.1 share/man/man3/mrapp.3
do
    [ -f "$P/$f" ] || missing="$missing $f"
done
if [ -n "$missing" ]; then fail install "not installed:$missing"
elif [ "$(cat "$B/.flags")" != "$STAMP" ]; then
    fail install "make install rebuilt $B with other flags"
elif [ "$(cd "$B/apps" && printf '%s ' *.so)" != \
       "$(cd "$P/lib/mapreduce/apps" && printf '%s ' *.so)" ]; then
    fail install "apps installed: $(ls "$P/lib/mapreduce/apps"), wanted" \
        "the lab's: $(ls "$B/apps"/*.so)"
else pass install; fi

# pkg-config on a staged install: the .pc says PREFIX, the sysroot adds
# DESTDIR in front of its -I and of its appdir variable.
export PKG_CONFIG_PATH=$P/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$DEST
cflags=$(pkg-config --cflags mrapp | sed "s/ *$//") &&
    libs=$(pkg-config --libs mrapp)
if [ "$cflags" != "-I$P/include" ]; then
    fail pkg_config "cflags '$cflags', wanted -I$P/include"
elif [ "$(pkg-config --variable=appdir mrapp)" != "$P/lib/mapreduce/apps" ]
then fail pkg_config "appdir $(pkg-config --variable=appdir mrapp)"
elif [ "$(pkg-config --modversion mrapp)" != \
       "$(sed -n 's/^#define MR_APP_ABI_VERSION //p' "$TOP/include/mrapp.h")" ]
then fail pkg_config "version $(pkg-config --modversion mrapp)"
else pass pkg_config; fi

# A word count over ASCII letters, in C and in C++ (hand-written
# mr_app_entry without extern "C", hidden visibility: the header's
# declaration keeps it C and exported).
cat > "$APPDIR/lettercount.c" <<'APP'
#include <mrapp.h>

static int
is_letter(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
lc_map(const char *file, const char *data, size_t len,
       struct mr_emitter *out)
{
    size_t i = 0, start;

    (void)file;
    while (i < len) {
        while (i < len && !is_letter(data[i]))
            i++;
        for (start = i; i < len && is_letter(data[i]); i++)
            ;
        if (i > start)
            mr_emit(out, data + start, i - start, "1", 1);
    }
    mr_count(out, "maps", 1);
    return 0;
}

static int
lc_reduce(const char *key, size_t klen, struct mr_values *values,
          struct mr_output *out)
{
    (void)key;
    (void)klen;
    mr_write_u64(out, mr_sum_values(values));
    return 0;
}

/* No ';': ISO C has no empty declaration, and -pedantic builds this. */
MR_APP("lettercount", lc_map, lc_reduce, lc_reduce)
APP
cat > "$APPDIR/cxxcount.cc" <<'APP'
#include <map>
#include <string>
#include <mrapp.h>

namespace {
int
cc_map(const char *, const char *data, size_t len, mr_emitter *out)
{
    std::map<std::string, unsigned long long> n;
    std::string w;
    for (size_t i = 0; i <= len; i++) {
        char c = i < len ? data[i] : ' ';
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
            w += c;
        } else if (!w.empty()) {
            n[w]++;
            w.clear();
        }
    }
    for (const auto &kv : n) {
        std::string v = std::to_string(kv.second);
        mr_emit(out, kv.first.data(), kv.first.size(), v.data(), v.size());
    }
    return 0;
}

int
cc_reduce(const char *, size_t, mr_values *values, mr_output *out)
{
    mr_write_u64(out, mr_sum_values(values));
    return 0;
}
}

const mr_app *
mr_app_entry()
{
    static const mr_app app = {MR_APP_ABI_VERSION, "cxxcount", cc_map,
                               cc_reduce, cc_reduce, MR_COMBINER_APP,
                               nullptr};
    return &app;
}
APP
cd "$APPDIR" || exit 1
# shellcheck disable=SC2086
if ! cc -shared -fPIC -O2 -Wall -Wextra -Werror $cflags lettercount.c \
        -o lettercount.so $libs 2> cc.err; then
    fail build_c_app "$(head -3 cc.err)"
else pass build_c_app; fi
# shellcheck disable=SC2086
if ! g++ -shared -fPIC -O2 -Wall -Wextra -Werror -fvisibility=hidden \
        $cflags cxxcount.cc -o cxxcount.so $libs 2> cxx.err; then
    fail build_cxx_app "$(head -3 cxx.err)"
else pass build_cxx_app; fi

# run_installed NAME APP: the installed mrrun on the inputs with APP, in a
# fresh directory; its output against the reference of the build's wc
# (the same words on ASCII input).
reference "$B/apps/wc.so" "$WORK/want" "$IN"/*.txt
run_installed() {
    local name=$1 app=$2 dir=$WORK/run-$1
    mkdir -p "$dir" && cd "$dir" || return
    if ! timeout 120 "$P/bin/mrrun" --workers 2 --app "$app" "$IN"/*.txt \
            > out.txt 2>&1; then
        fail "$name" "mrrun failed: $(tail -2 out.txt)"
    elif ! sort mr-out-* | grep . | cmp -s - "$WORK/want"; then
        fail "$name" "output differs from mrsequential's wc"
    else pass "$name"; fi
}
run_installed run_c_app "$APPDIR/lettercount.so"
run_installed run_cxx_app "$APPDIR/cxxcount.so"
run_installed run_installed_wc wc

# The installed mrsequential finds the installed wc by name too, and a
# name it cannot find is one line naming the installed apps' directory.
mkdir -p "$WORK/seq" && cd "$WORK/seq" || exit 1
if ! "$P/bin/mrsequential" wc.so "$IN"/*.txt 2> err ||
        ! sort mr-out-0 | cmp -s - "$WORK/want"; then
    fail installed_seq_by_name "$(head -2 err)"
else pass installed_seq_by_name; fi
expect_error installed_unknown_app 2 \
    "$PREFIX/lib/mapreduce/apps/nosuch.so.*wc" "$P/bin/mrsequential" nosuch \
    "$IN/a.txt"

# A C++ mr_app_entry inside a namespace has a C++ name: the worker says so.
cat > "$APPDIR/nsentry.cc" <<'APP'
#include <mrapp.h>
namespace mine {
int m(const char *, const char *, size_t, mr_emitter *) { return 0; }
int r(const char *, size_t, mr_values *, mr_output *) { return 0; }
const mr_app *
mr_app_entry()
{
    static const mr_app app = {MR_APP_ABI_VERSION, "ns", m, r, nullptr, 0,
                               nullptr};
    return &app;
}
}
APP
# shellcheck disable=SC2086
if ! g++ -shared -fPIC $cflags "$APPDIR/nsentry.cc" -o "$APPDIR/nsentry.so"
then fail cxx_namespace_entry "did not build"
else expect_error cxx_namespace_entry 2 "only a C++ one, .*mr_app_entry.*namespace" \
    "$P/bin/mrsequential" "$APPDIR/nsentry.so" "$IN/a.txt"; fi

# mrapp.h compiles with every warning as C99, C11, C++11 and C++17, with
# the macros and helpers an app uses.
cd "$APPDIR" || exit 1
bad=
for std in c99 c11; do
    # shellcheck disable=SC2086
    cc -std=$std -Wall -Wextra -pedantic -Werror -fsyntax-only $cflags \
        lettercount.c 2> "h-$std.err" || bad="$bad $std"
done
cp lettercount.c lettercount.cc
for std in c++11 c++17; do
    # shellcheck disable=SC2086
    g++ -std=$std -Wall -Wextra -pedantic -Werror -fsyntax-only $cflags \
        lettercount.cc cxxcount.cc 2> "h-$std.err" || bad="$bad $std"
done
if [ -n "$bad" ]; then
    fail header_pedantic "fails as$bad: $(cat h-*.err | head -3)"
else pass header_pedantic; fi

# Every installed man page renders with no warning.
bad=
for page in "$P"/share/man/man*/*; do
    warn=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" 2>&1 \
           >/dev/null)
    [ -z "$warn" ] || bad="$bad $(basename "$page"): $warn"
done
if [ -n "$bad" ]; then fail man_pages "$bad"
elif pages=("$P"/share/man/man1/*.1 "$P"/share/man/man3/*.3) &&
     [ ${#pages[@]} -ne 7 ]; then
    fail man_pages "not 7 pages: $(ls "$P"/share/man/man*/)"
else pass man_pages; fi

cd "$WORK" || exit 1
if ! mk uninstall > "$WORK/uninstall.log" 2>&1; then
    fail uninstall "$(tail -3 "$WORK/uninstall.log")"
elif [ -n "$(find "$DEST" -type f -o -type l)" ]; then
    fail uninstall "left: $(find "$DEST" -type f | head -5 | tr '\n' ' ')"
elif [ -e "$P/lib/mapreduce" ]; then
    fail uninstall "left the directory lib/mapreduce"
else pass uninstall; fi
