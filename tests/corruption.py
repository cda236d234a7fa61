#!/usr/bin/env python3
"""corruption.py -- damaged index files give a clean error, never a crash,
a hang or a wrong answer.

An index of the bundled corpus plus a few MB of generated documents is
built, and a fixed set of queries (OR, AND, phrases, json with snippets,
text) is answered once as the reference.  Then each index file (MANIFEST
and the segment) is damaged in turn -- truncated to many lengths, or one
byte flipped at offsets covering the header, every section, page
boundaries, the section table, the CRC table and every footer field -- and
for every variant every query and `gg-index check` are run.  Required:
  - no crash (status 0, 1 or 2; no sanitizer report) and no hang (10 s);
  - a query either fails with exit 2 and exactly one stderr line naming
    the damaged file (any rows printed before are the reference's first
    rows), or prints exactly the reference output with the same status;
  - `gg-index check` fails (exit 2, one line naming the file) for every
    variant.
"""
import json
import os
import random
import shutil
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ggtest as T  # noqa: E402
from ggtest import check  # noqa: E402

PAGE = 4096
FOOTER = 48


def layout(data):
    """Parse the container footer and section table (docs: core/pagefile.h)."""
    f = data[-FOOTER:]
    table_off, nsec = struct.unpack_from("<QI", f, 0)
    crc_off = struct.unpack_from("<Q", f, 16)[0]
    secs = []
    for i in range(nsec):
        kind, _, off, length = struct.unpack_from("<IIQQ", data, table_off + 24 * i)
        secs.append((kind, off, length))
    return table_off, crc_off, secs


def flip_offsets(data, rng, budget):
    """Offsets covering every part of a file, about `budget` of them."""
    size = len(data)
    offs = set()
    if size <= budget:
        return sorted(range(size))
    table_off, crc_off, secs = layout(data)
    offs.update([0, 7, 8, 11, 12, 16, 31])                       # header
    for kind, off, length in secs:                                # each section
        if length:
            offs.update([off, off + length - 1, off + length // 2, off + length // 4,
                         off + 3 * length // 4, off + min(length - 1, 1), off + rng.randrange(length)])
    offs.update(range(table_off, crc_off, 7))                     # section table
    offs.update([crc_off, crc_off + 3, size - FOOTER - 1])        # CRC table
    npages = (crc_off + PAGE - 1) // PAGE
    for pg in rng.sample(range(1, npages), min(npages - 1, 12)):  # page boundaries
        offs.update([pg * PAGE - 1, pg * PAGE])
        offs.add(crc_off + 4 * pg + rng.randrange(4))
    offs.update(size - FOOTER + k for k in (0, 4, 8, 12, 16, 24, 32, 36, 40, 47))  # footer fields
    stride = max(997, size // max(1, budget - len(offs)))
    offs.update(range(stride // 2, size, stride))                 # everything else, evenly
    return sorted(o for o in offs if 0 <= o < size)


def evict(path):
    """Drop the file's pages from the page cache, so that the next query
    starts cold and takes gg-search's read-ahead paths (which must give the
    same answers and report the same damage)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def main():
    s = T.Scratch("corruption")
    rng = random.Random(2718)
    words = T.make_words(3, 5000)
    weights = [1.0 / (i + 1) for i in range(len(words))]
    gen = s("gen.jsonl")
    with open(gen, "w") as f:
        for d in range(4000):
            body = " ".join(rng.choices(words, weights, k=rng.randint(20, 250)))
            title = " ".join(rng.choices(words, k=rng.randint(0, 5)))
            f.write(json.dumps({"id": f"g{d}", "title": title, "contents": body}) + "\n")
    ix = s("ix")
    r = T.gg_index("build", "--quiet", "--index", ix, T.CORPUS, gen)
    if not check(r.rc == 0, f"build: {r!r}"):
        T.finish("corruption")
    files = ["MANIFEST", "seg-000001.gg"]
    original = {f: T.read(os.path.join(ix, f)) for f in files}
    print(f"corruption: segment {len(original['seg-000001.gg'])} bytes, "
          f"MANIFEST {len(original['MANIFEST'])} bytes", file=sys.stderr)

    w = words
    queries = [
        ["--format", "trec", "-k", "1000", "jess", "luke", w[0], w[7], w[400]],
        ["--format", "trec", "-k", "1000", "--and", w[1], w[2]],
        ["--format", "trec", "-k", "1000", '"right reason"', f'"{w[0]} {w[1]}"'],
        ["--format", "json", "-k", "60", "revival", w[3], w[1500]],
        ["--format", "tsv", "-k", "20", "--and", "podcast", "scott"],
        ["-k", "5", f"{w[4]}", "netflix"],
    ]
    ref = []
    for q in queries:
        r = T.gg_search("--index", ix, *q)
        check(r.rc == 0 and r.err == b"" and r.out, f"reference query {q}: {r!r}")
        ref.append(r)
    for q, base in zip(queries, ref):
        evict(os.path.join(ix, "seg-000001.gg"))
        r = T.gg_search("--index", ix, *q)
        check(r.rc == base.rc and r.out == base.out and r.err == b"", f"query {q} on a cold cache: {r!r}")
    r = T.gg_index("check", "--index", ix)
    check(r.rc == 0, f"check of the intact index: {r!r}")

    work = s("work")
    shutil.copytree(ix, work)
    stats = {"variants": 0, "query_errors": 0, "query_same": 0}
    t0 = time.monotonic()

    def try_variant(name, data, what):
        stats["variants"] += 1
        path = os.path.join(work, name)
        with open(path, "wb") as f:
            f.write(data)
        evict(path)  # the first query of each variant starts cold
        for q, base in zip(queries, ref):
            r = T.gg_search("--index", work, *q, timeout=10)
            if r.rc == 2:
                stats["query_errors"] += 1
                T.one_line_error(r, name, what=f"{what}, query {q[-1]}")
                got = r.out.splitlines(keepends=True)
                check(got == base.out.splitlines(keepends=True)[:len(got)],
                      f"{what}, query {q}: rows printed before the error are not the reference's")
            else:
                stats["query_same"] += 1
                check(r.rc == base.rc and r.out == base.out and r.err == b"",
                      f"{what}, query {q}: wrong answer without an error (status {r.rc}, stderr {r.errtext!r})")
        r = T.gg_index("check", "--index", work, timeout=10)
        T.one_line_error(r, name, what=f"gg-index check, {what}")
        with open(path, "wb") as f:
            f.write(original[name])

    for name in files:
        data = original[name]
        size = len(data)
        cuts = {0, 1, 7, 31, 32, 33, 79, 80, size // 3, size // 2, size - 49, size - 48, size - 47,
                size - 4, size - 1, PAGE, PAGE + 1, 2 * PAGE}
        for cut in sorted(c for c in cuts if 0 <= c < size):
            try_variant(name, data[:cut], f"{name} truncated to {cut} of {size}")
        # one extra byte is damage too
        try_variant(name, data + b"\0", f"{name} with a byte appended")
        budget = 170 if name != "MANIFEST" else 400
        for i, off in enumerate(flip_offsets(data, rng, budget)):
            mask = 0xFF if i % 3 == 0 else 1 << (i % 8)
            bad = bytearray(data)
            bad[off] ^= mask
            try_variant(name, bytes(bad), f"{name} byte {off} ^ 0x{mask:02x}")
    print(f"corruption: {stats['variants']} variants, {stats['query_errors']} query runs failed cleanly, "
          f"{stats['query_same']} gave the reference answer, {time.monotonic() - t0:.1f} s", file=sys.stderr)
    check(stats["query_errors"] > stats["variants"], "damage was hardly ever detected by queries?")
    s.done()
    T.finish("corruption")


if __name__ == "__main__":
    main()
