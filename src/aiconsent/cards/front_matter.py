"""The YAML front matter of a Markdown card: the text between a first `---` line and the next.

Located by character offsets, so a writer can splice the front matter and leave every other
character of the file (the Markdown body, line endings) exactly as it was.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

_OPENING: Final = re.compile(r"\A(?:[ \t]*\r?\n)*---[ \t]*(\r?\n)")
_CLOSING: Final = re.compile(r"^---[ \t]*(?:\r?\n|\Z)", re.MULTILINE)


class FrontMatterError(ValueError):
    """A card whose front matter starts but never ends."""


@dataclass(frozen=True, slots=True)
class FrontMatter:
    """Where the YAML of a card lies: text[start:end], beginning on line `first_line` (0-based)."""

    start: int
    end: int
    first_line: int
    newline: str

    def yaml(self, text: str) -> str:
        """The YAML text itself."""
        return text[self.start : self.end]


def find_front_matter(text: str) -> FrontMatter | None:
    """The front matter of a card, or None when the file has none (it does not start with ---).

    Raises FrontMatterError when the opening `---` line has no closing `---` line.
    """
    body = text[1:] if text.startswith("\ufeff") else text
    skipped = len(text) - len(body)
    opening = _OPENING.match(body)
    if opening is None:
        return None
    start = skipped + opening.end()
    closing = _CLOSING.search(text, start)
    if closing is None:
        line = text.count("\n", 0, start)
        raise FrontMatterError(f"the front matter opened on line {line} is never closed by ---")
    return FrontMatter(start, closing.start(), text.count("\n", 0, start), opening.group(1))
