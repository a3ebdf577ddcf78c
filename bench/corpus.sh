# The benchmarks' corpus, shared by bench/bench.sh and bench/bench-net.sh,
# which source it (not executable: it is not a benchmark of its own).
#
# bench_corpus: sets CORPUS (build/bench/corpus, made on first use) and MB
# (its size in MB). The corpus is the lab's eight Project Gutenberg texts
# (../shared/data/gutenberg, or $MR_TEXTS) repeated into 16 files of
# ~12 MB (~195 MB); without them, 16 generated ASCII files of the same
# size. $CORPUS/KIND says which. Needs B (the build directory) and TOP
# (the source tree).
# shellcheck shell=bash disable=SC2034

BENCH_FILES=16
BENCH_FILE_SIZE=12200000

bench__make_corpus() {
    local texts=() i k f src=${MR_TEXTS:-$TOP/../shared/data/gutenberg}
    if [ -d "$src" ] && ls "$src"/*.txt >/dev/null 2>&1; then
        texts=("$src"/*.txt)
        echo "corpus: ${#texts[@]} Gutenberg texts repeated into" \
             "$BENCH_FILES files"
        for ((i = 0; i < BENCH_FILES; i++)); do
            f=$CORPUS/in-$(printf %02d $i).txt
            : > "$f.tmp"
            for ((k = i; $(stat -c %s "$f.tmp") < BENCH_FILE_SIZE; k++)); do
                cat "${texts[k % ${#texts[@]}]}" >> "$f.tmp"
            done
            # Cut at a line end just under the size.
            head -c "$BENCH_FILE_SIZE" "$f.tmp" | sed '$d' > "$f"
            rm -f "$f.tmp"
        done
        echo gutenberg > "$CORPUS/KIND"
    else
        echo "corpus: $src not found; generating $BENCH_FILES ASCII files"
        # shellcheck disable=SC2046
        (cd "$CORPUS" && "$B/mrgen" --ascii --size "$BENCH_FILE_SIZE" \
            $(for ((i = 0; i < BENCH_FILES; i++)); do
                  printf 'in-%02d.txt ' $i; done))
        echo generated > "$CORPUS/KIND"
    fi
}

bench_corpus() {
    CORPUS=$B/bench/corpus
    mkdir -p "$CORPUS"
    [ -f "$CORPUS/KIND" ] || bench__make_corpus
    MB=$(cat "$CORPUS"/in-*.txt | wc -c | awk '{printf "%.1f", $1 / 1e6}')
}
