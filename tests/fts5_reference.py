#!/usr/bin/env python3
"""fts5_reference.py -- gg's match sets against SQLite FTS5 (Debian sqlite3).

A generated corpus of lowercase ASCII words (no punctuation, so both
tokenisers agree) is indexed by gg (--stemmer none) and by an FTS5 table
(unicode61) holding title + " " + contents, the text gg indexes.  For
hundreds of AND, OR, phrase and mixed queries the set of matching document
ids must be the same.  gg is asked through --batch with -k larger than the
corpus.  Exit 77 (skipped) when sqlite3 or its FTS5 module is missing.
"""
import os
import random
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ggtest as T  # noqa: E402

SQLITE = os.environ.get("GG_SQLITE3") or shutil.which("sqlite3")
NDOCS = 2500


def main():
    if not SQLITE:
        print("SKIPPED: no sqlite3 command", file=sys.stderr)
        sys.exit(77)
    probe = T.run([SQLITE, ":memory:"], stdin=b"CREATE VIRTUAL TABLE p USING fts5(x);\n",
                  expect_crash_free=False)
    if probe.rc != 0:
        print(f"SKIPPED: sqlite3 has no FTS5: {probe.errtext}", file=sys.stderr)
        sys.exit(77)

    s = T.Scratch("fts5")
    rng = random.Random(1105)
    vocab = T.make_words(77, 300)
    weights = [1.0 / (i + 1) ** 0.9 for i in range(len(vocab))]
    docs = []
    for d in range(NDOCS):
        n = rng.choice([rng.randint(1, 12), rng.randint(5, 60), rng.randint(40, 200)])
        words = rng.choices(vocab, weights, k=n)
        # some immediate repeats, for phrases such as "x x"
        if rng.random() < 0.1:
            i = rng.randrange(len(words))
            words[i:i] = [words[i]] * rng.randint(1, 3)
        title = rng.choices(vocab, weights, k=rng.randint(1, 4)) if rng.random() < 0.3 else []
        docs.append((f"f{d:05d}", " ".join(title), " ".join(words)))

    jsonl = s("docs.jsonl")
    with open(jsonl, "w") as f:
        for i, t, c in docs:
            f.write('{"id":"%s","title":"%s","contents":"%s"}\n' % (i, t, c))
    ix = s("ix")
    r = T.gg_index("build", "--quiet", "--stemmer", "none", "--index", ix, jsonl)
    if not T.check(r.rc == 0, f"gg-index build: {r!r}"):
        T.finish("fts5_reference")

    db = s("fts.db")
    sql = ["CREATE VIRTUAL TABLE t USING fts5(id UNINDEXED, body, tokenize='unicode61');", "BEGIN;"]
    for i, t, c in docs:
        body = (t + " " + c).strip()
        sql.append(f"INSERT INTO t(id, body) VALUES('{i}', '{body}');")
    sql.append("COMMIT;")
    r = T.run([SQLITE, db], stdin="\n".join(sql).encode(), expect_crash_free=False)
    if not T.check(r.rc == 0, f"sqlite3 load: {r.errtext}"):
        T.finish("fts5_reference")

    # Queries: (qid, gg query, fts5 query, conjunctive)
    def word(bias):
        return rng.choice(vocab[:30]) if bias and rng.random() < 0.7 else rng.choices(vocab, weights)[0]

    def doc_phrase(m):
        for _ in range(50):
            i, t, c = docs[rng.randrange(NDOCS)]
            toks = (t + " " + c).split()
            if len(toks) >= m:
                p = rng.randrange(len(toks) - m + 1)
                return toks[p:p + m]
        return [word(True), word(True)]

    queries = []
    for q in range(160):  # AND of words
        ws = [word(True) for _ in range(rng.randint(2, 4))]
        queries.append((f"and{q}", " ".join(ws), " AND ".join(ws), True))
    for q in range(80):  # OR of words
        ws = [word(False) for _ in range(rng.randint(2, 4))]
        queries.append((f"or{q}", " ".join(ws), " OR ".join(ws), False))
    for q in range(160):  # phrases from documents, and random ones
        ws = doc_phrase(rng.randint(2, 5)) if q % 4 else [word(True) for _ in range(rng.randint(2, 3))]
        p = " ".join(ws)
        queries.append((f"ph{q}", f'"{p}"', f'"{p}"', q % 2 == 0))
    for q in range(120):  # phrase AND word(s), phrase OR phrase
        a = " ".join(doc_phrase(rng.randint(2, 3)))
        if q % 2 == 0:
            w = word(True)
            queries.append((f"mixa{q}", f'"{a}" {w}', f'"{a}" AND {w}', True))
        else:
            b = " ".join(doc_phrase(2))
            queries.append((f"mixo{q}", f'"{a}" "{b}"', f'"{a}" OR "{b}"', False))

    # FTS5 answers
    script = []
    for qid, _, fq, _ in queries:
        fq_sql = fq.replace("'", "''")
        script.append(f"SELECT '{qid}', id FROM t WHERE t MATCH '{fq_sql}';")
    r = T.run([SQLITE, db], stdin="\n".join(script).encode(), expect_crash_free=False)
    T.check(r.rc == 0, f"sqlite3 queries: {r.errtext[:500]}")
    fts = {qid: set() for qid, _, _, _ in queries}
    for line in r.text.splitlines():
        qid, did = line.split("|")
        fts[qid].add(did)

    # gg answers, one batch per mode
    got = {qid: set() for qid, _, _, _ in queries}
    for conj in (True, False):
        batch = "".join(f"{qid}\t{gq}\n" for qid, gq, _, c in queries if c == conj)
        args = ["--index", ix, "-k", str(NDOCS * 10), "--format", "trec", "--batch", s("b.txt")]
        T.write(s("b.txt"), batch)
        r = T.gg_search(*(args + (["--and"] if conj else [])))
        T.check(r.rc in (0, 1), f"gg-search batch: {r!r}")
        for qid, did, rank, score in T.parse_trec(r.text):
            T.check(did not in got[qid], f"{qid}: {did} returned twice")
            got[qid].add(did)

    nonempty = 0
    for qid, gq, fq, conj in queries:
        a, b = got[qid], fts[qid]
        nonempty += bool(b)
        T.check(a == b, f"{qid} gg [{gq}]{' --and' if conj else ''} vs FTS5 [{fq}]: "
                f"only gg {sorted(a - b)[:8]}, only FTS5 {sorted(b - a)[:8]} ({len(a)} vs {len(b)})")
    T.check(nonempty > len(queries) * 0.6, f"too few queries match anything: {nonempty}/{len(queries)}")
    print(f"fts5_reference: {len(queries)} queries, {nonempty} with matches, "
          f"{sum(len(v) for v in fts.values())} matches compared", file=sys.stderr)
    s.done()
    T.finish("fts5_reference")


if __name__ == "__main__":
    main()
