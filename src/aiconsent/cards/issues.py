"""Provisional issue codes of the card layer (AIC6xx) found while reading a dataset card.

These are proposals: the lead moves them into validation/codes.py (the authoritative table).
Until then the issues are built here directly with layer `card`, since `Issue.make` looks codes
up in that table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from aiconsent.validation.codes import Severity
from aiconsent.validation.issues import Issue


@dataclass(frozen=True, slots=True)
class CardCode:
    """One provisional card-layer code: its default severity and title."""

    code: str
    severity: Severity
    title: str


NO_CONSENT: Final = CardCode("AIC601", "warning", "dataset card has no consent section")
UNREADABLE_CARD: Final = CardCode(
    "AIC602", "error", "dataset card cannot be read (front matter or JSON-LD)"
)
YAML_FEATURE: Final = CardCode(
    "AIC603", "error", "YAML feature not allowed in a consent block (tag, merge key, alias, key)"
)
NO_OFFER: Final = CardCode(
    "AIC604", "warning", "Croissant consent section without an ODRL offer in usageInfo"
)
OFFER_DISAGREES: Final = CardCode(
    "AIC605", "warning", "ODRL offer in usageInfo disagrees with aic:purposeAssessed"
)
MISPLACED_CONSENT: Final = CardCode(
    "AIC606", "error", "consent properties not on exactly one aic:DatasetConsent Dataset node"
)

CARD_CODES: Final[tuple[CardCode, ...]] = (
    NO_CONSENT,
    UNREADABLE_CARD,
    YAML_FEATURE,
    NO_OFFER,
    OFFER_DISAGREES,
    MISPLACED_CONSENT,
)


def card_issue(code: CardCode, message: str, path: str = "") -> Issue:
    """An issue of the card layer, at a JSON Pointer into the card."""
    return Issue(code.code, message, path, code.severity, "card")
