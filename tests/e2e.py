#!/usr/bin/env python3
"""e2e.py -- end-to-end tests of gg-index and gg-search.

    e2e.py CASE      CASE is one of the functions named case_* below.

Expectations about the bundled corpus (corpus/, three articles) were checked
by hand with grep against the text; where a test also derives expectations
in code, it does so with its own simple word matcher, never from gg output.
"""
import fcntl
import gzip
import json
import os
import random
import resource
import re
import shutil
import signal
import struct
import subprocess
import sys
import time
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ggtest as T  # noqa: E402
from ggtest import check  # noqa: E402

D0 = "000_b27dab8ce9d1762b.txt"
D1 = "001_8f29fe604ebc39e2.txt"
D2 = "002_f0210b945b0c7d80.txt"
ALL = {D0, D1, D2}


def build_corpus_index(s, name="ix", *extra):
    ix = s(name)
    r = T.gg_index("build", "--quiet", "--index", ix, *extra, T.CORPUS)
    check(r.rc == 0, f"building the corpus index: {r!r}")
    return ix


def trec(ix, *query, k=1000, conj=False):
    args = ["--index", ix, "--format", "trec", "-k", str(k)] + (["--and"] if conj else []) + list(query)
    return T.gg_search(*args)


def corpus_words():
    """{file: [lower-case words]} with a simple matcher of letter/digit runs
    (apostrophes kept inside words), used to cross-check hand expectations."""
    out = {}
    for f in sorted(os.listdir(T.CORPUS)):
        with open(os.path.join(T.CORPUS, f), encoding="utf-8") as fh:
            text = fh.read().replace("\u2019", "'").lower()
        out[f] = re.findall(r"[^\W_]+(?:'[^\W_]+)*", text)
    return out


def has_phrase(words, phrase):
    p = phrase.split()
    return any(words[i:i + len(p)] == p for i in range(len(words) - len(p) + 1))


# ---------------------------------------------------------------------------
def case_search():
    """Phrases, ranking, OR and AND on the bundled corpus."""
    s = T.Scratch("e2e-search")
    ix = build_corpus_index(s)
    words = corpus_words()

    # "right reason": in 000 ("for the right reason versus the wrong reason")
    # and 002 (twice); not in 001.
    r = trec(ix, '"right reason"')
    check(r.rc == 0 and set(T.ids_of(r.text)) == {D0, D2}, f'"right reason": {T.ids_of(r.text)}')
    check({f for f, w in words.items() if has_phrase(w, "right reason")} == {D0, D2},
          "hand expectation of \"right reason\" disagrees with the text")
    # the words alone are in all three? "right" and "reason" separately:
    r = trec(ix, "right", "reason", conj=True)
    want = {f for f, w in words.items() if "right" in w and ("reason" in w or "reasons" in w)}
    check(set(T.ids_of(r.text)) == want, f"right AND reason: {T.ids_of(r.text)} want {want}")
    # the reversed phrase occurs nowhere
    r = trec(ix, '"reason right"')
    check(r.rc == 1 and r.text == "", f'"reason right" must match nothing: {r!r} {r.text!r}')

    # The quote everyone repeats is in all three articles.
    q = "\"things are complicated when you're young\""
    r = trec(ix, q)
    check(r.rc == 0 and set(T.ids_of(r.text)) == ALL, f"{q}: {T.ids_of(r.text)}")
    check(all(has_phrase(w, "things are complicated when you're young") for w in words.values()),
          "hand expectation of the quote disagrees with the text")
    # curly apostrophe in the query is the same word
    r = trec(ix, "\"things are complicated when you\u2019re young\"")
    check(set(T.ids_of(r.text)) == ALL, f"curly-apostrophe quote: {T.ids_of(r.text)}")
    # a broken version of it matches nothing
    r = trec(ix, "\"things are complicated when you are young\"")
    check(r.rc == 1, f"altered quote must not match: {r.text!r}")

    # revival (and revivals) only in 002: it ranks first, and alone.
    r = trec(ix, "revival")
    ids = T.ids_of(r.text)
    check(ids[:1] == [D2], f"revival: first is {ids[:1]}, want {D2}")
    check(ids == [D2], f"revival is only in {D2}: {ids}")
    r = trec(ix, "revival", "right", "reason")
    ids = T.ids_of(r.text)
    check(ids[:1] == [D2], f"revival right reason: first is {ids[:1]}")

    # OR returns every document with any term, AND only those with all.
    # (hand-checked with grep -i: emmy only 000, netflix only 001, bachelor
    # and dean only 002, luke in 000 and 002, podcast/scott/jess in all.)
    cases = [
        (["emmy"], False, {D0}), (["netflix"], False, {D1}), (["emmy", "netflix"], False, {D0, D1}),
        (["bachelor", "emmy"], False, {D0, D2}), (["emmy", "netflix", "dean"], False, ALL),
        (["luke", "netflix"], False, ALL), (["emmy", "netflix"], True, set()),
        (["luke", "podcast"], True, {D0, D2}), (["podcast", "scott", "jess"], True, ALL),
        (["luke", "netflix"], True, set()), (["luke", "zzyzx"], False, {D0, D2}),
        (["luke", "zzyzx"], True, set()), (["zzyzx"], False, set()),
        (["Emmy", "NETFLIX"], False, {D0, D1}),
    ]
    for ws, conj, want in cases:
        lw = [w.lower() for w in ws]
        derived = {f for f, w in words.items()
                   if (all if conj else any)(x in w for x in lw)}
        check(derived == want, f"hand expectation for {ws} {'AND' if conj else 'OR'}: {derived} vs {want}")
        r = trec(ix, *ws, conj=conj)
        ids = T.ids_of(r.text)
        check(set(ids) == want and len(ids) == len(want),
              f"{' '.join(ws)}{' --and' if conj else ''}: got {ids}, want {sorted(want)}")
        check(r.rc == (0 if want else 1), f"{ws}: exit {r.rc}")
        rows = T.parse_trec(r.text)
        check([x[2] for x in rows] == list(range(1, len(rows) + 1)), f"{ws}: ranks not 1..n")
        check(all(rows[i][3] >= rows[i + 1][3] for i in range(len(rows) - 1)), f"{ws}: scores not descending")

    # a word that analyses to a phrase: "2021-09-16" only in 001 (its title)
    r = trec(ix, "2021-09-16")
    check(T.ids_of(r.text) == [D1], f"2021-09-16: {T.ids_of(r.text)}")
    # -k limits the list, keeping the best
    full = T.ids_of(trec(ix, "jess").text)
    r = trec(ix, "jess", k=1)
    check(T.ids_of(r.text) == full[:1], f"-k 1: {T.ids_of(r.text)} vs {full[:1]}")
    # several arguments form one query; quoting across arguments works
    a = T.ids_of(trec(ix, '"right', 'reason"').text)
    check(set(a) == {D0, D2}, f"phrase split over two arguments: {a}")
    # the text format: "N. id  score" then title and snippet lines
    r = T.gg_search("--index", ix, "revival")
    lines = r.text.splitlines()
    check(r.rc == 0 and len(lines) >= 2 and re.match(r"^1\. " + re.escape(D2) + r"  \d+\.\d{4}$", lines[0]),
          f"text format first line: {lines[:1]}")
    check(any("**revival**" in l for l in lines), f"text format snippet highlights the word: {lines}")
    check("How Gilmore Girls' Milo Ventimiglia Really Feels" in r.text, "text format shows the title")
    r = T.gg_search("--index", ix, "--no-snippet", "revival")
    check("**" not in r.text, f"--no-snippet: {r.text!r}")
    s.done()


# ---------------------------------------------------------------------------
def first_line_title(f):
    with open(os.path.join(T.CORPUS, f), encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                return line.strip()


def case_formats():
    """json, tsv and trec shapes; --timing; titles; snippets."""
    s = T.Scratch("e2e-formats")
    ix = build_corpus_index(s)
    q = ["jess", "revival"]
    # json
    r = T.gg_search("--index", ix, "--format", "json", *q)
    rows = [json.loads(l) for l in r.text.splitlines()]
    check(r.rc == 0 and len(rows) == 3, f"json: {len(rows)} rows")
    for i, o in enumerate(rows):
        # docs/SEARCH.md: keys may be added later, never removed
        check({"qid", "rank", "id", "score", "title", "snippet"} <= set(o) and "elapsed_us" not in o,
              f"json keys {sorted(o)}")
        check(o.get("qid") == "1" and o.get("rank") == i + 1, f"json qid/rank {o.get('qid')}/{o.get('rank')}")
        check(isinstance(o.get("score"), float) and o["score"] > 0, f"json score {o.get('score')!r}")
        check(o.get("id") in ALL and o.get("title") == first_line_title(o.get("id", D0)),
              f"json title of {o.get('id')}: {o.get('title')!r}")
        check(isinstance(o.get("snippet"), str) and "**" in o["snippet"], f"json snippet {o.get('snippet')!r}")
    check(rows and rows[0]["id"] == D2, f"json: 002 first: {rows[:1]}")
    for o in rows:
        marked = set(m.lower() for m in re.findall(r"\*\*(.*?)\*\*", o["snippet"]))
        check(marked and marked <= {"jess", "revival"}, f"json snippet highlights only query words: {marked}")
    r1 = T.gg_search("--index", ix, "--format", "json", "revival")
    o1 = [json.loads(l) for l in r1.text.splitlines()]
    check(len(o1) == 1 and "**revival**" in o1[0]["snippet"], f"revival snippet: {o1}")
    check(all(rows[i]["score"] >= rows[i + 1]["score"] for i in range(len(rows) - 1)), "json order")
    r = T.gg_search("--index", ix, "--format", "json", "--timing", *q)
    rows_t = [json.loads(l) for l in r.text.splitlines()]
    check(all({"qid", "rank", "id", "score", "title", "snippet", "elapsed_us"} <= set(o) for o in rows_t),
          "json --timing adds elapsed_us")
    check(all(isinstance(o.get("elapsed_us"), int) and o["elapsed_us"] >= 0 for o in rows_t), "elapsed_us int")
    check([(o["id"], o["score"]) for o in rows_t] == [(o["id"], o["score"]) for o in rows], "timing changes hits")
    r = T.gg_search("--index", ix, "--format", "json", "--no-snippet", *q)
    check(all(json.loads(l)["snippet"] == "" for l in r.text.splitlines()), "--no-snippet json snippet empty")

    # tsv
    r = T.gg_search("--index", ix, "--format", "tsv", *q)
    header, trows = T.parse_tsv(r.text)
    check(header == ["qid", "rank", "id", "score", "title", "snippet"], f"tsv header {header}")
    check([(x["id"]) for x in trows] == [o["id"] for o in rows], "tsv ids == json ids")
    for x, o in zip(trows, rows):
        check(x["qid"] == "1" and x["rank"] == str(o["rank"]), f"tsv qid/rank {x}")
        check(abs(float(x["score"]) - o["score"]) < 1e-6 and re.match(r"^\d+\.\d{6}$", x["score"]),
              f"tsv score {x['score']} vs {o['score']}")
        check(x["title"] == o["title"], f"tsv title {x['title']!r}")
        check(x["snippet"] == o["snippet"].replace("\t", " "), "tsv snippet")
    r = T.gg_search("--index", ix, "--format", "tsv", "--timing", *q)
    header, trows = T.parse_tsv(r.text)
    check(header == ["qid", "rank", "id", "score", "title", "snippet", "elapsed_us"], f"tsv --timing header {header}")
    check(all(x["elapsed_us"].isdigit() for x in trows), "tsv elapsed_us")
    # no header when nothing matched? a header-only or empty output, exit 1
    r = T.gg_search("--index", ix, "--format", "tsv", "zzyzx")
    check(r.rc == 1 and len(r.text.splitlines()) <= 1, f"tsv without hits: {r.text!r}")

    # trec
    r = T.gg_search("--index", ix, "--format", "trec", *q)
    lines = r.text.splitlines()
    check(len(lines) == 3, f"trec lines {lines}")
    for i, (l, o) in enumerate(zip(lines, rows)):
        c = l.split(" ")
        check(len(c) == 6 and c[0] == "1" and c[1] == "Q0" and c[2] == o["id"] and c[3] == str(i + 1)
              and c[5] == "gg" and abs(float(c[4]) - o["score"]) < 1e-6, f"trec line {l!r}")
    # text format agrees on the order
    r = T.gg_search("--index", ix, *q)
    text_ids = re.findall(r"^\d+\. (\S+)  ", r.text, re.M)
    check(text_ids == [o["id"] for o in rows], f"text ids {text_ids}")
    s.done()


# ---------------------------------------------------------------------------
def groups(rows, key):
    """[(qid, [rows])] preserving order; fails if a qid's rows are not contiguous."""
    out = []
    for x in rows:
        if out and out[-1][0] == key(x):
            out[-1][1].append(x)
        else:
            check(all(g[0] != key(x) for g in out), f"qid {key(x)} appears in two separate groups")
            out.append((key(x), [x]))
    return out


def case_batch():
    """--batch FILE and stdin: one result group per input line, right qids."""
    s = T.Scratch("e2e-batch")
    ix = build_corpus_index(s)
    lines = [("q1", "revival"), (None, '"right reason"'), ("q3", "zzyzx"), ("alpha", "jess luke"),
             (None, "\"things are complicated when you're young\""), ("q6", "netflix emmy")]
    content = "".join((f"{q}\t{t}" if q else t) + "\n" for q, t in lines)
    T.write(s("queries.txt"), content)
    # qid of a plain line is its line number
    qids = [q if q else str(i + 1) for i, (q, t) in enumerate(lines)]

    # singles, for comparison
    single = {}
    for fmt in ("trec", "json", "tsv"):
        for qid, (q, t) in zip(qids, lines):
            r = T.gg_search("--index", ix, "--format", fmt, t)
            single[(fmt, qid)] = r

    def batch_runs(fmt, extra=()):
        base = ["--index", ix, "--format", fmt] + list(extra)
        yield "file", T.gg_search(*(base + ["--batch", s("queries.txt")]))
        yield "stdin", T.gg_search(*(base + ["--batch"]), stdin=content.encode())
        yield "dash", T.gg_search(*(base + ["--batch", "-"]), stdin=content.encode())
        crlf = content.replace("\n", "\r\n")
        yield "crlf", T.gg_search(*(base + ["--batch"]), stdin=crlf.encode())

    matched = [qid for qid in qids if single[("trec", qid)].rc == 0]
    check(matched == ["q1", "2", "alpha", "5", "q6"], f"which batch queries match: {matched}")
    for how, r in batch_runs("trec"):
        check(r.rc == 0 and r.err == b"", f"trec batch {how}: {r!r}")
        rows = T.parse_trec(r.text)
        g = groups(rows, lambda x: x[0])
        check([q for q, _ in g] == matched, f"trec batch {how}: groups {[q for q, _ in g]}, want {matched}")
        for qid, grp in g:
            want = [(x[1], x[2], x[3]) for x in T.parse_trec(single[("trec", qid)].text)]
            check([(x[1], x[2], x[3]) for x in grp] == want, f"trec batch {how} {qid}: rows differ from single run")
    for how, r in batch_runs("json"):
        rows = [json.loads(l) for l in r.text.splitlines()]
        g = groups(rows, lambda x: x["qid"])
        check([q for q, _ in g] == matched, f"json batch {how}: groups {[q for q, _ in g]}")
        for qid, grp in g:
            want = [json.loads(l) for l in single[("json", qid)].text.splitlines()]
            for w in want:
                w["qid"] = qid
            check(grp == want, f"json batch {how} {qid}: rows differ from single run")
    for how, r in batch_runs("tsv"):
        header, rows = T.parse_tsv(r.text)
        check(header == ["qid", "rank", "id", "score", "title", "snippet"], f"tsv batch header {header}")
        check(r.text.count("qid\trank") == 1, "tsv batch: one header only")
        g = groups(rows, lambda x: x["qid"])
        check([q for q, _ in g] == matched, f"tsv batch {how}: groups {[q for q, _ in g]}")
        for qid, grp in g:
            _, want = T.parse_tsv(single[("tsv", qid)].text)
            for w in want:
                w["qid"] = qid
            check(grp == want, f"tsv batch {how} {qid}: rows differ")
    # text: a header per input line, matched or not
    for how, r in batch_runs("text"):
        heads = re.findall(r"^## (.*?): (.*)$", r.text, re.M)
        check([h[0] for h in heads] == qids, f"text batch {how}: headers {heads}")
        check([h[1] for h in heads] == [t for _, t in lines], f"text batch {how}: query texts {heads}")
    # timing in batch
    r = T.gg_search("--index", ix, "--format", "json", "--timing", "--batch", s("queries.txt"))
    check(all("elapsed_us" in json.loads(l) for l in r.text.splitlines()), "batch --timing")

    # nothing matched at all: exit 1
    T.write(s("none.txt"), "a\tzzyzx\nb\tqqqqq\n")
    r = T.gg_search("--index", ix, "--format", "trec", "--batch", s("none.txt"))
    check(r.rc == 1 and r.text == "", f"batch without matches: {r!r}")
    # an error line: exit 2, one stderr line naming the line, others answered
    T.write(s("err.txt"), "ok\trevival\nbad\t\"unterminated\nok2\tnetflix\n\n")
    r = T.gg_search("--index", ix, "--format", "trec", "--batch", s("err.txt"))
    errl = r.errlines()
    check(r.rc == 2, f"batch with bad lines: exit {r.rc}")
    check(len(errl) == 2 and "line 2" in errl[0] and "unterminated" in errl[0].lower()
          and "line 4" in errl[1] and "empty" in errl[1].lower(),
          f"batch errors name their lines: {errl}")
    check([q for q, _ in groups(T.parse_trec(r.text), lambda x: x[0])] == ["ok", "ok2"],
          f"other lines still answered: {r.text!r}")
    # queries as arguments with --batch are refused
    r = T.gg_search("--index", ix, "--batch", s("queries.txt"), "extra")
    check(r.rc == 2, f"--batch with a query argument: {r!r}")
    # missing batch file
    r = T.gg_search("--index", ix, "--batch", s("nope.txt"))
    T.one_line_error(r, "nope.txt", what="missing batch file")
    s.done()


# ---------------------------------------------------------------------------
def case_index_selection():
    """Exit statuses, --index, $GG_INDEX, ./gg.index, default ./corpus input."""
    s = T.Scratch("e2e-select")
    os.makedirs(s("only0"))
    shutil.copy(os.path.join(T.CORPUS, D0), s("only0", D0))
    a = s("A")
    r = T.gg_index("build", "--quiet", "--index", a, s("only0"))
    check(r.rc == 0, f"build A: {r!r}")
    b = build_corpus_index(s, "B")

    r = T.gg_search("--index", a, "--format", "trec", "podcast")
    check(r.rc == 0 and T.ids_of(r.text) == [D0], f"--index A: {r.text!r}")
    r = T.gg_search("--index", b, "--format", "trec", "podcast")
    check(r.rc == 0 and set(T.ids_of(r.text)) == ALL, f"--index B: {r.text!r}")
    r = T.gg_search("--index", a, "netflix")
    check(r.rc == 1 and r.text == "" and r.err == b"", f"no match: exit 1, no output: {r!r}")

    env = T.base_env()
    env["GG_INDEX"] = a
    r = T.gg_search("--format", "trec", "podcast", env=env)
    check(T.ids_of(r.text) == [D0], f"$GG_INDEX=A: {r.text!r}")
    r = T.gg_search("--index", b, "--format", "trec", "podcast", env=env)
    check(set(T.ids_of(r.text)) == ALL, f"--index wins over $GG_INDEX: {r.text!r}")
    r = T.gg_index("check", env=env)
    check(r.rc == 0, f"gg-index check uses $GG_INDEX: {r!r}")

    # default location ./gg.index, for both tools
    cwd = s("work")
    os.makedirs(cwd)
    r = T.gg_index("build", "--quiet", T.CORPUS, cwd=cwd)
    check(r.rc == 0 and os.path.exists(os.path.join(cwd, "gg.index", "MANIFEST")), f"default index dir: {r!r}")
    r = T.gg_search("--format", "trec", "podcast", cwd=cwd)
    check(set(T.ids_of(r.text)) == ALL, f"search ./gg.index: {r!r}")
    env["GG_INDEX"] = ""
    r = T.gg_search("--format", "trec", "podcast", cwd=cwd, env=env)
    check(set(T.ids_of(r.text)) == ALL, f"empty $GG_INDEX means ./gg.index: {r!r}")
    # $GG_INDEX also directs the build
    env["GG_INDEX"] = s("C")
    r = T.gg_index("build", "--quiet", s("only0"), env=env)
    check(r.rc == 0 and os.path.exists(s("C", "MANIFEST")), f"build into $GG_INDEX: {r!r}")

    # gg-index build without paths reads ./corpus
    cwd2 = s("work2")
    shutil.copytree(T.CORPUS, os.path.join(cwd2, "corpus"))
    r = T.gg_index("build", "--quiet", cwd=cwd2)
    check(r.rc == 0, f"build with default input: {r!r}")
    r = T.gg_search("--format", "trec", "podcast", cwd=cwd2)
    check(set(T.ids_of(r.text)) == ALL, f"default input ./corpus: {r.text!r}")
    s.done()


# ---------------------------------------------------------------------------
def other_version(path):
    """A format version other than the one the file was written with."""
    with open(path, "rb") as f:
        return struct.unpack_from("<I", f.read(12), 8)[0] + 1


def patch_u32(path, off, value):
    with open(path, "r+b") as f:
        f.seek(off)
        f.write(value.to_bytes(4, "little"))


def case_errors():
    """Every runtime error: exit 2 and exactly one stderr line naming the problem."""
    s = T.Scratch("e2e-errors")
    ix = build_corpus_index(s)
    seg = s("ix", "seg-000001.gg")
    man = s("ix", "MANIFEST")

    missing = s("no-such-index")
    T.one_line_error(T.gg_search("--index", missing, "jess"), missing, what="missing index")
    T.one_line_error(T.gg_index("check", "--index", missing), missing, what="check of a missing index")
    os.makedirs(s("empty-cwd"))
    T.one_line_error(T.gg_search("jess", cwd=s("empty-cwd")), "gg.index", what="missing default index")

    for victim, name in ((man, "MANIFEST"), (seg, "seg-000001.gg")):
        # another format version
        bad = s("v-" + name)
        shutil.copytree(ix, bad)
        patch_u32(os.path.join(bad, name), 8, other_version(os.path.join(bad, name)))
        T.one_line_error(T.gg_search("--index", bad, "jess"), name, "version", what=f"version of {name}")
        T.one_line_error(T.gg_index("check", "--index", bad), name, "version", what=f"check: version of {name}")
        # truncated
        size = os.path.getsize(victim)
        for cut in (0, 10, size // 2, size - 1):
            bad = s(f"t-{name}-{cut}")
            shutil.copytree(ix, bad)
            os.truncate(os.path.join(bad, name), cut)
            T.one_line_error(T.gg_search("--index", bad, "jess"), name, what=f"{name} truncated to {cut}")
            T.one_line_error(T.gg_index("check", "--index", bad), name, what=f"check: {name} truncated to {cut}")
    # A failed build over an index of another format version leaves its files
    # alone (an older gg may still read them); a successful one replaces them.
    bad = s("v-rebuild")
    shutil.copytree(ix, bad)
    patch_u32(os.path.join(bad, "MANIFEST"), 8, other_version(os.path.join(bad, "MANIFEST")))
    before = {f: open(os.path.join(bad, f), "rb").read() for f in os.listdir(bad)}
    os.makedirs(s("nothing-to-index"))
    r = T.gg_index("build", "--quiet", "--index", bad, s("nothing-to-index"))
    check(r.rc == 2, f"build of nothing must fail: {r!r}")
    after = {f: open(os.path.join(bad, f), "rb").read() for f in os.listdir(bad)}
    check(after == before, f"failed build changed the other-version index: {sorted(before)} -> {sorted(after)}")
    r = T.gg_index("build", "--quiet", "--index", bad, T.CORPUS)
    check(r.rc == 0, f"rebuild over another version: {r!r}")
    r = T.gg_search("--index", bad, "--format", "trec", "revival")
    check(r.rc == 0 and T.ids_of(r.text)[:1] == [D2], f"rebuilt index answers: {r!r}")
    check("seg-000001.gg" not in os.listdir(bad), f"old segment left behind: {os.listdir(bad)}")

    # segment file missing
    bad = s("noseg")
    shutil.copytree(ix, bad)
    os.remove(os.path.join(bad, "seg-000001.gg"))
    T.one_line_error(T.gg_search("--index", bad, "jess"), "seg-000001.gg", what="missing segment")

    # query errors
    T.one_line_error(T.gg_search("--index", ix, ""), "empty", what="empty query argument")
    T.one_line_error(T.gg_search("--index", ix, "   "), "empty", what="blank query")
    T.one_line_error(T.gg_search("--index", ix, "*** ---"), "empty", what="query without words")
    T.one_line_error(T.gg_search("--index", ix, '"right reason'), "unterminated", "column 1",
                     what="unterminated quote")
    T.one_line_error(T.gg_search("--index", ix, 'jess "right reason'), "unterminated", "column 6",
                     what="unterminated quote later")
    T.one_line_error(T.gg_search("--index", ix, "--format", "json", '"a'), "unterminated", what="json + bad quote")

    # gg-index input errors (the index is not touched)
    nope = s("does-not-exist")
    r = T.gg_index("build", "--index", s("ix2"), nope)
    T.one_line_error(r, nope, what="nonexistent input")
    check(not os.path.exists(s("ix2")), "a failed build must not create the index folder")
    os.makedirs(s("nodocs", "sub"))
    T.write(s("nodocs", "a.pdf"), b"%PDF-1.4")
    T.write(s("nodocs", "b.html"), "<p>hello</p>")
    T.write(s("nodocs", "sub", "c.docx"), b"PK")
    T.write(s("nodocs", ".hidden.txt"), "hidden words")
    before = {f: T.read(os.path.join(ix, f)) for f in ("MANIFEST", "seg-000001.gg")}
    r = T.gg_index("build", "--index", ix, s("nodocs"))
    T.one_line_error(r, "no documents", what="folder without accepted files")
    after = {f: T.read(os.path.join(ix, f)) for f in ("MANIFEST", "seg-000001.gg")}
    check(before == after, "a failed build changed the index")
    r = T.gg_search("--index", ix, "--format", "trec", "podcast")
    check(set(T.ids_of(r.text)) == ALL, "index still answers after a failed build")
    # a bad stemmer
    T.one_line_error(T.gg_index("build", "--index", s("ix3"), "--stemmer", "klingon", T.CORPUS), "klingon",
                     what="unknown stemmer")

    # another build holds the lock
    lock = os.open(os.path.join(ix, "LOCK"), os.O_RDWR | os.O_CREAT)
    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    r = T.gg_index("build", "--index", ix, T.CORPUS)
    T.one_line_error(r, "another", what="index locked by another build")
    os.close(lock)
    r = T.gg_index("build", "--quiet", "--index", ix, T.CORPUS)
    check(r.rc == 0, f"build after the lock is released: {r!r}")

    # an index whose documents have no words at all is still a valid index
    T.write(s("nowords", "a.txt"), "*** !!!\n")
    r = T.gg_index("build", "--quiet", "--index", s("ixnw"), s("nowords", "a.txt"))
    check(r.rc == 0, f"build of a document without words: {r!r}")
    r = T.gg_index("check", "--index", s("ixnw"))
    check(r.rc == 0, f"gg-index check of a fresh index without terms must pass: {r!r}")
    r = T.gg_search("--index", s("ixnw"), "anything")
    check(r.rc == 1 and r.err == b"", f"search in an index without terms: {r!r}")
    s.done()


def case_usage_errors():
    """Usage mistakes: exit 2 and exactly one stderr line naming the mistake."""
    s = T.Scratch("e2e-usage")
    ix = build_corpus_index(s)
    T.one_line_error(T.gg_search("--index", ix), "empty", what="gg-search without a query")
    T.one_line_error(T.gg_search("--index", ix, "--bogus", "jess"), "--bogus", what="gg-search unknown option")
    T.one_line_error(T.gg_search("--index", ix, "-k", "0", "jess"), "-k", what="gg-search -k 0")
    T.one_line_error(T.gg_search("--index", ix, "-k", "ten", "jess"), "-k", what="gg-search -k ten")
    T.one_line_error(T.gg_search("--index", ix, "-k", "10000001", "jess"), "-k", what="gg-search -k 10000001")
    T.one_line_error(T.gg_search("--index", ix, "--format", "xml", "jess"), "xml", what="gg-search unknown format")
    T.one_line_error(T.gg_index("build", "--bogus", T.CORPUS), "--bogus", what="gg-index unknown option")
    T.one_line_error(T.gg_index("frobnicate"), "frobnicate", what="gg-index unknown command")
    T.one_line_error(T.gg_index(), "command", what="gg-index without a command")
    T.one_line_error(T.gg_index("build", "--memory", "12Q", T.CORPUS), "memory", what="gg-index bad --memory")
    for size in ("1e30G", "0", "-5M", "nan", "inf"):
        T.one_line_error(T.gg_index("build", "--memory", size, T.CORPUS), "memory", what=f"gg-index --memory {size}")
    for n in ("0", "-2", "x", "2x", ""):
        T.one_line_error(T.gg_index("build", "--threads", n, T.CORPUS), "threads", what=f"gg-index --threads {n!r}")
    s.done()


# ---------------------------------------------------------------------------
def case_inputs():
    """gg-index input robustness: bad UTF-8, binary, empty, bad JSONL, gzip."""
    s = T.Scratch("e2e-inputs")
    d = s("in")
    T.write(os.path.join(d, "good.txt"), "Good Title\n\nalpha bravo charlie\n")
    T.write(os.path.join(d, "latin1.txt"), b"Latin Title\ncaf\xe9 hotelx world na\xefve\n")
    T.write(os.path.join(d, "binary.txt"), b"PK\x03\x04\x00\x00binarystuff\x00data")
    T.write(os.path.join(d, "empty.txt"), b"")
    T.write(os.path.join(d, "blank.md"), "   \n\n \t \n")
    T.write(os.path.join(d, "docs.jsonl"),
            b'{"id":"j1","title":"J One","contents":"delta echo"}\n'
            b'{not json at all\n'
            b'{"id":"j3","title":"J Three","contents":"foxtrot"}\n'
            b'[1, 2, 3]\n'
            b'{"title":"no id","contents":"orphanword"}\n'
            b'{"id":"bad8","contents":"kappa caf\xe9"}\n'
            b'\n'
            b'{"id": 42, "contents": "numericid"}\n')
    with gzip.open(os.path.join(d, "zipped.txt.gz"), "wb") as f:
        f.write(b"Zipped Title\ngolfword hotel\n")
    with gzip.open(os.path.join(d, "more.jsonl.gz"), "wb") as f:
        f.write(b'{"id":"z1","title":"","contents":"india juliet"}\n')
    T.write(os.path.join(d, "notes.pdf"), b"%PDF pdfword")
    T.write(os.path.join(d, ".hidden.txt"), "hiddenword")
    T.write(os.path.join(d, "sub", "deep.md"), "Deep\nkilo lima\n")
    T.write(s("extra.dat"), "Extra\nmikeword november\n")

    ix = s("ix")
    r = T.gg_index("build", "--index", ix, d, s("extra.dat"))
    check(r.rc == 1, f"build with skipped inputs must exit 1: {r!r}")
    warns = [l for l in r.errlines() if "warning" in l]
    def warned(*needles):
        return any(all(n in l for n in needles) for l in warns)
    check(warned("binary.txt"), f"warning for the binary file: {warns}")
    check(warned("empty.txt"), f"warning for the empty file: {warns}")
    check(warned("blank.md"), f"warning for the blank file: {warns}")
    check(warned("docs.jsonl:2"), f"warning naming docs.jsonl:2: {warns}")
    check(warned("docs.jsonl:4"), f"warning naming docs.jsonl:4: {warns}")
    check(warned("docs.jsonl:5"), f"warning naming docs.jsonl:5: {warns}")
    check(len(warns) == 6, f"exactly six warnings, got {len(warns)}: {warns}")
    check(not warned("notes.pdf") and not warned("hidden"), f"ignored files are not warned about: {warns}")

    def find(word, conj=False):
        return T.ids_of(trec(ix, word, conj=conj).text)
    expect = {"alpha": ["good.txt"], "hotelx": ["latin1.txt"], "caf": ["latin1.txt", "bad8"],
              "naïve": [], "na": ["latin1.txt"], "delta": ["j1"], "foxtrot": ["j3"], "kappa": ["bad8"],
              "numericid": ["42"], "golfword": ["zipped.txt.gz"], "india": ["z1"], "kilo": ["sub/deep.md"],
              "mikeword": ["extra.dat"], "binarystuff": [], "orphanword": [], "pdfword": [], "hiddenword": [],
              "zipped": ["zipped.txt.gz"], "deep": ["sub/deep.md"]}
    for w, want in expect.items():
        got = find(w)
        check(sorted(got) == sorted(want), f"search {w!r}: {got}, want {want}")
    # the replacement character is stored in place of the bad byte
    r = T.gg_search("--index", ix, "--format", "json", "hotelx")
    rows = [json.loads(l) for l in r.text.splitlines()]
    check(rows and rows[0]["title"] == "Latin Title" and "\ufffd" in rows[0]["snippet"],
          f"latin1 document: {rows}")
    # titles: first non-blank line of a text file, the field of a JSONL line
    r = T.gg_search("--index", ix, "--format", "json", "delta", "golfword", "kilo")
    titles = {o["id"]: o["title"] for o in map(json.loads, r.text.splitlines())}
    check(titles == {"j1": "J One", "zipped.txt.gz": "Zipped Title", "sub/deep.md": "Deep"}, f"titles {titles}")

    # clean inputs: exit 0
    r = T.gg_index("build", "--quiet", "--index", s("ix2"), os.path.join(d, "good.txt"))
    check(r.rc == 0 and r.err == b"", f"clean build: {r!r}")
    # a file given explicitly that is binary: skipped, no documents -> error
    r = T.gg_index("build", "--index", s("ix3"), os.path.join(d, "binary.txt"))
    check(r.rc == 2, f"only a binary input: {r!r}")
    s.done()


# ---------------------------------------------------------------------------
def case_determinism():
    """Identical input gives byte-identical index files in fresh folders,
    whatever the memory budget and the number of threads; a rebuild in place
    replaces the segment.
    With 24M the indexer's word cache is capped at 8192 slots and fills
    (20000 distinct words), so words past it take the uncached path.  Some
    documents repeat two words tens of thousands of times: at 1M and 3M
    the final merge reads the run file through windows of a few KiB, so their
    records and single documents' positions span many window refills, and
    a window grows for one document and shrinks back after it."""
    s = T.Scratch("e2e-determinism")
    rng = random.Random(99)
    words = T.make_words(5, 20000)
    with open(s("gen.jsonl"), "w") as f:
        for d in range(6000):
            if d % 1000 == 500:
                body = " ".join(rng.choices(words[:2], k=rng.randint(40000, 60000)))
            else:
                body = " ".join(rng.choices(words, k=rng.randint(10, 300)))
            f.write(json.dumps({"id": f"d{d}", "title": " ".join(rng.choices(words, k=3)), "contents": body}) + "\n")
    inputs = [T.CORPUS, s("gen.jsonl")]
    builds = []
    for name, extra in (("a", []), ("b", []), ("c", ["--memory", "1M"]), ("d", ["--memory", "3M"]),
                        ("e", ["--memory", "24M"]), ("f", ["--threads", "1"]),
                        ("g", ["--threads", "1", "--memory", "1M"])):
        r = T.gg_index("build", "--quiet", "--index", s(name), *extra, *inputs)
        check(r.rc == 0, f"build {name}: {r!r}")
        builds.append(s(name))
    ref = {f: T.read(os.path.join(builds[0], f)) for f in ("MANIFEST", "seg-000001.gg")}
    for b in builds[1:]:
        for f in ref:
            check(T.read(os.path.join(b, f)) == ref[f], f"{f} of {os.path.basename(b)} differs from a")
    # stemmer none gives a different index, also deterministic
    for name in ("n1", "n2"):
        T.gg_index("build", "--quiet", "--stemmer", "none", "--index", s(name), *inputs)
    check(T.read(s("n1", "seg-000001.gg")) == T.read(s("n2", "seg-000001.gg")), "stemmer none not deterministic")
    check(T.read(s("n1", "seg-000001.gg")) != ref["seg-000001.gg"], "stemmer makes no difference?")
    # rebuild in place: generation 2, old segment removed, same segment bytes
    r = T.gg_index("build", "--quiet", "--index", s("a"), *inputs)
    check(r.rc == 0, f"rebuild: {r!r}")
    names = sorted(os.listdir(s("a")))
    check(names == ["LOCK", "MANIFEST", "seg-000002.gg"], f"files after a rebuild: {names}")
    if os.path.exists(s("a", "seg-000002.gg")):
        check(T.read(s("a", "seg-000002.gg")) == ref["seg-000001.gg"], "rebuilt segment differs")
    r = T.gg_search("--index", s("a"), "--format", "trec", "podcast")
    check(set(T.ids_of(r.text)) == ALL, f"rebuilt index answers: {r.text!r}")
    s.done()


# ---------------------------------------------------------------------------
def case_atomicity():
    """kill -9 during a build leaves the previous index answering exactly as
    before; a later build succeeds and removes the leftovers."""
    s = T.Scratch("e2e-atomic")
    ix = build_corpus_index(s)
    queries = [["revival"], ['"right reason"'], ["jess", "luke"], ["--and", "podcast", "scott"]]

    def answers(index):
        out = []
        for q in queries:
            r = T.gg_search("--index", index, "--format", "json", "-k", "50", *q)
            out.append((r.rc, r.out))
        return out
    before = answers(ix)
    check(all(rc == 0 for rc, _ in before), "baseline queries match")

    # ~40 MB of JSONL: lines drawn from a pool so that generating is quick
    rng = random.Random(7)
    words = T.make_words(11, 20000)
    pool = [" ".join(rng.choices(words, k=rng.randint(50, 400))) for _ in range(3000)]
    big = s("big.jsonl")
    with open(big, "w") as f:
        size, d = 0, 0
        while size < 25_000_000:
            line = '{"id":"b%d","title":"","contents":"%s"}\n' % (d, pool[d % len(pool)])
            f.write(line)
            size += len(line)
            d += 1
    # reference: how long a full build takes, and what the big index answers
    t0 = time.monotonic()
    r = T.gg_index("build", "--quiet", "--index", s("ref"), big, timeout=300)
    full = time.monotonic() - t0
    check(r.rc == 0, f"reference build of the big corpus: {r!r}")
    after_big = answers(s("ref"))
    print(f"atomicity: full build of {size / 1e6:.0f} MB takes {full:.2f} s", file=sys.stderr)

    mid_way = 0
    saw_tmp = 0
    fractions = [0.3 / max(full, 0.3), 0.15, 0.35, 0.55, 0.75, 0.9, 0.97]
    for frac in fractions:
        p = subprocess.Popen([T.GG_INDEX, "build", "--quiet", "--index", ix, big],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=T.base_env())
        time.sleep(frac * full)
        p.send_signal(signal.SIGKILL)
        p.wait()
        killed = p.returncode == -signal.SIGKILL
        leftovers = [f for f in os.listdir(ix) if f.endswith(".tmp")]
        saw_tmp += bool(leftovers)
        now = answers(ix)
        if killed and now == before:
            mid_way += 1
        elif now == after_big:
            # the build had already published (finished, or killed after the
            # MANIFEST rename): the new index, complete.  Start again from A.
            r = T.gg_index("build", "--quiet", "--index", ix, T.CORPUS)
            check(r.rc == 0, f"rebuild of A: {r!r}")
        else:
            check(False, f"after kill at {frac:.2f} of the build (killed={killed}): answers are neither "
                  f"the old index's nor the new one's")
        r = T.gg_index("check", "--index", ix)
        check(r.rc == 0, f"gg-index check after a kill at {frac:.2f}: {r!r}")
    print(f"atomicity: {mid_way} of {len(fractions)} kills hit a build in progress, "
          f"{saw_tmp} left *.tmp files", file=sys.stderr)
    check(mid_way >= 3, f"only {mid_way} kills happened mid-build; the test proved too little")
    check(saw_tmp >= 1, "no kill left a temporary file behind: the test did not catch a build mid-write")

    # Writes that fail (a file-size limit: EFBIG, like a full disk) at
    # different points, with and without threads: the temporary run file of a
    # build that spills (--memory 4M); the segment while the stored text is
    # written (4, 8 MiB: the compressor thread) or while the postings are
    # (12–20 MiB of a 22 MB segment: beside the merge thread).  Each: one-line
    # error, exit 2, the previous index untouched, no temporary file left.
    def file_size_limit(nbytes):
        def apply():
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (nbytes, nbytes))
        return apply
    failed = 0
    cases = [(64 << 10, ["--memory", "4M"]), (3 << 20, ["--memory", "4M"]),
             (3 << 20, ["--memory", "4M", "--threads", "1"])]
    cases += [(mib << 20, threads) for mib in (4, 8, 12, 16, 20) for threads in ([], ["--threads", "1"])]
    for limit, extra in cases:
        r = T.gg_index("build", "--quiet", "--index", ix, *extra, big, timeout=300,
                       preexec_fn=file_size_limit(limit))
        what = f"build with files limited to {limit >> 10} KiB {' '.join(extra)}"
        if r.rc == 0:  # the limit was not reached: the new index; start again from A
            check(answers(ix) == after_big, f"{what}: succeeded but answers differ")
            r = T.gg_index("build", "--quiet", "--index", ix, T.CORPUS)
            check(r.rc == 0, f"rebuild of A: {r!r}")
            continue
        failed += 1
        T.one_line_error(r, what=what)
        check(answers(ix) == before, f"{what}: the previous index answers differently")
        names = os.listdir(ix)
        check(not [f for f in names if f.endswith(".tmp")], f"{what}: temporary files left: {names}")
    check(failed >= 10, f"only {failed} builds hit the file-size limit; the test proved too little")

    # a later build succeeds and cleans the leftovers
    r = T.gg_index("build", "--quiet", "--index", ix, T.CORPUS)
    check(r.rc == 0, f"build after the kills: {r!r}")
    names = os.listdir(ix)
    check(not [f for f in names if f.endswith(".tmp")], f"leftover temporary files: {names}")
    check(len([f for f in names if f.startswith("seg-")]) == 1, f"one segment file after the build: {names}")
    check(answers(ix) == before, "the rebuilt index answers like the first")
    s.done()


def case_limits():
    """Query limits, long words, document size limit, stemmer choice."""
    s = T.Scratch("e2e-limits")
    ix = build_corpus_index(s)
    # 64 words in a phrase are allowed, 65 are not
    words = " ".join(["jess"] * 64)
    r = T.gg_search("--index", ix, f'"{words}"')
    check(r.rc == 1 and r.err == b"", f"64-word phrase is a valid query: {r!r}")
    T.one_line_error(T.gg_search("--index", ix, f'"{words} jess"'), "64", what="65-word phrase")
    # 256 distinct clauses allowed, 257 not
    many = [f"w{i}" for i in range(257)]
    r = T.gg_search("--index", ix, *many[:256])
    check(r.rc == 1 and r.err == b"", f"256 clauses is a valid query: {r!r}")
    T.one_line_error(T.gg_search("--index", ix, *many), "256", what="257 clauses")
    # duplicates do not count
    r = T.gg_search("--index", ix, "--format", "trec", *(["jess"] * 300))
    check(r.rc == 0 and set(T.ids_of(r.text)) == ALL, f"300 copies of one word: {r!r}")
    # -k bounds
    r = T.gg_search("--index", ix, "-k", "10000000", "--format", "trec", "jess")
    check(r.rc == 0 and len(T.ids_of(r.text)) == 3, f"-k 10000000: {r!r}")

    # words longer than 64 bytes are cut: both spellings sharing the first
    # 64 letters find the document, a shorter prefix does not
    long1 = "x" * 70 + "alpha" * 6
    long2 = "x" * 70 + "omega"
    T.write(s("long", "a.txt"), f"Long\n{long1} tail\n")
    T.write(s("long", "b.txt"), "Short\n" + "x" * 63 + " tail\n")
    r = T.gg_index("build", "--quiet", "--index", s("ixl"), s("long"))
    check(r.rc == 0, f"build long words: {r!r}")
    for q, want in ((long1, ["a.txt"]), (long2, ["a.txt"]), ("x" * 64, ["a.txt"]), ("x" * 63, ["b.txt"])):
        got = T.ids_of(trec(s("ixl"), q).text)
        check(got == want, f"long word query of {len(q)} letters: {got}, want {want}")

    # --max-doc-size: larger documents skipped with a warning naming them
    T.write(s("sized", "small.txt"), "Small\nsmallword\n")
    T.write(s("sized", "big.txt"), "Big\n" + "bigword " * 20000)
    T.write(s("sized", "lines.jsonl"),
            '{"id":"l1","contents":"lineone"}\n' + '{"id":"l2","contents":"%s"}\n' % ("huge " * 30000)
            + '{"id":"l3","contents":"linethree"}\n')
    r = T.gg_index("build", "--index", s("ixs"), "--max-doc-size", "64K", s("sized"))
    warns = [l for l in r.errlines() if "warning" in l]
    check(r.rc == 1, f"skipped big inputs give exit 1: {r!r}")
    check(any("big.txt" in l for l in warns), f"warning names big.txt: {warns}")
    check(any("lines.jsonl:2" in l for l in warns), f"warning names lines.jsonl:2: {warns}")
    check(len(warns) == 2, f"two warnings: {warns}")
    for q, want in (("smallword", ["small.txt"]), ("bigword", []), ("lineone", ["l1"]),
                    ("huge", []), ("linethree", ["l3"])):
        got = T.ids_of(trec(s("ixs"), q).text)
        check(got == want, f"--max-doc-size index, {q}: {got}, want {want}")

    # punctuation between words does not break a phrase (docs/SEARCH.md);
    # a word that analyses to several terms is a phrase
    T.write(s("punct", "a.txt"), "A\nfor the right, reason; said e-mail\n")
    T.write(s("punct", "b.txt"), "B\nright now, the reason: mail e\n")
    T.gg_index("build", "--quiet", "--index", s("ixp"), s("punct"))
    for q, want in (('"right reason"', ["a.txt"]), ("e-mail", ["a.txt"]), ('"e mail"', ["a.txt"]),
                    ("e.mail", ["a.txt"]), ('"mail e"', ["b.txt"]), ('"reason right"', [])):
        got = sorted(T.ids_of(trec(s("ixp"), q).text))
        check(got == want, f"{q}: {got}, want {want}")

    # the stemmer is chosen at build time and used by queries
    T.write(s("stem", "a.txt"), "A\nthe runner was running\n")
    T.write(s("stem", "b.txt"), "B\nhe runs every day\n")
    T.gg_index("build", "--quiet", "--index", s("ixe"), s("stem"))
    T.gg_index("build", "--quiet", "--stemmer", "none", "--index", s("ixn"), s("stem"))
    got = sorted(T.ids_of(trec(s("ixe"), "run").text))
    check(got == ["a.txt", "b.txt"], f"english: run finds running and runs: {got}")
    got = sorted(T.ids_of(trec(s("ixn"), "run").text))
    check(got == [], f"none: run finds nothing: {got}")
    got = sorted(T.ids_of(trec(s("ixn"), "runs").text))
    check(got == ["b.txt"], f"none: runs finds only runs: {got}")
    got = sorted(T.ids_of(trec(s("ixn"), "RUNNING").text))
    check(got == ["a.txt"], f"none: case folding still applies: {got}")
    s.done()


def case_odd_ids():
    """Ids with spaces, tabs, newlines or non-ASCII survive every format."""
    s = T.Scratch("e2e-odd-ids")
    T.write(s("in", "my notes.txt"), "Notes\noddword one\n")
    T.write(s("in", "caf\u00e9 \u6587\u6863.md"), "Unicode\noddword two\n")
    T.write(s("in", "j.jsonl"), json.dumps({"id": "tab\there", "title": "T\tt", "contents": "oddword three"}) + "\n"
            + json.dumps({"id": "new\nline", "title": "N\nn", "contents": "oddword four"}) + "\n")
    ix = s("ix")
    r = T.gg_index("build", "--quiet", "--index", ix, s("in"))
    check(r.rc == 0, f"build: {r!r}")
    want = {"my notes.txt", "caf\u00e9 \u6587\u6863.md", "tab\there", "new\nline"}
    r = T.gg_search("--index", ix, "--format", "json", "-k", "10", "oddword")
    got = [json.loads(l) for l in r.text.splitlines()]
    check({o["id"] for o in got} == want, f"json ids: {[o['id'] for o in got]}")
    r = T.gg_search("--index", ix, "--format", "tsv", "-k", "10", "oddword")
    lines = r.text.splitlines()
    check(len(lines) == 5 and all(len(l.split("\t")) == 6 for l in lines), f"tsv keeps one row per hit: {lines}")
    r = T.gg_search("--index", ix, "--format", "trec", "-k", "10", "oddword")
    lines = r.text.splitlines()
    check(len(lines) == 4 and all(len(l.split(" ")) == 6 for l in lines),
          f"trec keeps 6 columns per hit even for ids with blanks: {lines}")
    r = T.gg_search("--index", ix, "--format", "text", "-k", "10", "oddword")
    check(len(re.findall(r"^\d+\. ", r.text, re.M)) == 4, f"text format: one numbered line per hit: {r.text!r}")
    s.done()


def case_json_lines():
    """JSONL edge cases, each with its hand-checked outcome: escapes, NUL,
    CRLF, duplicate keys, numeric ids, nesting, and the lines that must be
    skipped (trailing text, truncation, single quotes, deep nesting, a
    non-integer id) with a warning naming the line."""
    s = T.Scratch("e2e-json-lines")
    lines = [
        b'\xef\xbb\xbf{"id":"n1","contents":"before\\u0000nulword after"}\n',      # 1 after a BOM
        b'{"id":"cr1","contents":"crlfword"}\r\n',                                 # 2
        b'{"id":"tg","contents":"trailword"} x\n',                                 # 3 skipped
        b'{"id":"tr","contents":"truncword"\n',                                    # 4 skipped
        b'{"id":"esc","title":"caf\\u00e9","contents":"sm\\u00f8rrebr\\u00f8d \\ud83d\\ude00 tab\\tword"}\n',
        b'{"id":"ls","contents":"lone \\ud800 surrogateword"}\n',                 # 6 U+FFFD
        b'{"id":"deep","x":' + b'[' * 600 + b']' * 600 + b',"contents":"deepword"}\n',  # 7 skipped
        b'{"id":"ok100","x":' + b'[' * 100 + b']' * 100 + b',"contents":"shallowword"}\n',
        b'{"id": 12345678901234567890, "contents":"bigid"}\n',
        b"{'id':'sq','contents':'quoteword'}\n",                                   # 10 skipped
        b'{"id":"dup","contents":"firstword","contents":"secondword"}\n',
        b'{"id": -7, "contents":"negid"}\n',
        b'{"id": 1.5, "contents":"floatid"}\n',                                    # 13 skipped
        b'{"id":"bad","contents":"caf\xe9 badutfword"}\n',                         # 14 repaired
        b'{"id":"","contents":"emptyid"}\n',                                       # 15 skipped
        b'{"id": 99999999999999999999, "contents":"hugeid"}\n',                    # 16 skipped
        b'{"id": -99999999999999999999, "contents":"neghugeid"}\n',                # 17 skipped
        b'123\n',                                                                  # 18 skipped
        b'{"id":"ov","contents":"over\xc0\x80long \xed\xa0\x80 overlongword"}\n',  # 19 repaired
    ]
    T.write(s("in", "t.jsonl"), b"".join(lines))
    ix = s("ix")
    r = T.gg_index("build", "--index", ix, s("in"))
    check(r.rc == 1, f"build with skipped lines exits 1: {r!r}")
    warns = sorted(int(m.group(1)) for m in re.finditer(r"t\.jsonl:(\d+): skipped", r.err.decode()))
    check(warns == [3, 4, 7, 10, 13, 15, 16, 17, 18], f"skipped lines: {warns}: {r.err!r}")
    check("t.jsonl:18: skipped: not a JSON object" in r.err.decode(), f"a bare number: {r.err!r}")
    expect = {"nulword": ["n1"], "after": ["n1"], "crlfword": ["cr1"], "trailword": [], "truncword": [],
              "smørrebrød": ["esc"], "word": ["esc"], "café": ["esc"], "surrogateword": ["ls"],
              "deepword": [], "shallowword": ["ok100"], "bigid": ["12345678901234567890"],
              "quoteword": [], "firstword": [], "secondword": ["dup"], "negid": ["-7"], "floatid": [],
              "badutfword": ["bad"], "emptyid": [], "hugeid": [], "neghugeid": [], "overlongword": ["ov"]}
    for w, want in expect.items():
        got = T.ids_of(trec(ix, w).text)
        check(got == want, f"search {w!r}: {got}, want {want}")
    r = T.gg_search("--index", ix, "--format", "json", "surrogateword")
    rows = [json.loads(l) for l in r.text.splitlines()]
    check(rows and "lone \ufffd" in rows[0]["snippet"], f"a lone surrogate becomes U+FFFD: {rows}")
    r = T.gg_search("--index", ix, "--format", "json", "badutfword")
    rows = [json.loads(l) for l in r.text.splitlines()]
    check(rows and "caf\ufffd" in rows[0]["snippet"], f"invalid UTF-8 becomes U+FFFD: {rows}")
    r = T.gg_search("--index", ix, "--format", "json", "overlongword")
    rows = [json.loads(l) for l in r.text.splitlines()]  # valid UTF-8 and JSON
    check(rows and "over\ufffd\ufffdlong \ufffd\ufffd\ufffd" in rows[0]["snippet"],
          f"overlong forms and encoded surrogates become U+FFFD: {rows}")
    s.done()


def case_gzip_inputs():
    """Gzip inputs read like zlib's gzread reads them: members one after
    another, trailing non-gzip bytes ignored, a file that is not gzip passed
    through; a truncated or damaged file gives a warning naming it, keeps the
    documents read before the damage, and never a crash."""
    s = T.Scratch("e2e-gzip")
    lines = [json.dumps({"id": f"d{i}", "contents": f"word{i} common filler text " * 20}) + "\n"
             for i in range(3000)]
    body = "".join(lines).encode()
    whole = gzip.compress(body, mtime=0)
    d = s("in")
    # two members: the lines split between them
    half = len(body) // 2
    cut = body.rindex(b"\n", 0, half) + 1
    T.write(os.path.join(d, "members.jsonl.gz"),
            gzip.compress(body[:cut], mtime=0) + gzip.compress(body[cut:].replace(b'"d', b'"m'), mtime=0))
    # trailing garbage after the member
    T.write(os.path.join(d, "trailing.jsonl.gz"),
            gzip.compress(b'{"id":"t1","contents":"trailingword"}\n', mtime=0) + b"garbage, not gzip")
    # not gzip at all despite the name
    T.write(os.path.join(d, "plain.jsonl.gz"), b'{"id":"p1","contents":"plainword"}\n')
    T.write(os.path.join(d, "plain.txt.gz"), b"Plain Title\nplaintextword\n")
    # truncated, and damaged in the middle
    T.write(os.path.join(d, "truncated.jsonl.gz"), whole[:len(whole) * 6 // 10])
    bad = bytearray(gzip.compress(body.replace(b'"d', b'"x'), mtime=0))
    for k in range(len(bad) // 2, len(bad) // 2 + 64):
        bad[k] ^= 0x5A
    T.write(os.path.join(d, "damaged.jsonl.gz"), bytes(bad))
    rng = random.Random(7)
    short = b"Short Title\nshortword " + " ".join(f"w{rng.getrandbits(40):x}" for _ in range(5000)).encode()
    short_gz = gzip.compress(short, mtime=0)
    T.write(os.path.join(d, "short.txt.gz"), short_gz[:len(short_gz) // 2])
    # members with every optional header field (FEXTRA, FNAME, FCOMMENT, FHCRC),
    # the first name longer than the reader's 128 KiB buffer
    def member(data, name, comment, extra):
        h = b"\x1f\x8b\x08\x1e\0\0\0\0\0\xff" + struct.pack("<H", len(extra)) + extra + name + b"\0" + comment + b"\0"
        h += struct.pack("<H", zlib.crc32(h) & 0xFFFF)
        c = zlib.compressobj(6, zlib.DEFLATED, -15)
        return h + c.compress(data) + c.flush() + struct.pack("<II", zlib.crc32(data), len(data))
    hl = [json.dumps({"id": f"h{i}", "contents": f"hcrcword w{i}"}).encode() + b"\n" for i in range(4000)]
    T.write(os.path.join(d, "headers.jsonl.gz"), b"".join(
        member(b"".join(hl[m * 1000:(m + 1) * 1000]), b"n" * (131032 if m == 0 else rng.randrange(1, 70000)),
               b"c" * rng.randrange(0, 50), b"x" * rng.randrange(1, 300)) for m in range(4)))
    # gzip magic, then noise: 20 files, each a warning (or nothing), never a crash
    for i in range(20):
        T.write(os.path.join(d, "noise", f"n{i}.jsonl.gz"), b"\x1f\x8b\x08\x00" + rng.randbytes(rng.randrange(0, 5000)))
    ix = s("ix")
    r = T.gg_index("build", "--index", ix, d)
    check(r.rc == 1, f"build with damaged inputs exits 1: {r!r}")
    check(sum(1 for l in r.errlines() if "noise/n" in l) == 20, "every noise file is warned about")
    warns = [l for l in r.errlines() if "warning" in l]
    # damaged deflate data may decode as garbage (lines skipped as bad JSON)
    # until the checksum at the end of the member says so
    check(any("damaged.jsonl.gz: stopped reading:" in l for l in warns), f"damaged: {warns[-5:]}")
    warns = [l for l in warns if "damaged.jsonl.gz" not in l and "noise/n" not in l]
    check(any("truncated.jsonl.gz: stopped reading: unexpected end of file" in l for l in warns), f"truncated: {warns}")
    check(any("short.txt.gz: skipped: read error (unexpected end of file)" in l for l in warns), f"short: {warns}")
    check(len(warns) == 2, f"no other warnings: {warns}")

    def ids(word):
        return T.ids_of(trec(ix, word, k=100000).text)
    got = ids("common")
    members = {f"d{i}" for i in range(3000) if lines[i] in body[:cut].decode()} | \
              {f"m{i}" for i in range(3000) if lines[i] not in body[:cut].decode()}
    check(set(got) >= members, f"both members read: {len(set(got) & members)} of {len(members)}")
    trunc = [i for i in got if i.startswith("d")]
    check(len(trunc) >= 3000, f"the members' d-lines: {len(trunc)}")
    damaged = [i for i in got if i.startswith("x")]
    check(0 < len(damaged) < 3000, f"lines before the damage kept: {len(damaged)}")
    check(len(ids("hcrcword")) == 4000, f"members with header fields: {len(ids('hcrcword'))} of 4000")
    for w, want in {"trailingword": ["t1"], "plainword": ["p1"], "plaintextword": ["plain.txt.gz"],
                    "shortword": []}.items():
        check(ids(w) == want, f"search {w!r}: {ids(w)}, want {want}")
    # every document of the truncated file that was kept is whole
    r = T.gg_search("--index", ix, "--format", "json", "-k", "100000", "filler")
    n_bad = sum(1 for l in r.text.splitlines() if json.loads(l)["id"].startswith("d") and
                "filler" not in json.loads(l)["snippet"])
    check(n_bad == 0, f"{n_bad} truncated documents indexed in part")
    s.done()


def case_concurrent_readers():
    """Searches running while builds replace the index always see a whole
    index: the old one or the new one, never an error."""
    import threading
    s = T.Scratch("e2e-readers")
    T.write(s("extra", "x.txt"), "Extra\njess extra document podcast\n")
    ix = build_corpus_index(s)
    q = ["--index", ix, "--format", "trec", "jess", "podcast"]
    a_out = T.gg_search(*q).out
    r = T.gg_index("build", "--quiet", "--index", s("ixb"), T.CORPUS, s("extra"))
    b_out = T.gg_search("--index", s("ixb"), "--format", "trec", "jess", "podcast").out
    check(a_out != b_out and a_out and b_out, "the two indexes answer differently")
    stop = threading.Event()
    bad = []
    runs = [0]

    def reader():
        while not stop.is_set():
            r = T.gg_search(*q)
            runs[0] += 1
            if r.rc != 0 or r.out not in (a_out, b_out):
                bad.append(r)
    th = [threading.Thread(target=reader) for _ in range(2)]
    for t in th:
        t.start()
    for i in range(30):
        inputs = [T.CORPUS] + ([s("extra")] if i % 2 == 0 else [])
        r = T.gg_index("build", "--quiet", "--index", ix, *inputs)
        check(r.rc == 0, f"build {i}: {r!r}")
    stop.set()
    for t in th:
        t.join()
    check(not bad, f"{len(bad)} of {runs[0]} searches during rebuilds failed or saw a partial index: {bad[:3]}")
    check(runs[0] >= 20, f"only {runs[0]} searches ran")
    names = sorted(os.listdir(ix))
    check(len([n for n in names if n.startswith("seg-")]) == 1 and not [n for n in names if n.endswith(".tmp")],
          f"index folder after the rebuilds: {names}")
    s.done()


def case_libc_builds():
    """The gg-search users run (build/gg-search, linked against musl when
    musl-gcc is installed) against the glibc build of the same sources
    (GG_SEARCH_OTHER_BIN): byte for byte the same output, errors and exit
    status, in every format, one query at a time and in a batch."""
    other = os.environ.get("GG_SEARCH_OTHER_BIN", "")
    if not other:
        print("e2e libc_builds: skipped (only one gg-search build)")
        sys.exit(77)
    s = T.Scratch("e2e-libc")
    ix = build_corpus_index(s)
    queries = ["revival right reason", '"gilmore girls"', "jess rory", "milo -- ventimiglia",
               "zzzznotaword", '"rory and jess"', "Rory's", "\u00e9t\u00e9 caf\u00e9", ""]
    runs = []
    for fmt in ("text", "json", "tsv", "trec"):
        for q in queries[:-1]:
            runs.append((["--index", ix, "--format", fmt, "-k", "5", q], None))
            runs.append((["--index", ix, "--format", fmt, "--and", q], None))
        runs.append((["--index", ix, "--format", fmt, "--batch"], "\n".join(queries).encode()))
    runs.append((["--index", s("missing"), "jess"], None))
    runs.append((["--index", ix, "-k", "0", "jess"], None))
    runs.append((["--index", ix, '"unclosed'], None))
    for args, stdin in runs:
        a = T.run([T.GG_SEARCH] + args, stdin=stdin)
        b = T.run([other] + args, stdin=stdin)
        check((a.rc, a.out, a.err) == (b.rc, b.out, b.err),
              f"the two builds differ on {args} (stdin {stdin!r}): {a!r} / {b!r}")
    s.done()


def main():
    if len(sys.argv) != 2 or "case_" + sys.argv[1] not in globals():
        cases = sorted(k[5:] for k in globals() if k.startswith("case_"))
        print(f"usage: e2e.py {'|'.join(cases)}", file=sys.stderr)
        sys.exit(2)
    globals()["case_" + sys.argv[1]]()
    T.finish("e2e " + sys.argv[1])


if __name__ == "__main__":
    main()
