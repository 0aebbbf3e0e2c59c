"""The answer of a check: the decision, the reasons a person can act on, and the duties."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiconsent.engine.policy import Outcome


@dataclass(frozen=True, slots=True)
class Reason:
    """Why part of a decision came out as it did: a stable code and the declaration behind it."""

    code: str
    message: str
    declaration: str | None = None
    source: str | None = None
    carrier: str | None = None
    purpose: str | None = None
    decisive: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "declaration": self.declaration,
            "source": self.source,
            "carrier": self.carrier,
            "purpose": self.purpose,
        }

    def sort_key(self) -> tuple[str, str, str, str]:
        return (self.purpose or "", self.code, self.declaration or "", self.message)


@dataclass(frozen=True, slots=True)
class Decision:
    """allowed, denied or unknown, with the deciding reasons, duties and the whole trace."""

    decision: Outcome
    purpose: str
    jurisdiction: str | None
    at: datetime
    policy: str
    reasons: tuple[Reason, ...]
    duties: tuple[str, ...] = ()
    leaves: dict[str, Outcome] = field(default_factory=dict, compare=False)
    explain: Callable[[], tuple[Reason, ...]] | None = field(
        default=None, compare=False, repr=False
    )

    @property
    def trace(self) -> tuple[Reason, ...]:
        """Every reason found, decisive or not (built on demand: most callers never ask)."""
        return self.explain() if self.explain is not None else self.reasons

    @property
    def declarations(self) -> tuple[str, ...]:
        """Ids of the declarations whose reasons decided the outcome."""
        seen: dict[str, None] = {}
        for reason in self.reasons:
            if reason.declaration:
                seen.setdefault(reason.declaration)
        return tuple(seen)

    def to_dict(self, *, explain: bool = False) -> dict[str, Any]:
        """The JSON shape of interfaces.md; with explain, every leaf and the whole trace."""
        result: dict[str, Any] = {
            "decision": self.decision,
            "purpose": self.purpose,
            "jurisdiction": self.jurisdiction,
            "at": self.at.isoformat().replace("+00:00", "Z"),
            "policy": self.policy,
            "reasons": [reason.to_dict() for reason in self.reasons],
            "duties": list(self.duties),
        }
        if explain:
            result["leaves"] = dict(self.leaves)
            result["trace"] = [
                {**reason.to_dict(), "decisive": reason.decisive} for reason in self.trace
            ]
        return result

    def model_dump(self) -> dict[str, Any]:
        return self.to_dict()
