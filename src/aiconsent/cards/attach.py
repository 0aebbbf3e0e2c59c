"""Writing a DatasetConsent into a card file: checked first, written atomically, and read back
before the file is replaced, so a card is never left half-edited or holding a broken section."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aiconsent.cards.croissant import CroissantError, consent_id, write_croissant
from aiconsent.cards.detect import CardKind
from aiconsent.cards.huggingface import HfCardError, write_hf_card
from aiconsent.formats.common import Loss


class CardAttachError(ValueError):
    """A consent section that cannot be written into this card."""


def _check(consent: dict[str, Any]) -> None:
    """Refuse a consent section the validator finds errors in (every layer)."""
    from aiconsent.validation.validate import validate_bytes
    from aiconsent.vocabulary.documents import CONTEXT_URL

    document = consent if "@context" in consent else {"@context": CONTEXT_URL, **consent}
    report = validate_bytes(json.dumps(document).encode("utf-8"), "<consent>")
    errors = [issue for issue in report.issues if issue.severity == "error"]
    if errors:
        first = errors[0]
        raise CardAttachError(
            f"the consent section is not valid: {first.path or '/'}: [{first.code}] "
            f"{first.message}; nothing was attached"
        )


def render_card(data: bytes, consent: dict[str, Any], kind: CardKind) -> tuple[bytes, list[Loss]]:
    """The card's new bytes with the consent section in place, and what the card cannot hold."""
    if consent.get("type") != "DatasetConsent":
        raise CardAttachError("only a DatasetConsent goes into a dataset card")
    _check(consent)
    losses: list[Loss] = []
    try:
        if kind == "croissant":
            written = write_croissant(data, consent)
            given = consent.get("id")
            kept = consent_id(str(consent["dataset"]))
            if given != kept:
                detail = f"the id {given} is not kept; a Croissant card gives the section {kept}"
                losses.append(Loss("lost", detail, str(given)))
            return written, losses
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise CardAttachError("the card is not UTF-8 text") from None
        return write_hf_card(text, consent).encode("utf-8"), losses
    except (CroissantError, HfCardError) as error:
        raise CardAttachError(str(error)) from None


def attach_to_card(
    consent: dict[str, Any], card: Path, kind: CardKind, out: Path | None = None
) -> tuple[Path, list[Loss]]:
    """Write the consent section into `card` (or into a copy at `out`); return where it went."""
    from aiconsent.carriers.safe_write import SafeWriteError, atomic_write

    written, losses = render_card(card.read_bytes(), consent, kind)
    try:
        return atomic_write(out if out is not None else card, written), losses
    except SafeWriteError as error:
        raise CardAttachError(str(error)) from None
