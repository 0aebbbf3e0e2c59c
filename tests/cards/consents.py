"""DatasetConsent documents for the card tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data"
CROISSANT_CARDS = sorted((DATA / "croissant").glob("*.json"))
HF_CARDS = sorted((DATA / "hf-cards").glob("*.md"))


def consent_for(dataset: str, **changes: Any) -> dict[str, Any]:
    """A full DatasetConsent (every optional part present) about `dataset`."""
    consent: dict[str, Any] = {
        "@context": "https://w3id.org/aiconsent/v1",
        "id": dataset.split("#", 1)[0] + "#consent",
        "type": "DatasetConsent",
        "dataset": dataset,
        "purposeAssessed": ["genai-training", "search"],
        "policy": "opt-in",
        "signalsChecked": {
            "carrier": ["c2pa", "xmp", "http-header", "robots-txt", "tdmrep"],
            "checkedAt": "2026-10-01T00:00:00Z",
        },
        "sources": [
            {
                "name": "Photo site upload programme: yes",
                "url": "https://photos.example.net/",
                "collectionMethod": "opt-in checkbox on the upload form",
                "collectedFrom": "2025-01-01T00:00:00Z",
                "collectedUntil": "2026-09-30T23:59:59Z",
                "basis": "explicit-consent",
                "jurisdiction": ["NO", "EEA"],
            }
        ],
        "manifest": {
            "url": "consent/items.parquet",
            "sha256": "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03",
            "format": "parquet",
        },
        "itemCount": 120000,
        "decisionCounts": {"allowed": 118200, "denied": 1800, "unknown": 0},
        "withdrawal": {
            "url": "https://data.example.org/withdraw",
            "honoredWithin": "P30D",
            "lastAppliedAt": "2026-10-01T00:00:00Z",
        },
    }
    consent.update(changes)
    return consent
