#!/usr/bin/env python3
"""compare.py OUTDIR [QRELS] -- gg against the peers of one run-peers OUTDIR.

Reads what run-peers left in OUTDIR (summary.json, corpus.json, engines.txt,
results/<engine>/{count.MODE.tsv,build.log}) and writes OUTDIR/compare.md
(also printed):

  1. every engine: build s, peak MB, index MB, index/input bytes, OR/AND/phrase
     latency p50/p95/p99 (us), summed match counts (and known-item MRR when
     run-peers was given qrels);
  2. ratios gg-variant / peer for the same columns (< 1: gg is faster /
     smaller);
  3. per-topic agreement of exact match counts, gg-variant vs peer;
  4. a few topics whose AND / phrase counts differ, for investigation.

Engines whose name starts with "gg" are ours (PEERS_EXTRA); the rest are
peers.  gg's index MB excludes its compressed document store, like
Groonga's stored text (gg-peer writes INDEXDIR/stored_text_bytes); the
full size is listed too.  Standard library only.
"""
import json
import math
import os
import sys

MODES = ("or", "and", "phrase")
STEMMED = {"sqlite-fts5-porter", "xapian-english", "xapian-porter", "lucene-porter",
           "lucene-english"}


def pct(vals, p):
    s = sorted(vals)
    return s[max(0, math.ceil(p / 100.0 * len(s)) - 1)] if s else None


def read_tsv(path):
    out = {}
    if not os.path.exists(path):
        return None
    with open(path) as f:
        for line in f:
            p = line.rstrip("\n").split("\t")
            if len(p) == 2:
                out[p[0]] = float(p[1])
    return out


def read_topics(path):
    out = {}
    if path and os.path.exists(path):
        with open(path) as f:
            for line in f:
                if "\t" in line:
                    q, t = line.rstrip("\n").split("\t", 1)
                    out[q] = t
    return out


def gg_build_stats(resdir):
    p = os.path.join(resdir, "build.log")
    if not os.path.exists(p):
        return None
    for line in open(p, errors="replace"):
        if line.startswith("gg-peer build stats: "):
            return json.loads(line.split(": ", 1)[1])
    return None


def f(v, nd=0):
    if v is None:
        return "-"
    return f"{v:.{nd}f}"


def ratio(a, b):
    if a is None or b is None or b == 0:
        return "-"
    r = a / b
    return f"{r:.2f}" if r < 10 else f"{r:.1f}"


def md(head, rows):
    out = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    out = sys.argv[1]
    summ = json.load(open(os.path.join(out, "summary.json")))
    corpus = summ["corpus"]
    eng = summ["engines"]
    order = [l.strip() for l in open(os.path.join(out, "engines.txt")) if l.strip() in eng]
    ours = [e for e in order if e.startswith("gg")]
    peers = [e for e in order if not e.startswith("gg")]
    inbytes = corpus["text_bytes"]
    topics = {}
    for name in ("topics.tsv", "phrase-topics.tsv"):
        topics.update(read_topics(os.path.join(out, "topics", name)))

    counts = {e: {m: read_tsv(os.path.join(out, "results", e, f"count.{m}.tsv")) for m in MODES}
              for e in order}

    def get(e, m, k):
        return (eng[e].get(m) or {}).get(k)

    def mrr(e, m):
        q = (eng[e].get(m) or {}).get("quality")
        return q["MRR"] if q else None

    has_q = any(mrr(e, "or") is not None for e in order)
    lines = []
    lines.append(f"corpus `{corpus['corpus']}`: {corpus['docs']:,} docs, "
                 f"{inbytes / 1e6:.1f} MB of title+contents text; topics: {corpus.get('topics', 0)} "
                 f"keyword, {corpus.get('phrase_topics', 0)} phrase; warm-up passes "
                 f"{corpus.get('warmup')}, timed passes {corpus.get('timed_passes')} "
                 f"(latency = lower median of the timed passes)")
    lines.append("")

    head = ["engine", "build s", "peak MB", "index MB", "idx/in"]
    for m in ("OR", "AND", "phrase"):
        head += [f"{m} p50", f"{m} p95", f"{m} p99"]
    head += ["AND matches", "phrase matches"]
    if has_q:
        head += ["OR MRR", "phrase MRR"]
    rows = []
    for e in order:
        r = eng[e]
        ib = r.get("index_bytes")
        row = [e, f(r.get("build_s"), 2), f(r["peak_bytes"] / 2**20 if r.get("peak_bytes") else None),
               f(ib / 2**20 if ib is not None else None, 1),
               f(ib / inbytes if ib is not None else None, 3)]
        for m in MODES:
            row += [f(get(e, m, "p50")), f(get(e, m, "p95")), f(get(e, m, "p99"))]
        row += [f(get(e, "and", "total")), f(get(e, "phrase", "total"))]
        if has_q:
            row += [f(mrr(e, "or"), 4), f(mrr(e, "phrase"), 4)]
        rows.append(row)
    lines.append("### All engines (latencies in µs)")
    lines.append("")
    lines.append(md(head, rows))
    lines.append("")
    full = []
    for e in ours:
        st = gg_build_stats(os.path.join(out, "results", e))
        if st:
            sb = st.get("store_bytes", 0)
            full.append(f"{e}: {st['docs']:,} docs, {st['terms']:,} terms, {st['postings']:,} postings; "
                        f"full index {st['index_bytes'] / 2**20:.1f} MB "
                        f"({st['index_bytes'] / inbytes:.3f} of input) of which document store "
                        f"{sb / 2**20:.1f} MB (excluded above, as for Groonga)")
    if full:
        lines += ["* " + x for x in full]
        lines.append("")

    if ours and peers:
        head = ["gg / peer", "build s", "peak MB", "idx/in"]
        for m in ("OR", "AND", "phrase"):
            head += [f"{m} p50", f"{m} p95", f"{m} p99"]
        rows = []
        for g in ours:
            for p in peers:
                a, b = eng[g], eng[p]
                row = [f"{g} / {p}", ratio(a.get("build_s"), b.get("build_s")),
                       ratio(a.get("peak_bytes"), b.get("peak_bytes")),
                       ratio(a.get("index_bytes"), b.get("index_bytes"))]
                for m in MODES:
                    for k in ("p50", "p95", "p99"):
                        row.append(ratio(get(g, m, k), get(p, m, k)))
                rows.append(row)
        lines.append("### Ratios gg / peer (< 1: gg faster or smaller)")
        lines.append("")
        lines.append(md(head, rows))
        lines.append("")

        head = ["pair", "same stemming", "OR = ", "AND = ", "phrase = ", "AND sum gg:peer",
                "phrase sum gg:peer"]
        rows = []
        diffs = []
        for g in ours:
            gstem = g != "gg-nostem"
            for p in peers:
                row = [f"{g} vs {p}", "yes" if gstem == (p in STEMMED) else "no"]
                for m in MODES:
                    a, b = counts[g][m], counts[p][m]
                    if a is None or b is None:
                        row.append("-")
                        continue
                    same = sum(1 for q in b if q in a and a[q] == b[q])
                    row.append(f"{same}/{len(b)}")
                    if m != "or" and gstem == (p in STEMMED):
                        for q in b:
                            if q in a and a[q] != b[q]:
                                diffs.append((g, p, m, q, int(a[q]), int(b[q])))
                for m in ("and", "phrase"):
                    row.append(f"{f(get(g, m, 'total'))}:{f(get(p, m, 'total'))}")
                rows.append(row)
        lines.append("### Exact match counts, per topic (gg vs peer)")
        lines.append("")
        lines.append(md(head, rows))
        lines.append("")
        if diffs:
            lines.append("Topics whose AND/phrase count differs between a gg variant and a peer "
                         "with the same stemming (first 25):")
            lines.append("")
            rows = [[g, p, m, q, topics.get(q, "?"), a, b] for g, p, m, q, a, b in diffs[:25]]
            lines.append(md(["gg", "peer", "mode", "qid", "topic", "gg count", "peer count"], rows))
            lines.append("")
    text = "\n".join(lines)
    print(text)
    with open(os.path.join(out, "compare.md.tmp"), "w") as fo:
        fo.write(text + "\n")
    os.replace(os.path.join(out, "compare.md.tmp"), os.path.join(out, "compare.md"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
