#!/usr/bin/env python3
"""ggdump.py -- a reference reader of the gg index format (docs/FORMAT.md),
written from the specification, independently of the C code.

    ggdump.py INDEX_DIR                 manifest, sections, statistics
    ggdump.py INDEX_DIR TERM            dictionary entry, postings, positions
    ggdump.py INDEX_DIR --terms         every term with its df
    ggdump.py INDEX_DIR --doc N         stored id, title and text of document N

The check-table CRC is verified, and every page check when the xxhash
module is available (Debian: python3-xxhash); without it pages are not
verified and a note says so.  Used for the worked example in FORMAT.md.
"""
import struct
import sys
import zlib

try:
    import xxhash
except ImportError:
    xxhash = None

PAGE = 4096
SEC = {1: "STATS", 2: "DOCLEN", 3: "IDOFF", 4: "IDS", 5: "STORE", 6: "STOREIDX",
       7: "POSTINGS", 8: "POSITIONS", 9: "DICT", 10: "DICTIDX", 11: "DICTTOP", 100: "MANIFEST"}


class Corrupt(Exception):
    pass


def varint(b, i):
    v = shift = 0
    while True:
        if i >= len(b):
            raise Corrupt("truncated varint")
        c = b[i]
        i += 1
        v |= (c & 0x7F) << shift
        if c < 0x80:
            return v, i
        shift += 7


def unpack(b, i, n, bits):
    """n values of width bits, little-endian bit order, starting at byte i."""
    word = int.from_bytes(b[i:i + (n * bits + 7) // 8], "little")
    mask = (1 << bits) - 1
    return [(word >> (k * bits)) & mask for k in range(n)], i + (n * bits + 7) // 8


def pfor(b, i, n):
    bits, nexc = b[i], b[i + 1]
    vals, i = unpack(b, i + 2, n, bits)
    for _ in range(nexc):
        idx = b[i]
        high, i = varint(b, i + 1)
        vals[idx] |= high << bits
    return vals, i


class PageFile:
    def __init__(self, path, magic):
        self.path = path
        self.d = open(path, "rb").read()
        d = self.d
        if d[:8] != magic:
            raise Corrupt(f"{path}: bad magic")
        version, page = struct.unpack_from("<II", d, 8)
        f = d[-48:]
        table_off, nsec, page2, check_off, size = struct.unpack_from("<QIIQQ", f)
        table_crc, fcrc = struct.unpack_from("<II", f, 40)
        if f[32:40] != b"GGEND\r\n\x1a" or zlib.crc32(f[:44]) != fcrc or size != len(d):
            raise Corrupt(f"{path}: bad footer")
        npages = (check_off + PAGE - 1) // PAGE
        if zlib.crc32(d[check_off:check_off + 4 * npages]) != table_crc:
            raise Corrupt(f"{path}: page check table CRC")
        checks = struct.unpack_from(f"<{npages}I", d, check_off)
        if xxhash is None:
            print(f"note: {path}: pages not verified (no python xxhash module)", file=sys.stderr)
        else:
            for p in range(npages):
                page = d[p * PAGE:min((p + 1) * PAGE, check_off)]
                if xxhash.xxh3_64_intdigest(page) & 0xFFFFFFFF != checks[p]:
                    raise Corrupt(f"{path}: page {p} check")
        self.version = version
        self.sections = {}
        for k in range(nsec):
            kind, _, off, ln = struct.unpack_from("<IIQQ", d, table_off + 24 * k)
            self.sections[kind] = (off, ln)

    def sec(self, kind):
        off, ln = self.sections[kind]
        return self.d[off:off + ln]


def read_manifest(dirname):
    pf = PageFile(f"{dirname}/MANIFEST", b"GGMAN\r\n\x1a")
    b = pf.sec(100)
    gen = struct.unpack_from("<Q", b)[0]
    i = 8
    n = b[i]
    stemmer = b[i + 1:i + 1 + n].decode()
    i += 1 + n
    nsegs = struct.unpack_from("<I", b, i)[0]
    i += 4
    segs = []
    for _ in range(nsegs):
        n = b[i]
        name = b[i + 1:i + 1 + n].decode()
        i += 1 + n
        docs, tokens = struct.unpack_from("<QQ", b, i)
        i += 16
        segs.append((name, docs, tokens))
    return gen, stemmer, segs


class Segment:
    def __init__(self, path):
        self.pf = PageFile(path, b"GGSEG\r\n\x1a")
        st = self.pf.sec(1)
        (self.ndocs, self.tokens, self.nterms, self.npostings,
         self.nstore, self.ndict) = struct.unpack_from("<6Q", st)

    def dict_entries(self):
        """Yield (term, df, post_off, post_len, pos_off, pos_len), offsets
        relative to the POSTINGS / POSITIONS sections."""
        d = self.pf.sec(9)
        idx = self.pf.sec(10)
        starts = [struct.unpack_from("<Q", idx, 8 * k)[0] for k in range(self.ndict)]
        for k, s in enumerate(starts):
            end = starts[k + 1] if k + 1 < len(starts) else len(d)
            n, i = varint(d, s)
            post, i = varint(d, i)
            pos, i = varint(d, i)
            term = b""
            for _ in range(n):
                prefix, i = varint(d, i)
                sfx, i = varint(d, i)
                term = term[:prefix] + d[i:i + sfx]
                i += sfx
                df, i = varint(d, i)
                pl, i = varint(d, i)
                ql, i = varint(d, i)
                yield term, df, post, pl, pos, ql
                post += pl
                pos += ql
            assert i == end

    def dict_top(self):
        """(stride, sampled terms) of DICTTOP, each checked against the
        first term of its dictionary block."""
        t = self.pf.sec(11)
        stride = struct.unpack_from("<I", t)[0]
        terms, i = [], 4
        while i < len(t):
            n = t[i]
            terms.append(t[i + 1:i + 1 + n])
            i += 1 + n
        d = self.pf.sec(9)
        idx = self.pf.sec(10)
        if stride == 0 or len(terms) != (self.ndict + stride - 1) // stride:
            raise Corrupt("DICTTOP: wrong number of terms")
        for g, term in enumerate(terms):
            start = struct.unpack_from("<Q", idx, 8 * g * stride)[0]
            i = start
            for _ in range(3):  # nterms, post_base, pos_base
                _, i = varint(d, i)
            prefix, i = varint(d, i)
            sfx, i = varint(d, i)
            if prefix != 0 or d[i:i + sfx] != term:
                raise Corrupt(f"DICTTOP: term {g} is not the first of block {g * stride}")
        return stride, terms

    def postings(self, df, post, plen, pos, qlen):
        """[(doc, tf, [positions])] of one term."""
        P = self.pf.sec(7)[post:post + plen]
        Q = self.pf.sec(8)[pos:pos + qlen]
        nblocks = (df + 127) // 128
        if nblocks > 1:
            skip = [struct.unpack_from("<5I", P, plen - 20 * nblocks + 20 * k) for k in range(nblocks)]
        else:
            skip = [(None, plen, qlen, None, None)]
        out = []
        prev_last, pstart, qstart = -1, 0, 0
        for k in range(nblocks):
            n = 128 if k + 1 < nblocks else df - 128 * (nblocks - 1)
            pend, qend = skip[k][1], skip[k][2]
            doc = prev_last
            docs, tfs = [], []
            if n == 128:
                gaps, i = pfor(P, pstart, n)
                tfm1, i = pfor(P, i, n)
                for g, t in zip(gaps, tfm1):
                    doc += g + 1
                    docs.append(doc)
                    tfs.append(t + 1)
            else:
                i = pstart
                for _ in range(n):
                    g, i = varint(P, i)
                    tf = 1
                    if not g & 1:
                        tf, i = varint(P, i)
                    doc += (g >> 1) + 1
                    docs.append(doc)
                    tfs.append(tf)
            assert i == pend, "postings block length"
            total = sum(tfs)
            gaps = []
            j = qstart
            if n == 128:
                while len(gaps) < total:
                    chunk, j = pfor(Q, j, min(128, total - len(gaps)))
                    gaps += chunk
            else:
                for _ in range(total):
                    g, j = varint(Q, j)
                    gaps.append(g)
            assert j == qend, "positions block length"
            at = 0
            for d_, tf in zip(docs, tfs):
                p, ps = -1, []
                for g in gaps[at:at + tf]:
                    p += g + 1
                    ps.append(p)
                at += tf
                out.append((d_, tf, ps))
            prev_last, pstart, qstart = docs[-1], pend, qend
        return out

    def doc(self, n):
        ids, off = self.pf.sec(4), self.pf.sec(3)
        a = struct.unpack_from("<Q", off, 8 * (n // 16))[0]
        for _ in range(n % 16):
            ln, a = varint(ids, a)
            a += ln
        ln, a = varint(ids, a)
        b = a + ln
        si = self.pf.sec(6)
        for k in range(self.nstore):
            o, cl, ul, first, cnt = struct.unpack_from("<QIIII", si, 24 * k)
            if first <= n < first + cnt:
                blk = zlib.decompress(self.pf.sec(5)[o:o + cl])
                i = 0
                for m in range(first, n + 1):
                    tl, i = varint(blk, i)
                    title = blk[i:i + tl]
                    i += tl
                    xl, i = varint(blk, i)
                    text = blk[i:i + xl]
                    i += xl
                return ids[a:b].decode(), title.decode(), text.decode()
        raise Corrupt("document not in store")


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    d = sys.argv[1]
    gen, stemmer, segs = read_manifest(d)
    if len(sys.argv) == 2:
        print(f"generation {gen}, stemmer {stemmer}")
        for name, docs, tokens in segs:
            s = Segment(f"{d}/{name}")
            print(f"segment {name}: {docs} docs, {tokens} tokens, {s.nterms} terms, {s.npostings} postings")
            for kind, (off, ln) in sorted(s.pf.sections.items(), key=lambda x: x[1][0]):
                print(f"  {SEC[kind]:10s} offset {off:10d} length {ln:10d}")
            stride, terms = s.dict_top()
            print(f"  dictionary: {s.ndict} blocks; DICTTOP samples every {stride}th: {len(terms)} terms")
        return 0
    for name, _, _ in segs:
        s = Segment(f"{d}/{name}")
        if sys.argv[2] == "--terms":
            for e in s.dict_entries():
                print(e[0].decode(), e[1])
        elif sys.argv[2] == "--doc":
            print(s.doc(int(sys.argv[3])))
        else:
            for term, df, post, pl, pos, ql in s.dict_entries():
                if term == sys.argv[2].encode():
                    print(f"{name}: term {term.decode()!r} df {df} postings +{post} ({pl} B) positions +{pos} ({ql} B)")
                    for doc, tf, ps in s.postings(df, post, pl, pos, ql):
                        print(f"  doc {doc} tf {tf} positions {ps}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
