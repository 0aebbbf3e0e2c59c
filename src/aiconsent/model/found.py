"""What readers hand to the engine: declarations with where they were found, and signals
that were found but could not be used."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Found:
    """A declaration (compact form, schema-valid) and the source and carrier it was read from."""

    declaration: dict[str, Any]
    source: str | None = None
    carrier: str = "jsonld"

    def to_dict(self) -> dict[str, Any]:
        """The declaration as `aiconsent read` prints it: with its carrier."""
        return {**self.declaration, "carrier": self.carrier}


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A signal about the item that was found but could not be used (spec §6.2 rule 4)."""

    source: str | None
    message: str
    carrier: str | None = None
    purposes: frozenset[str] | None = None  # leaves it concerns; None = every purpose

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "carrier": self.carrier, "message": self.message}


@dataclass(slots=True)
class ReadResult:
    """Everything read from some sources."""

    found: list[Found] = field(default_factory=list)
    unreadable: list[Unreadable] = field(default_factory=list)
    other: list[dict[str, Any]] = field(default_factory=list)  # e.g. DatasetConsent nodes

    def extend(self, other: ReadResult) -> None:
        self.found.extend(other.found)
        self.unreadable.extend(other.unreadable)
        self.other.extend(other.other)
