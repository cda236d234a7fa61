#!/usr/bin/env bash
# bench/run.sh -- gg side by side with the peer engines on one corpus.
#
#   bench/run.sh [COLLECTION] [OUTDIR]
#
# COLLECTION  a directory holding docs.jsonl.gz (one of ../shared/data/NAME)
#             or a docs .jsonl.gz file itself; default ../shared/data/reuters21578
# OUTDIR      scratch directory for topics, indexes and results, outside the
#             repository; default /work/scratch/bench/NAME
#
# Steps:
#  a. builds gg Release in $BUILD_DIR (default build-bench next to bench/) and
#     copies bin gg-peer to OUTDIR/gg-bin/ (others may rebuild meanwhile);
#  b. topics: seeded keyword + phrase topics and known-item qrels from
#     ../shared/peers/tools/make_topics.py into OUTDIR/topics (reused when
#     present).  The judged collections' own topics (long natural-language
#     queries) suit neither AND nor phrase runs, so they are not used unless
#     TOPICS=path is given (with optional PHRASE_TOPICS, QRELS);
#  c. ../shared/peers/run-peers on the corpus with the peers in $PEERS plus
#     gg through PEERS_EXTRA (bench/gg-peer, see its header);
#  d. bench/compare.py: markdown tables of every engine, the ratios gg/peer,
#     and per-topic agreement of exact match counts -> OUTDIR/compare.md.
#
# Environment (all optional):
#   PEERS              peer engines (run-peers' names); unset = run-peers'
#                      default list; " " (one space) = gg alone
#   GG_VARIANTS        PEERS_EXTRA entries for gg; default
#                      "gg=GGPEER;gg-nostem=GGPEER --stemmer none" (GGPEER is
#                      replaced by the copied gg-peer); gg's default stemmer is
#                      Snowball english (Porter2), like xapian-english;
#                      gg-nostem is the like-for-like match for sqlite-fts5,
#                      xapian and lucene
#   PEERS_WARMUP       untimed passes (default here 5; Lucene's JIT needs them)
#   PEERS_TIMED_PASSES timed passes, latency = lower median (default here 3)
#   PEERS_REUSE_INDEX  1: keep existing indexes in OUTDIR, rerun searches only
#   SEED, KEYWORD, PHRASE   make_topics.py --seed/--keyword/--phrase (42/200/100)
#   TOPICS, PHRASE_TOPICS, QRELS   use these topic files instead
#   BUILD_DIR          gg build directory; SKIP_BUILD=1 uses it as it is
#   GG_PEER_BIN        use this gg-peer binary (no build; its build-info.txt,
#                      if next to it, is kept), e.g. OUTDIR/gg-bin/gg-peer of
#                      an earlier run, so that several runs time one binary
#   BUILD_RETRIES      retries (30 s apart) when the gg build fails (default 0)
#
# The machine is shared and has 2 cores: latencies move by tens of percent
# between runs.  Compare engines within one run; prefer the ratios.
set -euo pipefail

BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$BENCH")"
SHARED="$(cd "$ROOT/.." && pwd)/shared"
PEERDIR="$SHARED/peers"
log() { echo "[bench/run.sh $(date +%H:%M:%S)] $*" >&2; }

COLL=${1:-$SHARED/data/reuters21578}
if [ -d "$COLL" ]; then
    CORPUS="$COLL/docs.jsonl.gz"
    NAME=$(basename "$(realpath "$COLL")")
else
    CORPUS=$COLL
    NAME=$(basename "$COLL"); NAME=${NAME%.jsonl.gz}
fi
[ -f "$CORPUS" ] || { echo "no corpus: $CORPUS" >&2; exit 2; }
CORPUS=$(realpath "$CORPUS")
OUT=${2:-/work/scratch/bench/$NAME}
case "$(realpath -m "$OUT")/" in
    "$ROOT"/*) echo "OUTDIR must be outside the repository: $OUT" >&2; exit 2 ;;
esac
mkdir -p "$OUT"
OUT=$(realpath "$OUT")

# ---- a. build gg
BUILD_DIR=${BUILD_DIR:-$ROOT/build-bench}
SRC_BIN=${GG_PEER_BIN:-$BUILD_DIR/bench/gg-peer}
if [ -n "${GG_PEER_BIN:-}" ]; then
    log "using $GG_PEER_BIN (no build)"
elif [ "${SKIP_BUILD:-0}" != 1 ]; then
    log "building gg (Release) in $BUILD_DIR"
    tries=0
    until cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release >/dev/null &&
          cmake --build "$BUILD_DIR" -j2 --target gg-peer > "$OUT/gg-build.log" 2>&1; do
        tries=$((tries + 1))
        if [ "$tries" -gt "${BUILD_RETRIES:-0}" ]; then
            tail -20 "$OUT/gg-build.log" >&2; echo "gg build failed" >&2; exit 1
        fi
        log "gg build failed (work in progress?); retry $tries/${BUILD_RETRIES} in 30 s"
        sleep 30
    done
fi
mkdir -p "$OUT/gg-bin"
GGPEER=$OUT/gg-bin/gg-peer
if [ "$(realpath "$SRC_BIN")" != "$(realpath -m "$GGPEER")" ]; then
    cp -f "$SRC_BIN" "$GGPEER.new" && mv -f "$GGPEER.new" "$GGPEER"
    [ -z "${GG_PEER_BIN:-}" ] || ! [ -f "$(dirname "$GG_PEER_BIN")/build-info.txt" ] ||
        cp -f "$(dirname "$GG_PEER_BIN")/build-info.txt" "$OUT/gg-bin/build-info.txt"
fi
[ -n "${GG_PEER_BIN:-}" ] && [ -f "$OUT/gg-bin/build-info.txt" ] || {
    echo "date: $(date -Is)"
    echo "gg commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')" \
         "($(git -C "$ROOT" status --porcelain -- core indexer searcher include 2>/dev/null | wc -l) files of core/indexer/searcher/include modified)"
    echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
    echo "binary: $SRC_BIN"
} > "$OUT/gg-bin/build-info.txt"
cat "$OUT/gg-bin/build-info.txt" >&2

# ---- b. topics
mkdir -p "$OUT/topics"
if [ -n "${TOPICS:-}" ]; then
    cp -f "$TOPICS" "$OUT/topics/topics.tsv"
    if [ -n "${PHRASE_TOPICS:-}" ]; then cp -f "$PHRASE_TOPICS" "$OUT/topics/phrase-topics.tsv"; else rm -f "$OUT/topics/phrase-topics.tsv"; fi
    if [ -n "${QRELS:-}" ]; then cp -f "$QRELS" "$OUT/topics/qrels.txt"; else rm -f "$OUT/topics/qrels.txt"; fi
elif [ ! -s "$OUT/topics/topics.tsv" ]; then
    log "making topics (seed ${SEED:-42})"
    python3 "$PEERDIR/tools/make_topics.py" "$CORPUS" "$OUT/topics" --seed "${SEED:-42}" \
        --keyword "${KEYWORD:-200}" --phrase "${PHRASE:-100}" >&2
fi
PT=()
[ -s "$OUT/topics/phrase-topics.tsv" ] && PT=("$OUT/topics/phrase-topics.tsv")
QR=""
[ -s "$OUT/topics/qrels.txt" ] && QR=$OUT/topics/qrels.txt

# ---- c. run-peers
GG_VARIANTS=${GG_VARIANTS:-"gg=GGPEER;gg-nostem=GGPEER --stemmer none"}
export PEERS_EXTRA=${GG_VARIANTS//GGPEER/$GGPEER}
export PEERS_WARMUP=${PEERS_WARMUP:-5}
export PEERS_TIMED_PASSES=${PEERS_TIMED_PASSES:-3}
export PEERS_QRELS=$QR
log "run-peers: PEERS='${PEERS-<default>}' PEERS_EXTRA='$PEERS_EXTRA' warm-up $PEERS_WARMUP, timed $PEERS_TIMED_PASSES"
"$PEERDIR/run-peers" "$CORPUS" "$OUT/topics/topics.tsv" "${PT[@]}" "$OUT" > "$OUT/run-peers.txt"
cat "$OUT/run-peers.txt"

# ---- d. tables
echo
python3 "$BENCH/compare.py" "$OUT"
