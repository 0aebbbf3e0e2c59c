"""robots.txt-style path patterns (RFC 9309 §2.2.2), shared by robots.txt, TDMRep and RSL.

`*` matches any run of characters, a final `$` anchors the end; otherwise a pattern matches a
path prefix. Paths are compared after normalising percent-encoding the RFC's way.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import quote, unquote, urlsplit


def normalise_path(path: str) -> str:
    """Percent-encode what must be, decode what need not be (RFC 9309 §2.2.2)."""
    return quote(unquote(path), safe="/?=&;:@!$'()*+,-._~%")


@lru_cache(maxsize=4096)
def _pieces(pattern: str) -> tuple[tuple[str, ...], bool]:
    anchored = pattern.endswith("$")
    body = normalise_path(pattern[:-1] if anchored else pattern)
    return tuple(body.split("*")), anchored


def matches(pattern: str, path: str) -> bool:
    """Whether a robots.txt-style pattern matches the path (and query) of a URL.

    Linear time: the first piece is a prefix, each later piece is found left to right (the
    earliest place is always the best choice), and an anchored last piece must end the path.
    A regular expression with `.*` between pieces backtracks without bound on hostile patterns.
    """
    if pattern == "":
        return False
    pieces, anchored = _pieces(pattern)
    return match_pieces(pieces, anchored, normalise_path(path))


def match_pieces(pieces: tuple[str, ...], anchored: bool, text: str) -> bool:
    """The linear-time core of matches(), for callers that split patterns themselves."""
    first = pieces[0]
    if not text.startswith(first):
        return False
    if len(pieces) == 1:
        return not anchored or text == first
    position = len(first)
    for piece in pieces[1:-1]:
        found = text.find(piece, position)
        if found < 0:
            return False
        position = found + len(piece)
    last = pieces[-1]
    if anchored:
        return len(text) - len(last) >= position and text.endswith(last)
    return text.find(last, position) >= 0


def specificity(pattern: str) -> int:
    """How specific a matching pattern is: its length in octets, as RFC 9309 ranks rules."""
    return len(normalise_path(pattern).encode("utf-8"))


def path_of(url: str) -> str:
    """The path and query of a URL, as robots.txt rules see it ('/' when empty)."""
    parts = urlsplit(url)
    path = parts.path or "/"
    return f"{path}?{parts.query}" if parts.query else path
