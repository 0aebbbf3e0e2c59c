"""Layer 5, semantic: consent logic that a schema or a shape cannot state.

Runs on nodes the schema layer found well formed, so types can be trusted here.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import datetime
from functools import cache
from typing import Any, Final

from aiconsent.dates import parse_date, parse_datetime
from aiconsent.validation.issues import Issue
from aiconsent.validation.jsonld import Node
from aiconsent.validation.pointer import child
from aiconsent.vocabulary.resources import read_json

_NEVER_COUNTS_FOR_MINORS: Final = frozenset({"terms-of-service", "no-objection"})
_CAN_CONSENT_FOR_MINOR: Final = frozenset({"guardian", "creator", "data-subject"})
_LOWEST_AGE_OF_CONSENT: Final = 13


@cache
def known_agents() -> frozenset[str]:
    """Lower-cased robots.txt product tokens from schema/ai-agents.json."""
    return frozenset(token.lower() for token in read_json("ai-agents.json")["agents"])


_time = parse_datetime
_day = parse_date


def check_nodes(nodes: Iterable[Node]) -> list[Issue]:
    """Every semantic issue of the given nodes, including those across nodes of one file."""
    issues: list[Issue] = []
    first_ids: dict[str, str] = {}
    groups: dict[tuple[str, ...], list[Node]] = defaultdict(list)
    for node in nodes:
        value = node.value
        identifier = value.get("id")
        if isinstance(identifier, str):
            if identifier in first_ids:
                issues.append(
                    Issue.make(
                        "AIC508",
                        f"id {identifier} is also used at {first_ids[identifier] or '/'}",
                        child(node.pointer, "id"),
                    )
                )
            else:
                first_ids[identifier] = node.pointer
        if value.get("type") == "ConsentDeclaration":
            issues.extend(_declaration(value, node.pointer))
            groups[_scope_key(value)].append(node)
        elif value.get("type") == "DatasetConsent":
            issues.extend(_dataset_consent(value, node.pointer))
    for members in groups.values():
        if len(members) > 1:
            issues.extend(_conflicts_across(members))
    return issues


def _declaration(value: dict[str, Any], pointer: str) -> Iterator[Issue]:
    permissions = value.get("permission", [])
    prohibitions = value.get("prohibition", [])
    declared = _time(value["declaredAt"])
    valid_from = _time(value["validFrom"]) if "validFrom" in value else None
    valid_until = _time(value["validUntil"]) if "validUntil" in value else None
    withdrawn = _time(value["withdrawnAt"]) if "withdrawnAt" in value else None
    if valid_until is not None:
        if valid_from is not None and valid_until <= valid_from:
            yield Issue.make(
                "AIC502", "validUntil is not after validFrom", child(pointer, "validFrom")
            )
        elif valid_until < declared:
            yield Issue.make(
                "AIC502", "validUntil is before declaredAt", child(pointer, "validUntil")
            )
    # Pointers match the SHACL shapes (the earlier property), so one problem is one issue.
    if withdrawn is not None:
        if withdrawn < declared:
            yield Issue.make(
                "AIC503", "withdrawnAt is before declaredAt", child(pointer, "declaredAt")
            )
        elif valid_from is not None and withdrawn < valid_from:
            yield Issue.make(
                "AIC503", "withdrawnAt is before validFrom", child(pointer, "validFrom")
            )
    yield from _rule_conflicts(permissions, prohibitions, pointer)
    yield from _repeated_rules(permissions, child(pointer, "permission"))
    yield from _repeated_rules(prohibitions, child(pointer, "prohibition"))
    content = value.get("content", {})
    basis = value.get("basis", "unspecified")
    role = value["declaredBy"]["role"]
    if permissions and content.get("minorAtCreation") is True:
        if basis in _NEVER_COUNTS_FOR_MINORS:
            yield Issue.make(
                "AIC504",
                f"a {basis} permission never counts for content made by a minor",
                child(pointer, "basis"),
            )
        yield from _minor_party(value, role, declared, pointer)
    if permissions and content.get("visibility") == "private" and basis in _NEVER_COUNTS_FOR_MINORS:
        yield Issue.make(
            "AIC506", f"a {basis} permission never covers private content", child(pointer, "basis")
        )
    if value.get("retroactive") is True and not permissions:
        yield Issue.make(
            "AIC513",
            "retroactive has no effect on a declaration without permissions",
            child(pointer, "retroactive"),
        )
    yield from _duties(permissions, value, pointer)
    yield from _agents(permissions, child(pointer, "permission"))
    yield from _agents(prohibitions, child(pointer, "prohibition"))
    yield from _content_facts(content, child(pointer, "content"))


def _minor_party(
    value: dict[str, Any], role: str, declared: datetime, pointer: str
) -> Iterator[Issue]:
    if role not in _CAN_CONSENT_FOR_MINOR:
        yield Issue.make(
            "AIC505",
            f"a {role}'s permission never counts for a minor's content; only a guardian, or the "
            "creator or data subject once adult, can give it",
            child(child(pointer, "declaredBy"), "role"),
        )
        return
    if role == "guardian":
        return
    adult_since = value.get("content", {}).get("adultSince")
    if adult_since is None or declared.date() < _day(adult_since):
        yield Issue.make(
            "AIC505",
            f"the {role} gave this permission before adultSince, so it does not count",
            child(pointer, "declaredAt"),
        )


def _duties(
    permissions: list[dict[str, Any]], value: dict[str, Any], pointer: str
) -> Iterator[Issue]:
    if "policyUrl" in value:
        return
    for index, rule in enumerate(permissions):
        duties = rule.get("duty", [])
        if "compensate" in duties:
            at = child(
                child(child(child(pointer, "permission"), index), "duty"),
                duties.index("compensate"),
            )
            yield Issue.make(
                "AIC507", "a compensate duty needs a policyUrl saying how compensation works", at
            )


def _agents(rules: list[dict[str, Any]], pointer: str) -> Iterator[Issue]:
    known = known_agents()
    for index, rule in enumerate(rules):
        for position, token in enumerate(rule.get("agent", [])):
            if token.lower() not in known:
                yield Issue.make(
                    "AIC509",
                    f"{token!r} is not a known AI crawler or control token",
                    child(child(child(pointer, index), "agent"), position),
                )


def _content_facts(content: dict[str, Any], pointer: str) -> Iterator[Issue]:
    minor = content.get("minorAtCreation")
    age = content.get("ageAtCreation")
    if minor is False and isinstance(age, int) and age < _LOWEST_AGE_OF_CONSENT:
        yield Issue.make(
            "AIC510",
            f"ageAtCreation {age} is below every age of digital consent, "
            "yet minorAtCreation is false",
            child(pointer, "minorAtCreation"),
        )
    created = content.get("createdAt")
    adult_since = content.get("adultSince")
    if minor is True and created and adult_since and _day(adult_since) <= _time(created).date():
        yield Issue.make(
            "AIC510",
            "adultSince is not after createdAt, yet minorAtCreation is true",
            child(pointer, "adultSince"),
        )


def _scope(rule: dict[str, Any]) -> tuple[str, frozenset[str], frozenset[str]]:
    return (
        rule["purpose"],
        frozenset(token.lower() for token in rule.get("agent", [])),
        frozenset(rule.get("constraint", [])),
    )


def _rule_conflicts(
    permissions: list[dict[str, Any]], prohibitions: list[dict[str, Any]], pointer: str
) -> Iterator[Issue]:
    permitted = {_scope(rule) for rule in permissions}
    for index, rule in enumerate(prohibitions):
        if _scope(rule) in permitted:
            yield Issue.make(
                "AIC501",
                f"{rule['purpose']!r} is both permitted and prohibited in the same scope",
                child(child(child(pointer, "prohibition"), index), "purpose"),
            )


def _repeated_rules(rules: list[dict[str, Any]], pointer: str) -> Iterator[Issue]:
    seen: set[str] = set()
    for index, rule in enumerate(rules):
        key = json.dumps(rule, sort_keys=True)
        if key in seen:
            yield Issue.make("AIC514", "this rule repeats an earlier one", child(pointer, index))
        seen.add(key)


def _scope_key(value: dict[str, Any]) -> tuple[str, ...]:
    return (
        value["declaredBy"]["id"],
        value["declaredAt"],
        json.dumps(sorted(json.dumps(target, sort_keys=True) for target in value["target"])),
        json.dumps(sorted(value.get("jurisdiction", []))),
        value.get("validFrom", ""),
        value.get("validUntil", ""),
    )


def _conflicts_across(members: list[Node]) -> Iterator[Issue]:
    """One party, one moment, one scope: a permission here and a prohibition there conflict."""
    permitted: dict[tuple[str, frozenset[str], frozenset[str]], str] = {}
    for node in members:
        for rule in node.value.get("permission", []):
            permitted.setdefault(_scope(rule), node.pointer)
    for node in members:
        own = {_scope(rule) for rule in node.value.get("permission", [])}
        for index, rule in enumerate(node.value.get("prohibition", [])):
            scope = _scope(rule)
            if scope in permitted and scope not in own:
                yield Issue.make(
                    "AIC501",
                    f"{rule['purpose']!r} is prohibited here and permitted by the same party "
                    f"at the same time in {permitted[scope] or '/'}",
                    child(child(child(node.pointer, "prohibition"), index), "purpose"),
                )


def _dataset_consent(value: dict[str, Any], pointer: str) -> Iterator[Issue]:
    for index, source in enumerate(value.get("sources", [])):
        start, end = source.get("collectedFrom"), source.get("collectedUntil")
        if start and end and _time(end) < _time(start):
            yield Issue.make(
                "AIC511",
                "collectedUntil is before collectedFrom",
                child(child(child(pointer, "sources"), index), "collectedFrom"),
            )
    counts = value.get("decisionCounts")
    total = value.get("itemCount")
    if isinstance(counts, dict) and isinstance(total, int):
        summed = sum(counts.get(key, 0) for key in ("allowed", "denied", "unknown"))
        if summed != total:
            yield Issue.make(
                "AIC512",
                f"decisionCounts add up to {summed}, but itemCount is {total}",
                child(pointer, "decisionCounts"),
            )
