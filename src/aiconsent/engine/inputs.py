"""What the engine evaluates: declarations with where they were found, and unreadable signals.

Declarations are compiled once (dates parsed, jurisdictions expanded, each rule's leaves
computed) so that a check only compares values.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from aiconsent.dates import parse_date, parse_datetime
from aiconsent.engine.places import expand
from aiconsent.engine.policy import STANDING
from aiconsent.model.found import Unreadable
from aiconsent.vocabulary.purposes import purpose_tree


@dataclass(frozen=True, slots=True)
class Rule:
    """One permission or prohibition, with the leaves its purpose covers."""

    kind: str  # "permission" | "prohibition"
    purpose: str
    depth: int
    leaves: frozenset[str]
    agents: frozenset[str] | None
    constraints: frozenset[str] | None
    duties: tuple[str, ...]
    from_withdrawal: bool = False


@dataclass(frozen=True, slots=True)
class Facts:
    """Content facts merged across declarations, failing closed (spec §6.2 rule 3)."""

    created_at: datetime | None = None
    visibility: str | None = None
    personal_data: bool | None = None
    minor_at_creation: bool = False
    age_at_creation: int | None = None
    adult_since: date | None = None

    @property
    def personal(self) -> bool:
        """Personal data unless some declaration said false and none said true."""
        return self.personal_data is not False


@dataclass(frozen=True, slots=True)
class Declaration:
    """A compiled ConsentDeclaration and the place it was read from."""

    id: str
    party: str
    role: str
    declared_at: datetime
    valid_from: datetime | None
    valid_until: datetime | None
    withdrawn_at: datetime | None
    basis: str
    places: frozenset[str] | None
    retroactive: bool
    permissions: tuple[Rule, ...]
    prohibitions: tuple[Rule, ...]
    withdrawn_rules: tuple[Rule, ...]
    facts: dict[str, Any]
    source: str | None
    carrier: str
    raw: dict[str, Any] = field(repr=False, compare=False)
    leaves: frozenset[str] = field(default=frozenset(), repr=False, compare=False)

    @property
    def standing(self) -> bool:
        return self.role in STANDING


def _rules(items: list[dict[str, Any]], kind: str) -> tuple[Rule, ...]:
    tree = purpose_tree()
    return tuple(
        Rule(
            kind,
            item["purpose"],
            tree.depth[item["purpose"]],
            tree.leaves[item["purpose"]],
            frozenset(token.lower() for token in item["agent"]) if item.get("agent") else None,
            frozenset(item["constraint"]) if item.get("constraint") else None,
            tuple(item.get("duty", ())),
        )
        for item in items
    )


def compile_declaration(
    value: dict[str, Any], source: str | None = None, carrier: str | None = None
) -> Declaration:
    """Compile one schema-valid ConsentDeclaration (compact form)."""
    permissions = _rules(value.get("permission", []), "permission")
    prohibitions = _rules(value.get("prohibition", []), "prohibition")
    withdrawn = tuple(
        Rule("prohibition", rule.purpose, rule.depth, rule.leaves, None, None, (), True)
        for rule in permissions
    )
    return Declaration(
        id=value["id"],
        party=value["declaredBy"]["id"],
        role=value["declaredBy"]["role"],
        declared_at=parse_datetime(value["declaredAt"]),
        valid_from=parse_datetime(value["validFrom"]) if "validFrom" in value else None,
        valid_until=parse_datetime(value["validUntil"]) if "validUntil" in value else None,
        withdrawn_at=parse_datetime(value["withdrawnAt"]) if "withdrawnAt" in value else None,
        basis=value.get("basis", "unspecified"),
        places=expand(value["jurisdiction"]) if value.get("jurisdiction") else None,
        retroactive=value.get("retroactive") is True,
        permissions=permissions,
        prohibitions=prohibitions,
        withdrawn_rules=withdrawn,
        facts=value.get("content", {}),
        source=source,
        carrier=carrier or value.get("carrier", "jsonld"),
        raw=value,
        leaves=frozenset().union(
            *(rule.leaves for rule in permissions), *(r.leaves for r in prohibitions)
        ),
    )


_VISIBILITY_ORDER = {"public": 0, "restricted": 1, "private": 2}


def merge_facts(declarations: list[Declaration]) -> Facts:
    """Content facts of every declaration about the item, the most protective value winning."""
    created: datetime | None = None
    visibility: str | None = None
    personal: bool | None = None
    minor = False
    age: int | None = None
    adult: date | None = None
    for declaration in declarations:
        facts = declaration.facts
        if not facts:
            continue
        if "createdAt" in facts:
            moment = parse_datetime(facts["createdAt"])
            created = moment if created is None or moment < created else created
        if "visibility" in facts and (
            visibility is None
            or _VISIBILITY_ORDER[facts["visibility"]] > _VISIBILITY_ORDER[visibility]
        ):
            visibility = facts["visibility"]
        if facts.get("personalData") is True:
            personal = True
        elif facts.get("personalData") is False and personal is None:
            personal = False
        minor = minor or facts.get("minorAtCreation") is True
        if "ageAtCreation" in facts:
            age = facts["ageAtCreation"] if age is None else min(age, facts["ageAtCreation"])
        if "adultSince" in facts:
            day = parse_date(facts["adultSince"])
            adult = day if adult is None or day > adult else adult
    return Facts(created, visibility, personal, minor, age, adult)


def merge_copies(declarations: list[Declaration]) -> tuple[list[Declaration], list[Unreadable]]:
    """One declaration per id: copies merge, the earliest withdrawal stands (spec §6.2 rule 2;
    among equally withdrawn copies, the one whose carrier comes first).

    Copies that differ in anything but withdrawnAt and carrier make the declaration unreadable;
    they are all kept, so their prohibitions still count.
    """
    by_id: dict[str, list[Declaration]] = {}
    for declaration in declarations:
        by_id.setdefault(declaration.id, []).append(declaration)
    merged: list[Declaration] = []
    unreadable: list[Unreadable] = []
    for identifier, copies in by_id.items():
        if len(copies) == 1:
            merged.append(copies[0])
            continue
        shapes = {_without_withdrawal(copy.raw) for copy in copies}
        if len(shapes) > 1:
            # Which copy is genuine cannot be told: keep every copy, so that none of their
            # prohibitions is lost, and mark the set unreadable, so that no permission wins.
            sources = ", ".join(sorted({copy.source or "?" for copy in copies}))
            unreadable.append(
                Unreadable(sources, f"copies of {identifier} disagree", copies[0].carrier)
            )
            merged.extend(copies)
            continue
        merged.append(min(copies, key=_copy_order))
    return merged, unreadable


_NOT_WITHDRAWN = datetime.max.replace(tzinfo=UTC)


def _copy_order(copy: Declaration) -> tuple[bool, datetime, str]:
    """The copy that stands: the earliest withdrawal, then the carrier first in code-point
    order (by content, so the order copies were read in does not matter)."""
    withdrawn = copy.withdrawn_at
    return (withdrawn is None, withdrawn or _NOT_WITHDRAWN, copy.carrier)


def distinct_declarations(declarations: Iterable[Declaration]) -> int:
    """How many different declarations there are: copies equal in everything but withdrawnAt
    and carrier count once, even where other copies of the same id disagree (spec §10.5.1)."""
    return len({(d.id, _without_withdrawal(d.raw)) for d in declarations})


def _without_withdrawal(value: dict[str, Any]) -> str:
    """A canonical text of a declaration without withdrawnAt and carrier.

    Every list in the compact form is a set, so lists are sorted: copies that differ only in
    the order of rules or targets are the same declaration.
    """
    core = {key: item for key, item in value.items() if key not in {"withdrawnAt", "carrier"}}
    return json.dumps(_canonical(core), sort_keys=True)


def _canonical(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _canonical(item) for key, item in value.items()}
    if isinstance(value, list):
        return sorted(
            (_canonical(item) for item in value), key=lambda item: json.dumps(item, sort_keys=True)
        )
    return value
