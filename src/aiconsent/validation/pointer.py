"""JSON Pointer (RFC 6901) helpers."""

from __future__ import annotations

from collections.abc import Iterable


def escape(token: str) -> str:
    """Escape one reference token."""
    return token.replace("~", "~0").replace("/", "~1")


def unescape(token: str) -> str:
    """Undo escape()."""
    return token.replace("~1", "/").replace("~0", "~")


def child(pointer: str, token: str | int) -> str:
    """The pointer of a member or item under pointer."""
    return f"{pointer}/{escape(token) if isinstance(token, str) else token}"


def join(pointer: str, tokens: Iterable[str | int]) -> str:
    """The pointer reached by following tokens from pointer."""
    for token in tokens:
        pointer = child(pointer, token)
    return pointer


def split(pointer: str) -> list[str]:
    """The unescaped tokens of a pointer."""
    return [unescape(token) for token in pointer.split("/")[1:]] if pointer else []


def is_index(token: str) -> bool:
    """Whether a token is an array index: ASCII digits only (str.isdigit accepts '²')."""
    return token.isascii() and token.isdigit()
