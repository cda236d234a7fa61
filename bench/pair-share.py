#!/usr/bin/env python3
"""bench/pair-share.py -- what a pair index for common words would add.

    python3 bench/pair-share.py DOCS.jsonl.gz [TOKENS]

Reads documents ({"id","title","contents"} per line) until TOKENS tokens
(default 10 million), lower-cased and split by a plain regex (close to gg's
analyser for English text, not identical), and prints for K = 8, 16, 32
most frequent words: the share of tokens that would add a pair posting if
every word followed by a common word's occurrence were paired with it
("first common", as Lucene's CommonGrams does for the leading word), the
share when both words must be common, and the distinct pairs (new terms).
This is the cost side of indexing word pairs to speed up phrases of
common words (bench/RESULTS.md, "One query per process")."""
import collections
import gzip
import json
import re
import sys

WORD = re.compile(r"[a-z0-9]+(?:'[a-z0-9]+)*")


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__.split("\n\n")[1])
    path = sys.argv[1]
    limit = int(sys.argv[2]) if len(sys.argv) == 3 else 10_000_000
    counts, docs, n = collections.Counter(), [], 0
    with gzip.open(path, "rt", encoding="utf-8", errors="replace") as f:
        for line in f:
            try:
                d = json.loads(line)
            except ValueError:
                continue
            words = WORD.findall(((d.get("title") or "") + " " + (d.get("contents") or "")).lower())
            docs.append(words)
            counts.update(words)
            n += len(words)
            if n >= limit:
                break
    total = sum(counts.values())
    for k in (8, 16, 32):
        top = {w for w, _ in counts.most_common(k)}
        first = both = 0
        distinct = set()
        for words in docs:
            for a, b in zip(words, words[1:]):
                if a in top:
                    first += 1
                    distinct.add((a, b))
                    both += b in top
        print(f"top {k:2}: {total} tokens, {len(counts)} words; pairs led by a common word "
              f"{first / total:.1%} of tokens, both common {both / total:.1%}; "
              f"{len(distinct)} distinct pairs")


if __name__ == "__main__":
    main()
