#!/usr/bin/env bash
# bench/scale.sh -- gg on generated corpora of growing size.
#
#   bench/scale.sh [SIZE_MB ...]        default sizes: 100 300
#
# For each size: ../shared/data/make-scale-corpus --seed 1 SIZE_MB writes
# $SCALE_DIR/scale-SIZEmb.jsonl.gz (kept and reused; the output depends only
# on the seed), then bench/run.sh runs gg on it through run-peers (build under
# /usr/bin/time -v: wall clock and peak RSS; index size; 200 keyword + 100
# phrase seeded topics as OR, AND and phrase queries; percentiles of the
# per-query latency) into $SCALE_DIR/SIZEmb.  Finally a table across sizes is
# printed and written to $SCALE_DIR/scale.md.
#
# Environment (all optional):
#   SCALE_DIR      scratch directory (default /work/scratch/bench/scale)
#   SCALE_PEERS    peers to run as well, on sizes >= SCALE_PEERS_MIN_MB
#                  (default 200) and <= SCALE_PEERS_MAX_MB (default no limit),
#                  e.g. "sqlite-fts5 xapian lucene".  They run
#                  in a second run-peers pass over the same OUTDIR that reuses
#                  gg's index (PEERS_REUSE_INDEX=1) and repeats gg's searches,
#                  so gg and the peers are timed in the same run.  Xapian and
#                  Lucene need minutes to index 300 MB on this 2-core machine.
#   GG_PEER_BIN    gg-peer to use (default: built once by the first run.sh)
#   GG_VARIANTS    as for run.sh (default "gg=GGPEER;gg-nostem=GGPEER --stemmer none")
#   PEERS_WARMUP, PEERS_TIMED_PASSES, BUILD_RETRIES   as for run.sh
set -euo pipefail

BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$BENCH")"
DATA="$(cd "$ROOT/.." && pwd)/shared/data"
SCALE_DIR=${SCALE_DIR:-/work/scratch/bench/scale}
mkdir -p "$SCALE_DIR"
SCALE_DIR=$(realpath "$SCALE_DIR")
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(100 300)
log() { echo "[bench/scale.sh $(date +%H:%M:%S)] $*" >&2; }

first=1
for mb in "${SIZES[@]}"; do
    corpus=$SCALE_DIR/scale-${mb}mb.jsonl.gz
    if [ ! -s "$corpus" ]; then
        log "make-scale-corpus $mb MB"
        /usr/bin/time -f "make-scale-corpus $mb MB: %e s, %M KB peak" \
            "$DATA/make-scale-corpus" --seed 1 "$mb" "$corpus.tmp.jsonl.gz" >&2
        mv -f "$corpus.tmp.jsonl.gz" "$corpus"
    fi
    out=$SCALE_DIR/${mb}mb
    # gg alone (PEERS=" "); build gg only once
    log "gg on $mb MB"
    PEERS=" " "$BENCH/run.sh" "$corpus" "$out" > "$out.gg.txt"
    if [ $first = 1 ]; then  # every later run uses the binary built now
        first=0
        export GG_PEER_BIN=${GG_PEER_BIN:-$out/gg-bin/gg-peer}
    fi
    if [ -n "${SCALE_PEERS:-}" ] && [ "$mb" -ge "${SCALE_PEERS_MIN_MB:-200}" ] &&
       [ "$mb" -le "${SCALE_PEERS_MAX_MB:-1000000}" ]; then
        log "gg + peers ($SCALE_PEERS) on $mb MB, reusing gg's index"
        PEERS="$SCALE_PEERS" PEERS_REUSE_INDEX=1 GG_PEER_BIN=$out/gg-bin/gg-peer \
            "$BENCH/run.sh" "$corpus" "$out" > "$out.peers.txt"
        cat "$out.peers.txt"
    else
        cat "$out.gg.txt"
    fi
done

# ---- one table across sizes (gg variants only)
python3 - "$SCALE_DIR" "${SIZES[@]}" <<'EOF' | tee "$SCALE_DIR/scale.md"
import json, os, sys
d, sizes = sys.argv[1], sys.argv[2:]
head = ["corpus", "engine", "docs", "text MB", "build s", "MB/s", "peak MB", "idx/in", "full idx/in",
        "OR p50", "OR p95", "OR p99", "AND p50", "AND p95", "AND p99",
        "phrase p50", "phrase p95", "phrase p99"]
print("| " + " | ".join(head) + " |")
print("|" + "|".join("---" for _ in head) + "|")
for mb in sizes:
    out = os.path.join(d, f"{mb}mb")
    try:
        s = json.load(open(os.path.join(out, "summary.json")))
    except OSError:
        continue
    c = s["corpus"]
    for e, r in s["engines"].items():
        if not e.startswith("gg"):
            continue
        st = None
        for line in open(os.path.join(out, "results", e, "build.log"), errors="replace"):
            if line.startswith("gg-peer build stats: "):
                st = json.loads(line.split(": ", 1)[1])
        tb = c["text_bytes"]
        f = lambda v, n=0: "-" if v is None else f"{v:.{n}f}"
        row = [f"scale {mb} MB", e, f"{c['docs']:,}", f(tb / 1e6, 1), f(r.get("build_s"), 1),
               f(tb / 1e6 / r["build_s"] if r.get("build_s") else None, 1),
               f(r["peak_bytes"] / 2**20 if r.get("peak_bytes") else None),
               f(r["index_bytes"] / tb if r.get("index_bytes") is not None else None, 3),
               f(st["index_bytes"] / tb if st else None, 3)]
        for m in ("or", "and", "phrase"):
            for p in ("p50", "p95", "p99"):
                row.append(f((r.get(m) or {}).get(p)))
        print("| " + " | ".join(row) + " |")
print()
print("Latencies in µs (lower median of the timed passes, nearest-rank percentiles over the topics); "
      "idx/in without gg's compressed document store, full idx/in with it.")
EOF
