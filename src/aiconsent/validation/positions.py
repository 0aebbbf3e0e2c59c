"""Where each JSON Pointer of a document stands in its file, for SARIF regions.

Only computed when asked for (SARIF output): parsing with the C decoder is much faster, and it
does not keep positions.
"""

from __future__ import annotations

import re
from typing import Final

from aiconsent.validation.pointer import escape

_STRING: Final = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_SCALAR: Final = re.compile(r"[^\s,\]\}]+")


class PositionIndex:
    """Maps pointers to 1-based (line, column) in one text."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._line_starts = [0]
        self._line_starts.extend(match.end() for match in re.finditer("\n", text))
        self._positions: dict[str, int] = {}

    def add_document(self, offset: int, prefix: str) -> None:
        """Record the positions of every value of the document starting at offset."""
        _scan(self._text, offset, prefix, self._positions)

    def locate(self, pointer: str) -> tuple[int, int]:
        """The line and column of pointer, or of its nearest recorded ancestor."""
        while True:
            offset = self._positions.get(pointer)
            if offset is not None:
                return self._line_column(offset)
            if not pointer:
                return (1, 1)
            pointer = pointer.rsplit("/", 1)[0]

    def _line_column(self, offset: int) -> tuple[int, int]:
        low, high = 0, len(self._line_starts) - 1
        while low < high:
            middle = (low + high + 1) // 2
            if self._line_starts[middle] <= offset:
                low = middle
            else:
                high = middle - 1
        return (low + 1, offset - self._line_starts[low] + 1)


def _skip(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position


def _scan(text: str, position: int, prefix: str, positions: dict[str, int]) -> None:
    """Walk one JSON value and record the offset where each value starts."""
    import json

    position = _skip(text, position)
    positions.setdefault(prefix, position)
    # stack of (kind, pointer, next index) for open containers
    stack: list[list[object]] = []
    pending = prefix
    while position < len(text):
        position = _skip(text, position)
        if position >= len(text):
            return
        char = text[position]
        if char in "{[":
            positions.setdefault(pending, position)
            stack.append(["object" if char == "{" else "array", pending, 0])
            position += 1
            if char == "[":
                position = _skip(text, position)
                if position < len(text) and text[position] != "]":
                    pending = f"{pending}/0"
            continue
        if char in "}]":
            stack.pop()
            position += 1
            if not stack:
                return
            continue
        if char == ",":
            position += 1
            top = stack[-1]
            if top[0] == "array":
                top[2] = int(top[2]) + 1  # type: ignore[call-overload]
                pending = f"{top[1]}/{top[2]}"
            continue
        if char == '"':
            match = _STRING.match(text, position)
            if match is None:
                return
            end = match.end()
            after = _skip(text, end)
            if stack and stack[-1][0] == "object" and after < len(text) and text[after] == ":":
                key = json.loads(match.group())
                pending = f"{stack[-1][1]}/{escape(key)}"
                position = after + 1
                continue
            positions.setdefault(pending, position)
            position = end
            if not stack:
                return
            continue
        match = _SCALAR.match(text, position)
        if match is None:
            return
        positions.setdefault(pending, position)
        position = match.end()
        if not stack:
            return
