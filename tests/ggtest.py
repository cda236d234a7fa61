"""ggtest.py -- shared helpers of gg's Python test drivers.

Binaries come from the environment (set by tests/CMakeLists.txt):
  GG_INDEX_BIN, GG_SEARCH_BIN   the two command-line tools
  GG_CORPUS                     the bundled corpus folder
  GG_TEST_TMP                   where scratch folders go
Every run of a tool goes through run(), which fails the test on a crash
(signal or sanitizer report) and on a hang (timeout).
"""
import os
import random
import shutil
import subprocess
import sys
import tempfile

GG_INDEX = os.environ.get("GG_INDEX_BIN", "gg-index")
GG_SEARCH = os.environ.get("GG_SEARCH_BIN", "gg-search")
CORPUS = os.environ.get("GG_CORPUS", "corpus")

_failures = 0
_checks = 0
_printed = 0


def check(cond, msg):
    """Count a check; print msg when it fails.  Returns cond."""
    global _failures, _checks, _printed
    _checks += 1
    if not cond:
        _failures += 1
        if _printed < 80:
            print("FAILED: " + msg, file=sys.stderr)
            _printed += 1
    return cond


def failures():
    return _failures


def finish(name):
    print(f"{name}: {_checks - _failures} checks passed, {_failures} failed", file=sys.stderr)
    sys.exit(1 if _failures else 0)


SANITIZER_MARKS = (b"AddressSanitizer", b"LeakSanitizer", b"runtime error:", b"UndefinedBehaviorSanitizer")


class Result:
    def __init__(self, args, rc, out, err):
        self.args, self.rc, self.out, self.err = args, rc, out, err

    @property
    def text(self):
        return self.out.decode("utf-8", "replace")

    @property
    def errtext(self):
        return self.err.decode("utf-8", "replace")

    def errlines(self):
        return [l for l in self.errtext.split("\n") if l != ""]

    def __repr__(self):
        return f"{' '.join(map(str, self.args))} -> rc {self.rc}, stderr {self.errtext[:400]!r}"


def base_env():
    env = dict(os.environ)
    env.pop("GG_INDEX", None)
    env["NO_COLOR"] = "1"
    return env


def run(args, stdin=None, env=None, cwd=None, timeout=60, expect_crash_free=True, preexec_fn=None):
    """Run a command; returns a Result (rc is -N when killed by signal N)."""
    args = [str(a) for a in args]
    try:
        p = subprocess.run(args, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           env=env if env is not None else base_env(), cwd=cwd, timeout=timeout,
                           preexec_fn=preexec_fn)
        r = Result(args, p.returncode, p.stdout, p.stderr)
    except subprocess.TimeoutExpired as e:
        check(False, f"hang: {' '.join(args)} did not finish in {timeout} s")
        return Result(args, 999, e.stdout or b"", e.stderr or b"")
    if expect_crash_free:
        check(r.rc in (0, 1, 2), f"crash or unexpected status: {r!r}")
        check(not any(m in r.err for m in SANITIZER_MARKS), f"sanitizer report: {r!r}")
    return r


def gg_index(*args, **kw):
    return run([GG_INDEX] + list(args), **kw)


def gg_search(*args, **kw):
    return run([GG_SEARCH] + list(args), **kw)


def one_line_error(r, *needles, what=""):
    """The documented error shape: exit 2, exactly one line on stderr that
    contains every needle (case-insensitive)."""
    lines = r.errlines()
    ok = check(r.rc == 2, f"{what}: exit status {r.rc}, want 2 ({r!r})")
    ok &= check(len(lines) == 1, f"{what}: {len(lines)} lines on stderr, want exactly 1: {r.errtext[:600]!r}")
    first = lines[0].lower() if lines else ""
    for n in needles:
        ok &= check(n.lower() in first, f"{what}: error line {first!r} does not mention {n!r}")
    return ok


class Scratch:
    """A scratch folder under $GG_TEST_TMP, removed unless the test failed."""

    def __init__(self, tag):
        base = os.environ.get("GG_TEST_TMP") or tempfile.gettempdir()
        os.makedirs(base, exist_ok=True)
        self.path = tempfile.mkdtemp(prefix=tag + "-", dir=base)

    def __call__(self, *parts):
        return os.path.join(self.path, *parts)

    def done(self):
        if _failures == 0 and not os.environ.get("GG_TEST_KEEP"):
            shutil.rmtree(self.path, ignore_errors=True)
        else:
            print(f"scratch folder kept: {self.path}", file=sys.stderr)


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    mode = "wb" if isinstance(data, (bytes, bytearray)) else "w"
    with open(path, mode) as f:
        f.write(data)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def parse_trec(text):
    """[(qid, id, rank, score)] from trec lines; asserts the 6-column shape."""
    rows = []
    for line in text.splitlines():
        cols = line.split(" ")
        if not check(len(cols) == 6 and cols[1] == "Q0" and cols[5] == "gg", f"bad trec line {line!r}"):
            continue
        rows.append((cols[0], cols[2], int(cols[3]), float(cols[4])))
    return rows


def parse_tsv(text, timing=False):
    """(header, [row dicts]) of gg-search --format tsv output."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines:
        return None, []
    header = lines[0].split("\t")
    rows = []
    for l in lines[1:]:
        cols = l.split("\t")
        if check(len(cols) == len(header), f"tsv row has {len(cols)} cells, header {len(header)}: {l!r}"):
            rows.append(dict(zip(header, cols)))
    return header, rows


def ids_of(text):
    """Document ids, in rank order, of trec output."""
    return [r[1] for r in parse_trec(text)]


def make_words(seed, n):
    """n distinct pronounceable lowercase ASCII words, deterministic."""
    rng = random.Random(seed)
    cons, vows = "bcdfghjklmnprstvwz", "aeiou"
    words, seen = [], set()
    while len(words) < n:
        w = "".join(rng.choice(cons) + rng.choice(vows) for _ in range(rng.randint(2, 4)))
        if w not in seen:
            seen.add(w)
            words.append(w)
    return words
