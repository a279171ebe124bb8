#!/usr/bin/env python3
"""Forged captures for the output tests: real captures whose records keep
their type and length but carry hostile values everywhere else (all-ones
and top-bit words, random bytes, names with escape sequences and bytes that
are not UTF-8), and whose header strings hold terminal escapes.

Usage: forge.py SEED N OUTDIR CAPTURE...   writes OUTDIR/forged-K.cap
       forge.py --endian OUT                a header naming a hostile endianness
Deterministic for a seed.
"""
import gzip
import json
import random
import struct
import sys

MAGIC = b"SMMUTRC\0"
HDR = 96            # struct smmu_ev_hdr: type, flags, size, mono, wall, cpu, seq, smmu[64]
NAMES = [b"\x1b[31mred\x1b[0m", b"s\xff", b"s\\xff", b"\xc0\xaf", b"q\"\n\\"]
ESC = "\x1b]0;owned\x07\x1b[2J"


def records(path):
    b = gzip.open(path).read()
    assert b[:8] == MAGIC
    _, hlen = struct.unpack_from("<II", b, 8)
    off = 16 + hlen
    while off + 4 <= len(b):
        (n,) = struct.unpack_from("<I", b, off)
        yield bytearray(b[off + 4:off + 4 + n])
        off += 4 + n


def word(rnd):
    return rnd.choice([b"\xff" * 8, b"\x00" * 7 + b"\x80", b"\x00" * 8,
                       bytes(rnd.randrange(256) for _ in range(8))])


def forge(rnd, rec):
    body = bytearray()
    while len(body) < len(rec) - HDR:
        body += word(rnd) if rnd.random() < 0.7 else bytes([rnd.randrange(256)])
    out = bytearray(rec[:8]) + bytearray(word(rnd) + word(rnd)) + word(rnd)
    out[2] = rnd.randrange(16)          # flags: MONO, WALL, BPF, PLATFORM
    name = rnd.choice(NAMES)
    out += name + bytes(64 - len(name))
    out += body[:len(rec) - HDR]
    return bytes(out)


def header(**kv):
    h = {"tool": "smmutrace " + ESC, "host": ESC + "\xff", "kernel": ESC,
         "arch": "aarch64", "source": "live" + ESC, "created_wall_ns": 2 ** 62,
         "endian": "little", "smmus": [{"name": ESC, "max_n_shift": 99}],
         "sids": [{"smmu": ESC, "sid": 1, "device": ESC}]}
    h.update(kv)
    return json.dumps(h).encode()


def write(path, hdr, recs):
    data = MAGIC + struct.pack("<II", 1, len(hdr)) + hdr
    for r in recs:
        data += struct.pack("<I", len(r)) + r
    with open(path, "wb") as f:
        f.write(gzip.compress(data))


def main():
    if sys.argv[1] == "--endian":
        write(sys.argv[2], header(endian="big" + ESC), [])
        return
    rnd = random.Random(int(sys.argv[1]))
    n, out = int(sys.argv[2]), sys.argv[3]
    recs = [r for p in sys.argv[4:] for r in records(p)]
    for k in range(n):
        write("%s/forged-%d.cap" % (out, k), header(), [forge(rnd, r) for r in recs])


if __name__ == "__main__":
    main()
