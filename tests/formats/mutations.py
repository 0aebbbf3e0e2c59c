"""A deterministic mutation corpus for hostile-input tests of every format reader.

From a few seed documents it makes at least `count` variants: truncations, byte flips,
deletions, insertions of hostile bytes (NUL, invalid UTF-8, control characters), duplicated
fragments, and a handful of extreme cases (a 10 MB line, deep nesting, XML entity bombs).
"""

from __future__ import annotations

import random
from collections.abc import Iterator

HOSTILE = [
    b"\x00",
    b"\xff\xfe",
    b"\xc3\x28",
    b"\xed\xa0\x80",
    b"\r",
    b"\n\n\n",
    b"\t",
    b"\x1b[31m",
    b"\xef\xbb\xbf",
    b'"',
    b"'",
    b"<",
    b">",
    b"&",
    b"{",
    b"}",
    b"[",
    b"]",
    b"=",
    b";",
    b",",
    b":",
    b"*",
    b"$",
    b"%",
    b"\\",
    "\u2028".encode(),
]

XML_BOMB = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    b'<rsl><content url="/">&lol3;</content></rsl>'
)
XML_EXTERNAL = (
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    b'<rsl><content url="/">&xxe;</content></rsl>'
)


def extremes() -> list[bytes]:
    """A few inputs every reader must survive, whatever its format."""
    return [
        b"",
        b"\x00" * 1024,
        bytes(range(256)) * 4,
        b"a" * (10 * 1024 * 1024),
        b"[" * 10_000 + b"]" * 10_000,
        b"{" * 10_000,
        b"<a>" * 10_000,
        XML_BOMB,
        XML_EXTERNAL,
        "é".encode("latin-1") * 100,
        "\ufeff".encode() + b"x" * 10,
    ]


def mutants(seeds: list[bytes], count: int = 2000, seed: int = 20261124) -> Iterator[bytes]:
    """At least count mutated variants of the seeds, the same every run."""
    rng = random.Random(seed)
    yield from extremes()
    produced = 0
    while produced < count:
        base = bytearray(rng.choice(seeds))
        operation = rng.randrange(7)
        if not base:
            base = bytearray(b"x")
        position = rng.randrange(len(base) + 1)
        if operation == 0:  # truncate
            base = base[:position]
        elif operation == 1 and position < len(base):  # flip a byte
            base[position] = rng.randrange(256)
        elif operation == 2 and position < len(base):  # delete a run
            del base[position : position + rng.randint(1, 16)]
        elif operation == 3:  # insert hostile bytes
            base[position:position] = rng.choice(HOSTILE) * rng.randint(1, 4)
        elif operation == 4:  # duplicate a fragment
            end = min(len(base), position + rng.randint(1, 64))
            base[position:position] = base[position:end] * rng.randint(2, 50)
        elif operation == 5:  # swap case of a run (labels are case-sensitive in some formats)
            end = min(len(base), position + rng.randint(1, 12))
            base[position:end] = bytes(base[position:end]).swapcase()
        else:  # splice two seeds
            other = rng.choice(seeds)
            base = base[:position] + bytearray(other[rng.randrange(len(other) + 1) :])
        produced += 1
        yield bytes(base)
