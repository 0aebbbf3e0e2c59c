"""Which kind of dataset card a file is, told from its bytes (and, for Markdown, its name)."""

from __future__ import annotations

import json
import re
from typing import Final, Literal

CardKind = Literal["croissant", "hf-card"]
CARD_KINDS: Final[tuple[CardKind, ...]] = ("croissant", "hf-card")
# cheap test before parsing: an aiconsent declaration file never mentions any of these
_CROISSANT_HINT: Final = re.compile(
    rb'mlcommons\.org/croissant|schema\.org/Dataset\b|"(?:sc|schema):Dataset"|"Dataset"'
)


def card_kind(data: bytes, name: str = "") -> CardKind | None:
    """`croissant` for JSON-LD with an sc:Dataset node (or conformsTo Croissant), `hf-card` for
    Markdown with YAML front matter (or any .md file), None for anything else."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"---"):
        return "hf-card"
    if head[:1] == b"{" and b"@context" in data and _CROISSANT_HINT.search(data):
        from aiconsent.cards.croissant import is_croissant

        try:
            value = json.loads(data.decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            return None
        return "croissant" if is_croissant(value) else None
    if name.lower().endswith((".md", ".markdown")):
        return "hf-card"
    return None
