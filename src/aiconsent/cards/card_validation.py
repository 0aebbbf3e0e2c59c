"""`aiconsent validate CARD`: the consent section of a Croissant or Hugging Face card goes
through the same layers as a standalone document, and every issue points into the card."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from aiconsent.cards.detect import card_kind
from aiconsent.cards.issues import NO_CONSENT, card_issue
from aiconsent.validation.issues import Issue

if TYPE_CHECKING:
    from aiconsent.validation.validate import Options


def validate_card(data: bytes, name: str, options: Options) -> list[Issue] | None:
    """Every issue of a card's consent section, with pointers into the card; None when the
    file is not a dataset card (the caller validates it as an aiconsent document)."""
    from aiconsent.validation.validate import validate_bytes

    kind = card_kind(data, name)
    if kind is None:
        return None
    from aiconsent.cards.reading import read_card  # only cards pay for the card readers

    reading = read_card(data, name, kind, max_bytes=options.max_bytes, max_depth=options.max_depth)
    issues = list(reading.issues)
    document = reading.document()
    if document is None:
        if not reading.present and not any(i.severity == "error" for i in issues):
            where = (
                "no `consent:` key in the front matter"
                if kind == "hf-card"
                else ("no sc:Dataset node typed aic:DatasetConsent")
            )
            issues.append(card_issue(NO_CONSENT, f"the card has no consent section ({where})"))
        return issues
    report = validate_bytes(json.dumps(document).encode("utf-8"), name, options)
    if "card" in options.layers and reading.consent is not None and report.errors == 0:
        from aiconsent.validation.card_consistency import check_consistency

        issues.extend(check_consistency(reading.consent, Path(name), reading.pointer))
    for issue in report.issues:
        issues.append(
            Issue(
                issue.code,
                issue.message + reading.where(issue.path),
                reading.pointer(issue.path),
                issue.severity,
                issue.layer,
            )
        )
    return issues
