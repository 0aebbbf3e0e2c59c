"""Which declarations are about an item (spec §4.3 and §6.2 rule 1).

An item is named by its URL or by the SHA-256 of its bytes. A declaration whose targets cannot
be matched either way (a collection whose members are not known here) still contributes its
prohibitions, never its permissions: not knowing is never a permission.
"""

from __future__ import annotations

import re
from typing import Any, Final
from urllib.parse import urlsplit, urlunsplit

from aiconsent.formats.patterns import matches, path_of

_HEX64: Final = re.compile(r"^[0-9a-f]{64}$")
_DEFAULT_PORTS: Final = {"http": 80, "https": 443}


def normalise_url(url: str) -> str:
    """RFC 3986 syntax-based normalisation: case of scheme and host, default port, empty path."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    netloc = host if port is None or _DEFAULT_PORTS.get(scheme) == port else f"{host}:{port}"
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


def _origin(url: str) -> str:
    parts = urlsplit(normalise_url(url))
    return f"{parts.scheme}://{parts.netloc}"


def target_matches(target: dict[str, str], item: str) -> bool | None:
    """True or False when the target can be compared with the item, None when it cannot."""
    if _HEX64.match(item):
        return target["sha256"] == item if "sha256" in target else None
    if "url" in target:
        return normalise_url(target["url"]) == normalise_url(item)
    if "urlPattern" in target:
        pattern = target["urlPattern"]
        if not pattern.startswith("/"):
            prefix = re.match(r"^https?://[^/]+", pattern)
            if prefix is None:
                return False
            if _origin(prefix.group(0)) != _origin(item):
                return False
            pattern = pattern[len(prefix.group(0)) :]
        return matches(pattern, path_of(item))
    if "sha256" in target:
        return None  # the item's bytes are not known here
    return None  # a collection: membership is not known here


def about(declaration: dict[str, Any], item: str) -> dict[str, Any] | None:
    """The declaration as it applies to the item: whole, prohibitions only, or None."""
    outcomes = [target_matches(target, item) for target in declaration.get("target", [])]
    if any(outcome is True for outcome in outcomes):
        return declaration
    if any(outcome is None for outcome in outcomes) and declaration.get("prohibition"):
        return {key: value for key, value in declaration.items() if key != "permission"}
    return None
