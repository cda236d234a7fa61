#!/usr/bin/env bash
# bench/all.sh -- every measurement of bench/RESULTS.md in one run.
#
#   bench/all.sh [OUTDIR]          default /work/scratch/bench/all
#
#  1. builds gg Release in build-bench/ and copies the binaries to OUTDIR/bin
#     (so later rebuilds cannot change what is measured);
#  2. bench/run.sh on ../shared/data/reuters21578 and ../shared/data/gcide with
#     sqlite-fts5, xapian, xapian-english and lucene (warm-up 10, timed 5);
#  3. bench/scale.sh 100 300 1000 (make-scale-corpus --seed 1; corpora are
#     kept in OUTDIR/scale and reused) with sqlite-fts5, xapian and lucene on
#     300 MB and 1 GB;
#  4. one query per process on the 1 GB index (bench/fresh-latency): OR and
#     phrase topics, hot twice, then cold (page cache dropped: needs root);
#     first the musl and glibc builds of gg-search side by side, if both exist;
#  5. the 1 GB corpus built again at each budget of $MEMORY_BUDGETS (default
#     32M 64M 128M 256M) under /usr/bin/time -v, compared byte for byte with
#     the default build (OUTDIR/memory.md);
#  6. bench/decode-speed.
# Logs: OUTDIR/*.log; tables: OUTDIR/*/compare.md, OUTDIR/scale/scale.md.
# Takes about 25 minutes on the 2-core machine (Xapian's 1 GB build: 8).
set -uo pipefail
BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$BENCH")"
DATA="$(cd "$ROOT/.." && pwd)/shared/data"
OUT=${1:-/work/scratch/bench/all}
mkdir -p "$OUT/bin" "$OUT/scale"
OUT=$(realpath "$OUT")
stamp() { echo "[bench/all.sh $(date +%H:%M:%S)] $* (load $(cut -d' ' -f1 /proc/loadavg))"; }

cd "$ROOT"
stamp "commit $(git rev-parse --short HEAD 2>/dev/null) $(git status --short 2>/dev/null | wc -l) changed files"
cmake -S "$ROOT" -B "$ROOT/build-bench" -DCMAKE_BUILD_TYPE=Release > "$OUT/build.log" 2>&1 &&
  cmake --build "$ROOT/build-bench" -j2 >> "$OUT/build.log" 2>&1 || { stamp "build failed: $OUT/build.log"; exit 1; }
B=$OUT/bin
cp build-bench/gg-index build-bench/gg-search build-bench/bench/gg-peer build-bench/bench/decode-speed \
   build-bench/bench/fresh-latency "$B/"
# With musl-tools installed, gg-search is the musl build and the glibc one
# is kept beside it: step 4 runs both, interleaved.
[ -x build-bench/gg-search-glibc ] && cp build-bench/gg-search-glibc "$B/"
export GG_PEER_BIN=$B/gg-peer
MEMORY_BUDGETS=${MEMORY_BUDGETS:-32M 64M 128M 256M}

for c in reuters21578 gcide; do
  PEERS="sqlite-fts5 xapian xapian-english lucene" PEERS_WARMUP=10 PEERS_TIMED_PASSES=5 \
    "$BENCH/run.sh" "$DATA/$c" "$OUT/$c" > "$OUT/$c.log" 2>&1
  stamp "$c done, rc=$?"
done

SCALE_DIR=$OUT/scale SCALE_PEERS="sqlite-fts5 xapian lucene" SCALE_PEERS_MIN_MB=300 \
  "$BENCH/scale.sh" 100 300 1000 > "$OUT/scale.log" 2>&1
stamp "scale done, rc=$?"

S=$OUT/scale
IDX=$S/1000mb/index/gg
{
  if [ -x "$B/gg-search-glibc" ]; then
    for pass in 1 2; do
      for v in gg-search-glibc gg-search; do
        echo "hot OR, $v, pass $pass"
        "$B/fresh-latency" --warmup 1 --passes 3 "$B/$v" "$IDX" "$S/1000mb/topics/topics.tsv"
        echo "hot phrase, $v, pass $pass"
        "$B/fresh-latency" --phrase --warmup 1 --passes 3 "$B/$v" "$IDX" "$S/1000mb/topics/phrase-topics.tsv"
      done
    done
  fi
  for pass in 1 2; do
    echo "hot OR, pass $pass"
    "$B/fresh-latency" --warmup 1 --passes 5 "$B/gg-search" "$IDX" "$S/1000mb/topics/topics.tsv"
    echo "hot phrase, pass $pass"
    "$B/fresh-latency" --phrase --warmup 1 --passes 5 "$B/gg-search" "$IDX" "$S/1000mb/topics/phrase-topics.tsv"
  done
  echo "cold OR"
  "$B/fresh-latency" --drop-caches --passes 1 --limit 20 "$B/gg-search" "$IDX" "$S/1000mb/topics/topics.tsv"
  echo "cold phrase"
  "$B/fresh-latency" --phrase --drop-caches --passes 1 --limit 20 "$B/gg-search" "$IDX" "$S/1000mb/topics/phrase-topics.tsv"
} > "$OUT/fresh.log" 2>&1
stamp "fresh-process latency done"

# The memory budget: the 1 GB corpus at budgets from 32M to 256M, each
# build's peak RSS and wall time from /usr/bin/time -v, its files compared
# with the default build's.
{
  echo "| --memory | wall s | peak RSS MiB | peak / budget | files |"
  echo "|---|---|---|---|---|"
  for M in $MEMORY_BUDGETS; do
    rm -rf "$OUT/mem$M"
    /usr/bin/time -v "$B/gg-index" build --index "$OUT/mem$M" --memory "$M" --quiet "$S/scale-1000mb.jsonl.gz" \
      > "$OUT/mem$M.log" 2>&1
    same="identical"
    for f in MANIFEST seg-000001.gg; do cmp -s "$IDX/$f" "$OUT/mem$M/$f" || same="DIFFER"; done
    awk -v m="$M" -v same="$same" '
      /Maximum resident set size/ { kb = $NF }
      /Elapsed \(wall clock\)/ { n = split($NF, t, ":"); w = 0; for (i = 1; i <= n; i++) w = w * 60 + t[i] }
      END { mib = kb / 1024; printf "| %s | %.1f | %.1f | %.2f | %s |\n", m, w, mib, mib / (m + 0), same }' \
      "$OUT/mem$M.log"
    rm -rf "$OUT/mem$M"
  done
} > "$OUT/memory.md"
stamp "memory budget builds done"

"$B/decode-speed" > "$OUT/decode.log" 2>&1
stamp "all done"
