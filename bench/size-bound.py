#!/usr/bin/env python3
"""size-bound.py -- how far gg's postings and positions are from what a
coder of each list on its own could reach, on one index.

    python3 bench/size-bound.py INDEX_DIR

Reads the index with docs/ggdump.py (the independent reader of
docs/FORMAT.md) and compares the bytes of POSTINGS and POSITIONS with the
information content of what they store, under the model that per-list
coders (gg's, Lucene's, Xapian's) can exploit:

  - the documents of a term with document frequency df among N documents,
    as an unordered set: log2 C(N, df) bits;
  - the term frequencies: their order-0 entropy over the whole index;
  - the positions of a term in a document of length dl where it occurs tf
    times, as a set: log2 C(dl, tf) bits (the lengths are known to the
    reader from DOCLEN).

It is a lower bound only for coders that see each list alone and treat
documents and positions as spread evenly; a coder that models clustering
or the words around a position could go lower.  Pure Python: about 20 s
for a 17 MB collection, minutes for 100 MB.
"""
import glob
import math
import os
import struct
import sys
from collections import Counter

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "docs"))
import ggdump  # noqa: E402


def log2_factorials(n):
    table = [0.0] * (n + 1)
    for i in range(2, n + 1):
        table[i] = table[i - 1] + math.log2(i)
    return table


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    segs = sorted(glob.glob(os.path.join(sys.argv[1], "seg-*.gg")))
    if len(segs) != 1:
        print("size-bound.py: expected one segment in %s" % sys.argv[1], file=sys.stderr)
        return 2
    seg = ggdump.Segment(segs[0])
    n = seg.ndocs
    doclen = struct.unpack("<%dI" % n, seg.pf.sec(2))
    lf = log2_factorials(max(n, max(doclen)) + 1)
    doc_bits = pos_bits = 0.0
    tfs = Counter()
    post_bytes = pos_bytes = npos = 0
    for _term, df, post, plen, pos, qlen in seg.dict_entries():
        post_bytes += plen
        pos_bytes += qlen
        doc_bits += lf[n] - lf[df] - lf[n - df]
        for d, tf, _ in seg.postings(df, post, plen, pos, qlen):
            pos_bits += lf[doclen[d]] - lf[tf] - lf[doclen[d] - tf]
            tfs[tf] += 1
            npos += tf
    total = sum(tfs.values())
    tf_bits = -sum(c * math.log2(c / total) for c in tfs.values())
    bound_post = (doc_bits + tf_bits) / 8
    print("%-10s %12s %12s %7s" % ("", "gg bytes", "bound bytes", "gg/bound"))
    print("%-10s %12d %12.0f %7.3f" % ("postings", post_bytes, bound_post, post_bytes / bound_post))
    print("%-10s %12d %12.0f %7.3f" % ("positions", pos_bytes, pos_bits / 8, pos_bytes * 8 / pos_bits))
    print("positions: %d, %.2f bits each in gg, %.2f at the bound" %
          (npos, pos_bytes * 8 / npos, pos_bits / npos))
    return 0


if __name__ == "__main__":
    sys.exit(main())
