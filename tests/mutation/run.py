#!/usr/bin/env python3
"""Mutation stage: every mutant in mutants.ini must be killed by the tests.

Each mutant is applied to a copy of the tree that reuses the build's
objects, so only the mutated file is compiled again; then the unit tests
run until one fails (killed) or all pass (survived).  A mutant whose text
is not found exactly once inside its function, or that does not compile,
fails the stage: a stale list must be fixed, never skipped.

usage: run.py OUTPUT TEST... (OUTPUT: the build directory, e.g. .output/x86;
TEST: test binaries under it, e.g. tests/test_engine)
"""
import configparser
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TREE = ["Makefile", "mk", "src", "tests", "bpf", "scripts"]
TEST_TIMEOUT = 120


def function_body(text, func):
    """(start, end) of the body of the function defined at column 0."""
    head = re.compile(r"^[A-Za-z_][\w \t\*]*\b" + re.escape(func) + r"\(", re.M)
    starts = [m.start() for m in head.finditer(text)
              if not text[m.start():text.find("\n", m.start())].rstrip().endswith(";")]
    if len(starts) != 1:
        return None
    open_at = text.find("\n{\n", starts[0])
    close_at = text.find("\n}\n", open_at)
    if open_at < 0 or close_at < 0:
        return None
    return open_at, close_at


def apply(src, m):
    """the mutated text, or an error message"""
    body = function_body(src, m["function"])
    if not body:
        return None, "function %s() not found once in %s" % (m["function"], m["file"])
    a, b = body
    n = src.count(m["from"], a, b)
    if n != 1:
        return None, "'%s' found %d times in %s() (want once)" % (m["from"], n, m["function"])
    i = src.index(m["from"], a, b)
    return src[:i] + m["to"] + src[i + len(m["from"]):], None


def copy_tree(dst, out):
    for p in TREE:
        s = os.path.join(ROOT, p)
        if os.path.isdir(s):
            shutil.copytree(s, os.path.join(dst, p), symlinks=True)
        elif os.path.exists(s):
            shutil.copy2(s, os.path.join(dst, p))
    shutil.copytree(os.path.join(ROOT, out), os.path.join(dst, out), symlinks=True)


def obj_of(path, out):
    """src/engine/attrib.c -> OUTPUT/engine/attrib.o"""
    rel = os.path.relpath(path, "src")
    return os.path.join(out, os.path.splitext(rel)[0] + ".o")


def killed_by(work, out, tests):
    for t in tests:
        try:
            r = subprocess.run([os.path.join(work, out, t)], cwd=work,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env=dict(os.environ, TZ="UTC"), timeout=TEST_TIMEOUT)
        except subprocess.TimeoutExpired:
            return t + " (timeout)"
        if r.returncode != 0:
            return t
    return None


def main():
    if len(sys.argv) < 3:
        print(__doc__.strip().splitlines()[-3], file=sys.stderr)
        return 2
    out, tests = sys.argv[1], sys.argv[2:]
    cfg = configparser.RawConfigParser()
    cfg.optionxform = str
    cfg.read(os.path.join(HERE, "mutants.ini"))
    mutants = [dict(cfg[s], name=s) for s in cfg.sections()]
    errors, survivors, killed = [], [], 0
    with tempfile.TemporaryDirectory(prefix="smmutrace-mut.") as work:
        copy_tree(work, out)
        for m in mutants:
            path = os.path.join(work, m["file"])
            with open(path) as f:
                orig = f.read()
            st = os.stat(path)
            mutated, err = apply(orig, m)
            if err:
                errors.append("%s: %s" % (m["name"], err))
                continue
            obj = os.path.join(work, obj_of(m["file"], out))
            shutil.copy2(obj, obj + ".orig")
            with open(path, "w") as f:
                f.write(mutated)
            build = subprocess.run(["make", "--no-print-directory", "-s", "-j2", "WERROR=0"] +
                                   [os.path.join(out, t) for t in tests], cwd=work,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   universal_newlines=True)
            if build.returncode != 0:
                errors.append("%s: does not compile:\n%s" % (m["name"], build.stdout[-2000:]))
                by = "-"
            else:
                by = killed_by(work, out, tests)
            # back to the original: its source and object, as they were
            with open(path, "w") as f:
                f.write(orig)
            os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
            os.replace(obj + ".orig", obj)
            if build.returncode != 0:
                continue
            if by:
                killed += 1
                print("  killed    %-45s by %s" % (m["name"], os.path.basename(by)))
            else:
                survivors.append(m["name"])
                print("  SURVIVED  %s (%s: %s -> %s)" % (m["name"], m["file"], m["from"], m["to"]))
    for e in errors:
        print("  STALE     " + e)
    print("mutation: %d mutants, %d killed" % (len(mutants), killed))
    if survivors or errors:
        print("mutation: %d survived, %d could not be applied: fix the tests or mutants.ini"
              % (len(survivors), len(errors)))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
