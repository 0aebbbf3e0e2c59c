"""The audit question: which purposes, where, when and under which policy every item is judged.

One value carries the question to every engine, so the Python reference and the compiled SQL
cannot be asked different things. It is validated once, here, against the vocabulary: that is
what lets the SQL compiler inline its values as constants without any risk of injection.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from aiconsent.engine.places import canonical, is_group
from aiconsent.engine.policy import Policy, resolve
from aiconsent.manifests.layout import BASES, CARRIERS, PURPOSES, ROLES
from aiconsent.vocabulary.purposes import purpose_tree

ENGINES: Final = ("duckdb", "spark", "python")
DEFAULT_ENGINE: Final = "duckdb"


class AuditError(ValueError):
    """A question or manifest an engine cannot audit (the message names what is wrong)."""


@dataclass(frozen=True, slots=True)
class AuditQuestion:
    """What an audit asks of every item (spec §10.5): purposes, J, T and the policy.

    No agent and no use type: an audit judges the dataset for any user, so agent-scoped and
    constraint-scoped permissions never count (fail closed).
    """

    purposes: tuple[str, ...]
    jurisdiction: str | None
    at: datetime
    policy: Policy

    def __post_init__(self) -> None:
        if not self.purposes:
            raise AuditError("an audit needs at least one purpose")
        tree = purpose_tree()
        for purpose in self.purposes:
            if purpose not in tree.depth:
                known = ", ".join(tree.depth)
                raise AuditError(f"unknown purpose {purpose!r}; expected one of {known}")
        if self.at.tzinfo is None:
            raise AuditError("the time of an audit needs a time zone, e.g. 2026-01-01T00:00:00Z")
        if self.jurisdiction is not None:
            code = self.jurisdiction
            if is_group(code):
                raise AuditError(f"{code} is a group; audit for one place, e.g. DE or FR")
            if code != canonical(code) or len(code) != 2 or not code.isascii():
                raise AuditError(
                    f"{code!r} is not an upper-case ISO 3166-1 alpha-2 code (use question_of)"
                )
            if not code.isalpha():
                raise AuditError(f"{code!r} is not an ISO 3166-1 alpha-2 code")
        _check_policy(self.policy)

    @property
    def leaves(self) -> tuple[str, ...]:
        """Every leaf any asked purpose covers, in the tree's stable order."""
        tree = purpose_tree()
        found = {leaf for purpose in self.purposes for leaf in tree.leaves[purpose]}
        return tuple(sorted(found, key=lambda leaf: (tree.depth[leaf], leaf)))

    @property
    def instant(self) -> datetime:
        """T as a UTC instant (engines compare instants)."""
        return self.at.astimezone(UTC)


def question_of(
    purposes: str | tuple[str, ...] | list[str],
    *,
    jurisdiction: str | None = None,
    at: datetime | None = None,
    policy: str | Path | Policy = "opt-in",
) -> AuditQuestion:
    """Build a question from user input: aliases (UK, EL) resolved, a policy file loaded."""
    chosen = (purposes,) if isinstance(purposes, str) else tuple(purposes)
    place = canonical(jurisdiction) if jurisdiction is not None else None
    if jurisdiction is not None and is_group(jurisdiction):
        raise AuditError(f"{jurisdiction} is a group; audit for one place, e.g. DE or FR")
    moment = at if at is not None else datetime.now(UTC).replace(microsecond=0)
    return AuditQuestion(tuple(dict.fromkeys(chosen)), place, moment, resolve(policy))


def _check_policy(policy: Policy) -> None:
    """Every value a policy names must be a vocabulary term (the SQL inlines them)."""
    problems: list[str] = []
    if policy.unknown_becomes not in ("allowed", "denied", "unknown"):
        problems.append(f"unknownBecomes {policy.unknown_becomes!r}")
    for rule in policy.accept or ():
        problems += [f"purpose {leaf!r}" for leaf in sorted(rule.leaves - PURPOSES)]
        problems += [f"basis {basis!r}" for basis in sorted(rule.bases - BASES)]
        problems += [f"role {role!r}" for role in sorted((rule.roles or frozenset()) - ROLES)]
    carriers = policy.trusted_carriers or frozenset()
    problems += [f"carrier {carrier!r}" for carrier in sorted(carriers - CARRIERS)]
    if problems:
        raise AuditError(f"policy {policy.name}: unknown value(s): {', '.join(problems)}")


__all__ = [
    "DEFAULT_ENGINE",
    "ENGINES",
    "AuditError",
    "AuditQuestion",
    "question_of",
]
