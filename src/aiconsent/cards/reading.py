"""One entry point for every kind of card: the consent section, the issues met reading it, and
how a pointer into the compact section maps back into the card (for validators and the lead's
manifest-consistency checks)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiconsent.cards.croissant import CroissantConsent, extract_croissant
from aiconsent.cards.detect import CardKind, card_kind
from aiconsent.cards.huggingface import POINTER_BASE, HfConsent, extract_hf_card
from aiconsent.model.found import ReadResult, Unreadable
from aiconsent.validation.issues import Issue
from aiconsent.validation.syntax import DEFAULT_MAX_BYTES, DEFAULT_MAX_DEPTH
from aiconsent.vocabulary.documents import CONTEXT_URL

CARRIER = "dataset-card"


class CardError(ValueError):
    """A file that is not a dataset card, or cannot be opened."""


@dataclass(slots=True)
class CardReading:
    """The consent section of one card and where its parts lie in the card."""

    kind: CardKind
    consent: dict[str, Any] | None = None
    issues: list[Issue] = field(default_factory=list)
    present: bool = False
    croissant: CroissantConsent | None = None
    hf: HfConsent | None = None

    @property
    def pointer_base(self) -> str:
        """The pointer of the consent section in the card (the Dataset node, or /consent)."""
        if self.croissant is not None:
            return self.croissant.node_pointer
        return POINTER_BASE

    def pointer(self, compact_pointer: str) -> str:
        """Where a pointer into the compact consent section lies in the card."""
        if self.croissant is not None:
            return self.croissant.pointer(compact_pointer)
        return POINTER_BASE + compact_pointer

    def where(self, compact_pointer: str) -> str:
        """A note for messages: the card line of a pointer (Hugging Face cards), or nothing."""
        line = self.hf.line_of(compact_pointer) if self.hf is not None else None
        return f" (line {line})" if line is not None else ""

    def document(self) -> dict[str, Any] | None:
        """The consent section as a standalone document (with the v1 @context)."""
        if self.consent is None:
            return None
        if "@context" in self.consent:
            return self.consent
        return {"@context": CONTEXT_URL, **self.consent}


def read_card(
    data: bytes,
    name: str = "<card>",
    kind: CardKind | None = None,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> CardReading:
    """Read the consent section of a card (kind told from the bytes when not given)."""
    found_kind = kind or card_kind(data, name)
    if found_kind is None:
        raise CardError(f"{name}: neither a Croissant card nor a Hugging Face README.md")
    if found_kind == "croissant":
        croissant = extract_croissant(data, name, max_bytes=max_bytes, max_depth=max_depth)
        return CardReading(
            "croissant",
            croissant.consent,
            croissant.issues,
            bool(croissant.node),
            croissant=croissant,
        )
    reading = CardReading("hf-card")
    if len(data) > max_bytes:
        message = f"the file has {len(data)} bytes; the limit is {max_bytes} bytes"
        reading.issues.append(Issue.make("AIC101", message))
        return reading
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        message = f"byte 0x{data[error.start]:02x} at offset {error.start} is not valid UTF-8"
        reading.issues.append(Issue.make("AIC102", message))
        return reading
    hf = extract_hf_card(text, max_bytes=max_bytes)
    reading.consent, reading.issues, reading.present, reading.hf = (
        hf.consent,
        hf.issues,
        hf.present,
        hf,
    )
    return reading


def card_consent(path: str | os.PathLike[str]) -> tuple[dict[str, Any] | None, CardKind, str]:
    """(consent section or None, card kind, pointer of the section in the card) for a card file.

    For Croissant the section's keys are prefixed in the card (`/aic:itemCount`); use
    `read_card(...).pointer("/itemCount")` for exact pointers. Raises CardError when the file
    cannot be read or is not a card.
    """
    name = os.fspath(path)
    try:
        data = Path(name).read_bytes()
    except OSError as error:
        raise CardError(f"{name}: cannot be read ({error.strerror or error})") from None
    reading = read_card(data, name)
    return reading.document(), reading.kind, reading.pointer_base


def read_card_result(data: bytes, name: str) -> ReadResult:
    """What `aiconsent read` reports for a card: its consent section among the notes, or an
    unreadable marker when the section is broken (never a permission)."""
    from aiconsent.validation.validate import Options, validate_bytes

    result = ReadResult()
    reading = read_card(data, name)
    for issue in reading.issues:
        if issue.severity == "error":
            where = issue.path or "/"
            result.unreadable.append(
                Unreadable(name, f"{where}: [{issue.code}] {issue.message}", CARRIER)
            )
    document = reading.document()
    if document is None or result.unreadable:
        return result
    layers: Any = ("syntax", "schema", "jsonld")
    report = validate_bytes(json.dumps(document).encode("utf-8"), name, Options(layers=layers))
    errors = [issue for issue in report.issues if issue.severity == "error"]
    for issue in errors:
        where = reading.pointer(issue.path) or "/"
        message = f"{where}: [{issue.code}] {issue.message}{reading.where(issue.path)}"
        result.unreadable.append(Unreadable(name, message, CARRIER))
    if not errors:
        result.other.append(document)
    return result
