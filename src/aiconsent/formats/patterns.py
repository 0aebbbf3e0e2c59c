"""robots.txt-style path patterns (RFC 9309 §2.2.2), shared by robots.txt, TDMRep and RSL.

`*` matches any run of characters, a final `$` anchors the end; otherwise a pattern matches a
path prefix. Paths are compared after normalising percent-encoding the RFC's way.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import quote, unquote, urlsplit


def normalise_path(path: str) -> str:
    """Percent-encode what must be, decode what need not be (RFC 9309 §2.2.2)."""
    return quote(unquote(path), safe="/?=&;:@!$'()*+,-._~%")


@lru_cache(maxsize=4096)
def _compile(pattern: str) -> re.Pattern[str]:
    anchored = pattern.endswith("$")
    body = normalise_path(pattern[:-1] if anchored else pattern)
    regex = ".*".join(re.escape(part) for part in body.split("*"))
    return re.compile(regex + ("$" if anchored else ""), re.DOTALL)


def matches(pattern: str, path: str) -> bool:
    """Whether a robots.txt-style pattern matches the path (and query) of a URL."""
    if pattern == "":
        return False
    return _compile(pattern).match(normalise_path(path)) is not None


def specificity(pattern: str) -> int:
    """How specific a matching pattern is: its length in octets, as RFC 9309 ranks rules."""
    return len(normalise_path(pattern).encode("utf-8"))


def path_of(url: str) -> str:
    """The path and query of a URL, as robots.txt rules see it ('/' when empty)."""
    parts = urlsplit(url)
    path = parts.path or "/"
    return f"{path}?{parts.query}" if parts.query else path
