#!/usr/bin/env bash
# bench/build-median.sh -- build times of gg and the peers, repeated, as
# medians: the issue's build targets are ratios of medians, and a single
# build of a small collection moves by 10-20 % between runs here.
#
#   bench/build-median.sh COLLECTION OUTDIR [N]
#
# COLLECTION  a directory holding docs.jsonl.gz, or the .jsonl.gz itself
# OUTDIR      scratch directory outside the repository
# N           repetitions (default 5)
#
# Each repetition is one ../shared/peers/run-peers run (so every engine is
# built exactly as in bench/run.sh) with gg through PEERS_EXTRA, one
# one-word topic (the searches are not what is measured), indexes deleted
# after use.  Engines: $PEERS (default sqlite-fts5 sqlite-fts5-porter xapian
# xapian-english lucene lucene-porter) plus gg and gg-nostem.  The build
# time is the wall time that run-peers records (/usr/bin/time -v around the
# engine's build command, 10 ms resolution).
# Output: OUTDIR/build-median.md, a table of every engine's times, median,
# gg's and gg-nostem's median / the peer's median, and the like-for-like
# ratio the issue's targets mean (stemming on for both or off for both):
# gg-nostem against the unstemmed peers, gg (Snowball english) against the
# stemmed ones (-porter: original Porter; xapian-english: Snowball english).
#
# Environment: PEERS, GG_PEER_BIN (a gg-peer binary; default: build gg
# Release in build-bench/ as bench/run.sh does and use that).
set -euo pipefail
BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$BENCH")"
SHARED="$(cd "$ROOT/.." && pwd)/shared"
log() { echo "[bench/build-median.sh $(date +%H:%M:%S)] $*" >&2; }

[ $# -ge 2 ] && [ $# -le 3 ] || { sed -n '6,10p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
COLL=$1
OUT=$2
N=${3:-5}
if [ -d "$COLL" ]; then CORPUS="$COLL/docs.jsonl.gz"; else CORPUS=$COLL; fi
[ -f "$CORPUS" ] || { echo "no such corpus: $CORPUS" >&2; exit 2; }
mkdir -p "$OUT"
OUT=$(realpath "$OUT")

if [ -z "${GG_PEER_BIN:-}" ]; then
    cmake -S "$ROOT" -B "$ROOT/build-bench" -DCMAKE_BUILD_TYPE=Release > "$OUT/cmake.log" 2>&1
    cmake --build "$ROOT/build-bench" -j2 --target gg-peer >> "$OUT/cmake.log" 2>&1
    mkdir -p "$OUT/bin"
    cp "$ROOT/build-bench/bench/gg-peer" "$OUT/bin/"
    GG_PEER_BIN=$OUT/bin/gg-peer
fi
printf '1\tthe\n' > "$OUT/topic.tsv"
DEFAULT_PEERS="sqlite-fts5 sqlite-fts5-porter xapian xapian-english lucene lucene-porter"
ENGINES="${PEERS:-$DEFAULT_PEERS} gg gg-nostem"

for ((r = 1; r <= N; r++)); do
    log "repetition $r of $N"
    PEERS="${PEERS:-$DEFAULT_PEERS}" \
    PEERS_EXTRA="gg=$GG_PEER_BIN;gg-nostem=$GG_PEER_BIN --stemmer none" \
    PEERS_WARMUP=0 PEERS_TIMED_PASSES=1 PEERS_KEEP_INDEX=0 PEERS_NO_INSTALL=1 \
        "$SHARED/peers/run-peers" "$CORPUS" "$OUT/topic.tsv" "$OUT/rep$r" > "$OUT/rep$r.log" 2>&1 ||
        { log "run-peers failed: $OUT/rep$r.log"; exit 1; }
done

python3 - "$OUT" "$N" $ENGINES > "$OUT/build-median.md" <<'EOF'
import re, statistics, sys
out, n, engines = sys.argv[1], int(sys.argv[2]), sys.argv[3:]

def wall(path):
    for line in open(path):
        m = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)", line)
        if m:
            return int(m.group(1) or 0) * 3600 + int(m.group(2)) * 60 + float(m.group(3))
    raise SystemExit(f"no wall time in {path}")

times = {e: [wall(f"{out}/rep{r}/results/{e}/build.time") for r in range(1, n + 1)] for e in engines}
med = {e: statistics.median(t) for e, t in times.items()}
def stemmed(e):
    return e.endswith("-porter") or e.endswith("-english") or e == "gg"
print(f"| engine | build s, {n} runs | median s | gg / engine | gg-nostem / engine | like for like |")
print("|---|---|---|---|---|---|")
for e in engines:
    runs = " ".join(f"{t:.2f}" for t in times[e])
    own = "gg" if stemmed(e) else "gg-nostem"
    like = "" if e.startswith("gg") else f"{own} {med[own] / med[e]:.3f}"
    print(f"| {e} | {runs} | {med[e]:.2f} | {med['gg'] / med[e]:.3f} | {med['gg-nostem'] / med[e]:.3f} | {like} |")
EOF
cat "$OUT/build-median.md"
