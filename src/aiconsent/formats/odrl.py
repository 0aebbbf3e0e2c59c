"""ODRL 2.2 policies, with the ODRL AI vocabulary profile and TDMRep terms (spec §9.9).

Reading expands the policy with the shipped contexts only, applies the policy's own `conflict`
strategy first (§9.1 rule 1), and then maps each rule: a permission keeps only conditions
aiconsent can state and is dropped otherwise, a prohibition loses what is not understood (it
only gets wider). Writing produces a plain ODRL `Set` per declaration for ODRL-only processors,
with its rules resolved to leaves first because ODRL has no "most specific wins".
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import itertools
import json
import re
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Any, Final, Literal

from aiconsent.formats.common import (
    Loss,
    Origin,
    Written,
    declaration,
    found,
    timestamp,
    unreadable,
)
from aiconsent.model.found import ReadResult
from aiconsent.vocabulary.purposes import purpose_tree

CARRIER: Final = "jsonld"
MAX_BYTES: Final = 10 * 1024 * 1024
MAX_DEPTH: Final = 64
MAX_ALTERNATIVES: Final = 16  # constraint combinations one permission may expand into

ODRL: Final = "http://www.w3.org/ns/odrl/2/"
TDM: Final = "http://www.w3.org/ns/tdmrep#"
DPV: Final = "https://w3id.org/dpv#"
ODRL_CONTEXT: Final = "http://www.w3.org/ns/odrl.jsonld"
AI_PROFILE: Final = "https://w3c.github.io/odrl/ai-vocab/"
AIC_TYPES: Final = frozenset({"https://w3id.org/aiconsent#ConsentDeclaration"})
_RELATIVE_BASE: Final = "https://relative.invalid/"  # marks IRIs that had no base to resolve

USE = ODRL + "use"
MINE = TDM + "mine"
DATA_MINING = ODRL + "data-mining"
AI_TRAINING = ODRL + "ai-training"
GEN_AI = ODRL + "gen-ai"
AI_AUGMENT = ODRL + "ai-augment"
SEARCH = ODRL + "search"
INDEX = ODRL + "index"

# §9.9 item 2: what each action means as a prohibition (widest) and as a permission (narrowest).
PROHIBITION_PURPOSES: Final[dict[str, tuple[str, ...]]] = {
    USE: ("tdm",),
    MINE: ("tdm",),
    DATA_MINING: ("tdm",),
    AI_TRAINING: ("ai-training",),
    GEN_AI: ("genai-training",),
    AI_AUGMENT: ("ai-inference",),
    SEARCH: ("search",),
    INDEX: ("ai-index", "search"),
}
PERMISSION_PURPOSES: Final[dict[str, tuple[str, ...]]] = {
    USE: ("tdm",),
    MINE: ("tdm",),
    DATA_MINING: ("ai-training", "ai-inference"),
    AI_TRAINING: ("ai-training",),
    GEN_AI: ("genai-training",),
    AI_AUGMENT: ("ai-inference",),
    SEARCH: ("search",),
    INDEX: ("ai-index",),
}
DUTIES: Final = {
    ODRL + "attribute": "attribute",
    ODRL + "compensate": "compensate",
    ODRL + "inform": "notify",
}
PURPOSE_CONSTRAINTS: Final = {
    DPV + "ResearchAndDevelopment": "research",
    DPV + "AcademicResearch": "research",
    DPV + "ScientificResearch": "research",
    DPV + "NonCommercialResearch": "research",
    TDM + "research": "research",
    DPV + "NonCommercialPurpose": "non-commercial",
}
_PREFIXES: Final = {"dpv:": DPV, "tdm:": TDM, "odrl:": ODRL}
POLICY_TYPES: Final = {ODRL + name: name for name in ("Set", "Offer", "Agreement", "Policy")}
PROHIBITION_ONLY_TYPES: Final = {
    ODRL + name: name for name in ("Request", "Ticket", "Assertion", "Privacy")
}
CONFLICTS: Final = {
    ODRL + "perm": "perm",
    ODRL + "prohibit": "prohibit",
    ODRL + "invalid": "invalid",
}
PARTY_FUNCTIONS: Final = frozenset(
    ODRL + name
    for name in (
        "function",
        "attributedParty",
        "attributingParty",
        "compensatedParty",
        "compensatingParty",
        "informedParty",
        "informingParty",
        "consentingParty",
        "consentedParty",
        "trackingParty",
        "trackedParty",
        "contractingParty",
        "contractedParty",
    )
)
_RULE_KEYS: Final = frozenset(
    {"@id", "@type", ODRL + "action", ODRL + "target", ODRL + "assigner", ODRL + "assignee"}
)
_DUTY_KEYS: Final = _RULE_KEYS | PARTY_FUNCTIONS
_CONSTRAINT_KEYS: Final = frozenset(
    {"@id", "@type", ODRL + "leftOperand", ODRL + "operator", ODRL + "rightOperand"}
    | {ODRL + "datatype"}
)
_ASSET_KEYS: Final = frozenset({"@id", "@type", ODRL + "partOf", ODRL + "hasPolicy"})
_IRI: Final = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[!#-;=?-\[\]_a-z~]+$")
_CODE: Final = re.compile(r"^[A-Za-z]{2}$")
_NI_SHA256: Final = "ni:///sha-256;"

Kind = Literal["permission", "prohibition"]
Conflict = Literal["perm", "prohibit", "invalid"]


class _UnusableError(Exception):
    """The document cannot be read as ODRL at all."""


def _note(result: ReadResult, origin: Origin, carrier: str, message: str) -> None:
    """Something `read` reports but that makes no rule (ignored keys, dropped permissions)."""
    result.other.append({"note": message, "source": origin.source, "carrier": carrier})


# --------------------------------------------------------------------------- parsing


def _parse(data: bytes | str | Mapping[str, Any] | list[Any]) -> Any:
    """The policy as JSON, refusing what JSON-LD processors disagree on or cannot bound."""
    from aiconsent.formats.cawg import depth_of, parse_json

    if isinstance(data, Mapping | list):
        document: Any = data
        if depth_of(document) > MAX_DEPTH:
            raise _UnusableError(f"nested deeper than {MAX_DEPTH}")
    elif not isinstance(data, bytes | str):
        raise _UnusableError(f"a {type(data).__name__} is not a JSON document")
    else:
        try:
            document = parse_json(data)
        except ValueError as error:
            raise _UnusableError(str(error)) from None
    if not isinstance(document, dict | list):
        raise _UnusableError("not a JSON object or array")
    return document


@cache
def _shipped_terms() -> frozenset[str]:
    """Terms the shipped ODRL and TDMRep contexts define."""
    from aiconsent.vocabulary.documents import load_document

    terms: set[str] = set()
    for url in ("http://www.w3.org/ns/odrl.jsonld", "http://www.w3.org/ns/tdmrep.jsonld"):
        terms.update(load_document(url)["@context"])
    return frozenset(terms)


def _dropped_keys(document: Any) -> list[str]:
    """Keys JSON-LD expansion would silently drop: a typo in `prohibition` or `constraint`
    must not turn a policy into a wider permission, so such a policy is unreadable."""
    from aiconsent.vocabulary.documents import is_known, load_document

    defined = set(_shipped_terms())
    stack: list[Any] = [document]
    contexts: list[Any] = []
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            for key, value in item.items():
                if key == "@context":
                    contexts.append(value)
                elif key != "@value":
                    stack.append(value)
    while contexts:
        context = contexts.pop()
        if isinstance(context, str) and is_known(context):
            contexts.append(load_document(context).get("@context"))
        elif isinstance(context, list):
            contexts.extend(context)
        elif isinstance(context, dict):
            if "@vocab" in context:
                return []
            defined.update(context)
            contexts.extend(
                value["@context"]
                for value in context.values()
                if isinstance(value, dict) and "@context" in value
            )
    dropped: list[str] = []
    stack = [document]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict) and "@value" not in item:
            for key, value in item.items():
                if key == "@context":
                    continue
                if not key.startswith("@") and ":" not in key and key not in defined:
                    dropped.append(key)
                elif _odrl_key(key, defined):
                    stack.append(value)  # what extensions (vcard:, mrt:, …) hold is theirs
    return sorted(set(dropped))


def _odrl_key(key: str, defined: set[str]) -> bool:
    """Keys whose values ODRL reading looks into."""
    return (
        key in defined
        or key.startswith(("odrl:", ODRL, "rdf:value"))
        or key in ("@graph", "@list", "@set", "@included", "@nest")
    )


def _expand(document: Any, base: str) -> list[Any]:
    """Expanded JSON-LD, with no context but the shipped ones (nothing is ever fetched)."""
    from pyld import jsonld

    from aiconsent.vocabulary.documents import jsonld_loader

    try:
        expanded = jsonld.expand(document, {"documentLoader": jsonld_loader(), "base": base})
    except RecursionError:
        raise _UnusableError("nested too deeply to expand") from None
    except Exception as error:  # pyld raises JsonLdError and, on odd input, others
        raise _UnusableError(f"JSON-LD expansion failed: {_first_line(error)}") from None
    if not isinstance(expanded, list):
        raise _UnusableError("JSON-LD expansion gave no nodes")
    return expanded


def _first_line(error: BaseException) -> str:
    return (str(error).splitlines() or [type(error).__name__])[0][:200]


def _values(node: Mapping[str, Any], key: str) -> list[Any]:
    value = node.get(key, [])
    items = value if isinstance(value, list) else [value]
    flat: list[Any] = []
    for item in items:
        if isinstance(item, dict) and "@list" in item and isinstance(item["@list"], list):
            flat.extend(item["@list"])
        else:
            flat.append(item)
    return flat


def _iri_of(value: Any) -> str | None:
    """The IRI a JSON-LD value names: a node reference or node, or a string literal that is
    written as an IRI or a dpv:/tdm:/odrl: compact IRI (right operands are untyped literals)."""
    if isinstance(value, dict):
        if "@id" in value and isinstance(value["@id"], str):
            return value["@id"]
        if "@value" in value and isinstance(value["@value"], str):
            text = value["@value"].strip()
            for prefix, namespace in _PREFIXES.items():
                if text.startswith(prefix):
                    return namespace + text[len(prefix) :]
            return text
    return None


def _literal(value: Any) -> str | None:
    if isinstance(value, dict):
        if "@value" in value and isinstance(value["@value"], str):
            return value["@value"].strip()
        if "@id" in value and isinstance(value["@id"], str):
            return value["@id"]
    return None


def is_absolute_iri(text: str) -> bool:
    """An absolute IRI that the schema's `uri` format and our own evidence accept."""
    return bool(_IRI.match(text)) and not text.startswith(_RELATIVE_BASE) and len(text) <= 2048


def _types(node: Mapping[str, Any]) -> list[str]:
    value = node.get("@type", [])
    return [
        item for item in (value if isinstance(value, list) else [value]) if isinstance(item, str)
    ]


# --------------------------------------------------------------------------- rule model


@dataclass(frozen=True, slots=True)
class _Window:
    start: datetime | None = None
    end: datetime | None = None

    def empty(self) -> bool:
        return self.start is not None and self.end is not None and self.end <= self.start

    def overlaps(self, other: _Window) -> bool:
        start = max((t for t in (self.start, other.start) if t is not None), default=None)
        end = min((t for t in (self.end, other.end) if t is not None), default=None)
        return start is None or end is None or start < end

    def covers(self, other: _Window) -> bool:
        """Whether self is in force whenever other is."""
        starts = self.start is None or (other.start is not None and self.start <= other.start)
        ends = self.end is None or (other.end is not None and other.end <= self.end)
        return starts and ends


@dataclass(frozen=True, slots=True)
class _Scope:
    """What becomes one declaration: the rules sharing targets, party, place and time."""

    targets: tuple[tuple[str, str], ...]  # () = the item the policy was found with
    assigner: str | None
    jurisdiction: frozenset[str] | None
    window: _Window


@dataclass(frozen=True, slots=True)
class _Rule:
    kind: Kind
    purpose: str
    constraints: frozenset[str]
    duties: frozenset[str]
    scope: _Scope


@dataclass(slots=True)
class _OdrlRule:
    """One ODRL permission or prohibition, parsed but not yet mapped."""

    kind: Kind
    actions: list[str]
    targets: list[tuple[str, str]]
    unknown_target: bool
    assigner: str | None
    assignees: list[str]
    purpose_sets: list[frozenset[str]] = field(default_factory=list)
    jurisdiction: frozenset[str] | None = None
    window: _Window = field(default_factory=_Window)
    window_conflict: bool = False
    duties: set[str] = field(default_factory=set)
    not_understood: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Policy:
    node: dict[str, Any]
    uid: str | None
    kind: str
    conflict: Conflict
    rules: list[_OdrlRule]
    obligation_duties: set[str]
    obligation_problems: list[str]
    inherits: bool


def _jurisdiction_members(codes: Iterable[str]) -> frozenset[str]:
    from aiconsent.vocabulary.resources import read_json

    table = read_json("jurisdictions.json")
    groups: dict[str, list[str]] = table["groups"]
    aliases: dict[str, str] = table["aliases"]
    members: set[str] = set()
    for code in codes:
        code = aliases.get(code, code)
        members.update(groups.get(code, [code]))
    return frozenset(members)


_DATE: Final = re.compile(r"^(\d{4}-\d{2}-\d{2})(Z|[+-]\d{2}:\d{2})?$")
_DATE_TIME: Final = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})?$"
)


def _instant(text: str) -> tuple[datetime, bool]:
    """An xsd:date or xsd:dateTime lexical value (Python alone misreads `2025-01-01+02:00`)."""
    match = _DATE.match(text)
    if match:
        day = date.fromisoformat(match[1])
        zone = match[2]
        moment = datetime.combine(day, time())
        if zone:
            moment = datetime.fromisoformat(f"{match[1]}T00:00:00{zone.replace('Z', '+00:00')}")
        return moment, True
    if _DATE_TIME.match(text):
        return datetime.fromisoformat(text.replace("Z", "+00:00")), False
    raise ValueError(f"not an xsd:date or xsd:dateTime: {text[:40]!r}")


def _bound(text: str, kind: Kind, side: Literal["start", "end"], operator: str) -> datetime:
    """A dateTime right operand as an instant, rounded so that a permission only narrows and a
    prohibition only widens (a value without an offset may be in any zone, -12:00 to +14:00)."""
    permission = kind == "permission"
    late = (side == "start") == permission  # the direction that narrows a permission
    moment, is_date = _instant(text)
    if is_date:
        if operator in ("gt", "lteq"):
            moment += timedelta(days=1)  # after the named day / to its end
    elif operator in ("gt", "lteq") and late:
        moment += timedelta(seconds=1)
    if moment.tzinfo is None:
        moment = moment + timedelta(hours=12) if late else moment - timedelta(hours=14)
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    if moment.microsecond:
        moment = moment.replace(microsecond=0) + timedelta(seconds=1 if late else 0)
    return moment


def _parse_constraint(node: Any, rule: _OdrlRule) -> None:
    """Fold one ODRL constraint into the rule, or record why it is not understood."""
    if not isinstance(node, dict):
        rule.not_understood.append("a constraint that is not a node")
        return
    extra = set(node) - _CONSTRAINT_KEYS
    if extra:
        rule.not_understood.append(f"a constraint with {', '.join(sorted(extra))}")
        return
    left = [_iri_of(v) for v in _values(node, ODRL + "leftOperand")]
    operator = [_iri_of(v) for v in _values(node, ODRL + "operator")]
    right = _values(node, ODRL + "rightOperand")
    if len(left) != 1 or len(operator) != 1 or not right:
        rule.not_understood.append("an incomplete constraint")
        return
    left_iri, op = left[0] or "", (operator[0] or "").removeprefix(ODRL)
    if left_iri == ODRL + "purpose" and op in ("eq", "isA", "isAnyOf"):
        if op != "isAnyOf" and len(right) != 1:
            rule.not_understood.append("a purpose constraint with several values")
            return
        names = [PURPOSE_CONSTRAINTS.get(_iri_of(value) or "") for value in right]
        if None in names:
            rule.not_understood.append(f"purpose {op} {_describe(right)}")
            return
        rule.purpose_sets.append(frozenset(name for name in names if name is not None))
        return
    if left_iri == ODRL + "spatial" and op in ("eq", "isAnyOf"):
        codes = [_literal(value) or "" for value in right]
        codes = [code.removeprefix("urn:iso:std:iso:3166:-1:") for code in codes]
        if not codes or not all(_CODE.match(code) or code.upper() == "EEA" for code in codes):
            rule.not_understood.append(f"spatial {op} {_describe(right)}")
            return
        place = frozenset(code.upper() for code in codes)
        if rule.jurisdiction is None:
            rule.jurisdiction = place
        else:
            both = _jurisdiction_members(rule.jurisdiction) & _jurisdiction_members(place)
            rule.jurisdiction = frozenset(both)
        return
    if left_iri == ODRL + "dateTime" and op in ("gteq", "gt", "lt", "lteq") and len(right) == 1:
        text = _literal(right[0]) or ""
        side: Literal["start", "end"] = "start" if op in ("gteq", "gt") else "end"
        try:
            moment = _bound(text, rule.kind, side, op)
        except (ValueError, OverflowError):
            rule.not_understood.append(f"dateTime {op} {text[:40]!r}")
            return
        window = rule.window
        if side == "start":
            start = moment if window.start is None else max(window.start, moment)
            rule.window = replace(window, start=start)
        else:
            end = moment if window.end is None else min(window.end, moment)
            rule.window = replace(window, end=end)
        return
    rule.not_understood.append(f"a constraint on {_short(left_iri)} {op}")


def _describe(values: list[Any]) -> str:
    return ", ".join(_short(_iri_of(v) or "?") for v in values[:4])


def _short(iri: str) -> str:
    for prefix, namespace in _PREFIXES.items():
        if iri.startswith(namespace):
            return prefix + iri[len(namespace) :]
    return iri[:80]


def _target(node: Any) -> tuple[str, str] | None:
    """An asset as an aiconsent target; None if it is not identified or is refined."""
    if not isinstance(node, dict):
        return None
    iri = node.get("@id")
    if not isinstance(iri, str) or not is_absolute_iri(iri) or set(node) - _ASSET_KEYS:
        return None
    if iri.startswith(_NI_SHA256):
        digest = _ni_digest(iri)
        return ("sha256", digest) if digest else ("collection", iri)
    if ODRL + "AssetCollection" in _types(node):
        return ("collection", iri)
    scheme = iri.split(":", 1)[0].lower()
    return ("url", iri) if scheme in ("http", "https") else ("collection", iri)


def _ni_digest(iri: str) -> str | None:
    """The hex SHA-256 an RFC 6920 ni:///sha-256; IRI names (how the writer states a
    `sha256` target as an ODRL asset)."""
    text = iri[len(_NI_SHA256) :]
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None
    return raw.hex() if len(raw) == 32 and _ni(raw.hex()) == iri else None


def _ni(hex_digest: str) -> str:
    raw = bytes.fromhex(hex_digest)
    return _NI_SHA256 + base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _party(node: Any) -> tuple[str | None, bool]:
    """A party's IRI, and whether it is a plain, identifiable party (no refinement)."""
    if not isinstance(node, dict):
        return None, False
    iri = node.get("@id")
    plain = ODRL + "refinement" not in node and ODRL + "source" not in node
    if isinstance(iri, str) and is_absolute_iri(iri):
        return iri, plain
    return None, False


def _actions(values: list[Any], rule: _OdrlRule) -> None:
    for value in values:
        if not isinstance(value, dict):
            rule.not_understood.append("an action that is not an IRI")
        elif isinstance(value.get("@id"), str):
            rule.actions.append(value["@id"])
            if len(value) > 1:
                rule.not_understood.append(f"a refined action {_short(value['@id'])}")
        else:
            refined = [_iri_of(v) for v in _values(value, RDF_VALUE)]
            if len(refined) == 1 and refined[0]:
                rule.actions.append(refined[0])
                rule.not_understood.append(f"a refined action {_short(refined[0])}")
            else:
                rule.not_understood.append("an action that is not an IRI")


RDF_VALUE: Final = "http://www.w3.org/1999/02/22-rdf-syntax-ns#value"


def _duty(node: Any) -> tuple[str | None, str | None]:
    """A duty's aiconsent name, or why it is not understood."""
    if not isinstance(node, dict):
        return None, "a duty that is not a node"
    extra = set(node) - _DUTY_KEYS
    if extra:
        return None, f"a duty with {', '.join(_short(key) for key in sorted(extra))}"
    actions = _values(node, ODRL + "action")
    iris = [v["@id"] for v in actions if isinstance(v, dict) and set(v) == {"@id"}]
    if len(iris) != 1 or len(actions) != 1:
        return None, "a duty whose action is refined or missing"
    name = DUTIES.get(iris[0])
    if name is None:
        return None, f"the duty {_short(iris[0])}"
    return name, None


def _parse_rule(node: Any, kind: Kind, shared: Mapping[str, Any]) -> _OdrlRule:
    rule = _OdrlRule(kind, [], [], False, None, [])
    if not isinstance(node, dict):
        rule.not_understood.append("a rule that is not a node")
        return rule
    allowed = _RULE_KEYS | PARTY_FUNCTIONS | {ODRL + "constraint"}
    allowed |= {ODRL + "duty"} if kind == "permission" else {ODRL + "remedy"}
    for key in sorted(set(node) - allowed):
        rule.not_understood.append(f"the property {_short(key)}")
    _actions(_values(node, ODRL + "action") or list(shared.get("action", [])), rule)
    for value in _values(node, ODRL + "target") + list(shared.get("target", [])):
        target = _target(value)
        if target is None:
            rule.unknown_target = True
        elif target not in rule.targets:
            rule.targets.append(target)
    assigners = [_party(v)[0] for v in _values(node, ODRL + "assigner")] or shared.get(
        "assigner", []
    )
    named = {iri for iri in assigners if iri}
    rule.assigner = named.pop() if len(named) == 1 else None
    for value in _values(node, ODRL + "assignee") + list(shared.get("assignee", [])):
        iri, plain = _party(value)
        if iri is None or not plain:
            rule.not_understood.append("an assignee that is refined or not identified")
        else:
            rule.assignees.append(iri)
    for constraint in _values(node, ODRL + "constraint") + list(shared.get("constraint", [])):
        if isinstance(constraint, dict) and any(
            ODRL + op in constraint for op in ("and", "or", "xone", "andSequence")
        ):
            rule.not_understood.append("a logical constraint")
            continue
        _parse_constraint(constraint, rule)
    if rule.window.empty():
        rule.window_conflict = True
    if kind == "permission":
        for duty in _values(node, ODRL + "duty"):
            name, problem = _duty(duty)
            if name:
                rule.duties.add(name)
            else:
                rule.not_understood.append(problem or "a duty")
    return rule


def _policies(expanded: list[Any]) -> Iterator[dict[str, Any]]:
    """Top-level nodes (and named-graph members) that are ODRL policies or carry ODRL rules."""
    rule_keys = {ODRL + "permission", ODRL + "prohibition", ODRL + "obligation"}
    stack = list(reversed(expanded))
    while stack:
        node = stack.pop()
        if not isinstance(node, dict):
            continue
        if "@graph" in node:
            stack.extend(reversed(_values(node, "@graph")))
        types = set(_types(node))
        if types & AIC_TYPES:
            continue  # an aiconsent declaration: read by the aiconsent reader, not as ODRL
        if types & (set(POLICY_TYPES) | set(PROHIBITION_ONLY_TYPES)) or rule_keys & set(node):
            yield node


def _parse_policy(node: dict[str, Any]) -> _Policy:
    types = set(_types(node))
    kind = next((POLICY_TYPES[t] for t in types if t in POLICY_TYPES), None)
    if kind is None:
        kind = next(
            (PROHIBITION_ONLY_TYPES[t] for t in types if t in PROHIBITION_ONLY_TYPES), "Policy"
        )
    uid = node.get("@id") if isinstance(node.get("@id"), str) else None
    conflicts = [_iri_of(v) for v in _values(node, ODRL + "conflict")]
    if not conflicts:
        conflict: Conflict = "invalid"
    elif len(conflicts) == 1 and conflicts[0] in CONFLICTS:
        conflict = CONFLICTS[conflicts[0]]  # type: ignore[assignment]
    else:
        raise _UnusableError(f"conflict strategy {conflicts!r} is not perm, prohibit or invalid")
    shared = {
        "target": _values(node, ODRL + "target"),
        "assigner": [_party(v)[0] for v in _values(node, ODRL + "assigner")],
        "assignee": _values(node, ODRL + "assignee"),
        "action": _values(node, ODRL + "action"),
        "constraint": _values(node, ODRL + "constraint"),
    }
    rules = [
        _parse_rule(rule, "permission", shared) for rule in _values(node, ODRL + "permission")
    ] + [_parse_rule(rule, "prohibition", shared) for rule in _values(node, ODRL + "prohibition")]
    duties: set[str] = set()
    problems: list[str] = []
    for obligation in _values(node, ODRL + "obligation"):
        name, problem = _duty(obligation)
        if name:
            duties.add(name)
        else:
            problems.append(f"an obligation: {problem}")
    inherits = bool(_values(node, ODRL + "inheritFrom"))
    return _Policy(node, uid, kind, conflict, rules, duties, problems, inherits)


# --------------------------------------------------------------------------- conflicts


def _overlapping_actions(first: str, second: str) -> bool:
    """Whether two ODRL actions can name the same act (for `conflict: invalid`); unknown
    actions are taken as included in `use`, and the widest reading of each is compared."""
    if first == second or USE in (first, second):
        return True
    tree = purpose_tree()
    left = PROHIBITION_PURPOSES.get(first)
    right = PROHIBITION_PURPOSES.get(second)
    if left is None or right is None:
        return False
    leaves_left = frozenset().union(*(tree.leaves[p] for p in left))
    leaves_right = frozenset().union(*(tree.leaves[p] for p in right))
    return bool(leaves_left & leaves_right)


def _places_overlap(first: frozenset[str] | None, second: frozenset[str] | None) -> bool:
    if first is None or second is None:
        return True
    return bool(_jurisdiction_members(first) & _jurisdiction_members(second))


def _same_asset(first: _OdrlRule, second: _OdrlRule) -> bool:
    return set(first.targets) == set(second.targets)


def _void(policy: _Policy) -> list[str]:
    """The overlaps that make a policy with `conflict: invalid` (the default) void."""
    permissions = [r for r in policy.rules if r.kind == "permission"]
    prohibitions = [r for r in policy.rules if r.kind == "prohibition"]
    clashes: list[str] = []
    for permitted, prohibited in itertools.product(permissions, prohibitions):
        if not (
            _same_asset(permitted, prohibited)
            and permitted.window.overlaps(prohibited.window)
            and _places_overlap(permitted.jurisdiction, prohibited.jurisdiction)
        ):
            continue
        for first, second in itertools.product(permitted.actions, prohibited.actions):
            if _overlapping_actions(first, second):
                clashes.append(f"{_short(first)} / {_short(second)}")
    return sorted(set(clashes))


def _under(narrow: str, wide: str) -> bool:
    """narrow is wide or lies below it in the purpose tree."""
    broader = purpose_tree().broader
    current: str | None = narrow
    while current is not None:
        if current == wide:
            return True
        current = broader[current]
    return False


def _simultaneous(first: _Rule, second: _Rule) -> bool:
    return (
        first.scope.targets == second.scope.targets
        and first.scope.window.overlaps(second.scope.window)
        and _places_overlap(first.scope.jurisdiction, second.scope.jurisdiction)
    )


def _resolve(rules: list[_Rule], conflict: Conflict) -> tuple[list[_Rule], list[str]]:
    """Apply `perm` or `prohibit` so that aiconsent's most-specific-wins gives ODRL's answer."""
    permissions = [r for r in rules if r.kind == "permission"]
    prohibitions = [r for r in rules if r.kind == "prohibition"]
    notes: list[str] = []
    if conflict == "prohibit":
        kept = []
        for permitted in permissions:
            beaten = next(
                (
                    p
                    for p in prohibitions
                    if _simultaneous(permitted, p)
                    and _under(permitted.purpose, p.purpose)
                    and (
                        permitted.purpose != p.purpose
                        or (permitted.constraints == p.constraints and permitted.scope == p.scope)
                    )
                ),
                None,
            )
            if beaten is None:
                kept.append(permitted)
            else:
                notes.append(
                    f"permission of {permitted.purpose} dropped: conflict prohibit and a "
                    f"prohibition of {beaten.purpose}"
                )
        return kept + prohibitions, notes
    kept_prohibitions = []
    for prohibited in prohibitions:
        beaten_by = next(
            (
                p
                for p in permissions
                if p.scope.targets == prohibited.scope.targets
                and _under(prohibited.purpose, p.purpose)
                and p.constraints in (frozenset(), prohibited.constraints)
                and (
                    p.scope.jurisdiction is None
                    or p.scope.jurisdiction == prohibited.scope.jurisdiction
                )
                and p.scope.window.covers(prohibited.scope.window)
            ),
            None,
        )
        if beaten_by is None:
            kept_prohibitions.append(prohibited)
        else:
            notes.append(
                f"prohibition of {prohibited.purpose} dropped: conflict perm and a permission "
                f"of {beaten_by.purpose}"
            )
    return permissions + kept_prohibitions, notes


# --------------------------------------------------------------------------- reading


def read_odrl(
    data: bytes | str | Mapping[str, Any] | list[Any],
    origin: Origin,
    *,
    assignee: str | Iterable[str] | None = None,
    carrier: str = CARRIER,
) -> ReadResult:
    """Every ODRL policy in a JSON-LD document as declarations (spec §9.9).

    `assignee` names the consumer: permissions granted to an assignee are read only for it.
    """
    result = ReadResult()
    consumers = {assignee} if isinstance(assignee, str) else set(assignee or ())
    try:
        document = _parse(data)
        dropped = _dropped_keys(document)
        if dropped:
            raise _UnusableError(
                "keys no context defines (JSON-LD would drop them): " + ", ".join(dropped[:8])
            )
        base = origin.source if re.match(r"^https?://", origin.source) else _RELATIVE_BASE
        expanded = _expand(document, base)
        if isinstance(data, bytes):
            raw = data.decode("utf-8-sig", "replace")
        else:
            raw = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
        policies = list(_policies(expanded))
        if not policies:
            raise _UnusableError("no ODRL policy in the document")
        for index, node in enumerate(policies):
            _read_policy(node, index, raw, origin, carrier, consumers, result)
    except _UnusableError as error:
        unreadable(result, origin, carrier, f"ODRL policy unreadable: {error}")
    return result


def _read_policy(
    node: dict[str, Any],
    index: int,
    raw: str,
    origin: Origin,
    carrier: str,
    consumers: set[str],
    result: ReadResult,
) -> None:
    policy = _parse_policy(node)
    label = policy.uid or f"policy #{index}"
    if policy.conflict == "invalid":
        clashes = _void(policy)
        if clashes:
            purposes = {
                p
                for rule in policy.rules
                for action in rule.actions
                for p in PROHIBITION_PURPOSES.get(action, ("tdm",))
            }
            unreadable(
                result,
                origin,
                carrier,
                f"ODRL policy {label} is void: its permissions and prohibitions overlap "
                f"({'; '.join(clashes[:4])}) and its conflict strategy is invalid",
                purposes or None,
            )
            return

    def note(message: str) -> None:
        _note(result, origin, carrier, f"{label}: {message}")

    rules: list[_Rule] = []
    for parsed in policy.rules:
        rules.extend(_map_rule(parsed, policy, origin, consumers, note))
    rules, notes = _resolve(rules, policy.conflict) if policy.conflict != "invalid" else (rules, [])
    for message in notes:
        _note(result, origin, carrier, f"{label}: {message}")
    groups: dict[_Scope, list[_Rule]] = {}
    for mapped in rules:
        groups.setdefault(mapped.scope, []).append(mapped)
    uid_usable = policy.uid is not None and is_absolute_iri(policy.uid)
    policy_url = (
        policy.uid if policy.uid and uid_usable and re.match(r"^https?://", policy.uid) else None
    )
    if not groups:
        note("no rule about an aiconsent purpose")
    for number, (scope, members) in enumerate(groups.items()):
        if len(groups) == 1 and uid_usable:
            identifier = policy.uid
        else:
            seed = f"{policy.uid or hashlib.sha256(raw.encode('utf-8', 'replace')).hexdigest()}"
            identifier = f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'{seed}#{index}.{number}')}"
        value = _declaration(scope, members, identifier, policy_url, raw, origin, carrier)
        found(result, value, origin, carrier)


def _map_rule(
    rule: _OdrlRule,
    policy: _Policy,
    origin: Origin,
    consumers: set[str],
    note: Callable[[str], None],
) -> list[_Rule]:
    """One ODRL rule as aiconsent rules: a permission only if every condition is understood,
    a prohibition always, read without what is not understood."""
    if rule.kind == "permission":
        table = PERMISSION_PURPOSES
        problems = list(rule.not_understood) + policy.obligation_problems
        if rule.unknown_target:
            problems.append("an asset that is refined or not identified")
        if policy.inherits:
            problems.append("inheritFrom (the parent policy is not read)")
        if policy.kind in PROHIBITION_ONLY_TYPES.values():
            problems.append(f"a {policy.kind} grants nothing to read")
        if rule.assignees and not consumers & set(rule.assignees):
            problems.append("it is granted to an assignee this reader is not configured as")
        elif policy.kind == "Agreement" and not rule.assignees:
            problems.append("an Agreement with no assignee")
        if rule.window_conflict:
            problems.append("its dateTime constraints leave no time")
        elif rule.window.end is not None and rule.window.end <= origin.observed_at:
            problems.append("its dateTime constraints ended before it was read")
        if "compensate" in rule.duties | policy.obligation_duties and not (
            policy.uid and re.match(r"^https?://", policy.uid) and is_absolute_iri(policy.uid)
        ):
            problems.append("compensate without an http(s) policy uid for policyUrl")
        mapped = [p for a in rule.actions for p in table.get(a, ())]
        if not mapped:
            ignored = [_short(a) for a in rule.actions if a not in table]
            if ignored:
                note(f"permission of {', '.join(ignored)} ignored (no aiconsent purpose)")
            return []
        if problems:
            note(f"permission of {', '.join(mapped)} dropped: {'; '.join(problems)}")
            return []
        window = rule.window
        places = rule.jurisdiction
        constraint_sets = [frozenset(choice) for choice in itertools.product(*rule.purpose_sets)]
        if len(constraint_sets) > MAX_ALTERNATIVES:
            note(f"permission of {', '.join(mapped)} dropped: too many constraint combinations")
            return []
        duties = frozenset(rule.duties | policy.obligation_duties)
    else:
        table = PROHIBITION_PURPOSES
        mapped = [p for a in rule.actions for p in table.get(a, ())]
        if not mapped:
            ignored = [_short(a) for a in rule.actions if a not in table]
            if ignored:
                note(f"prohibition of {', '.join(ignored)} ignored (no aiconsent purpose)")
            return []
        widened = list(rule.not_understood)
        if rule.unknown_target:
            widened.append("an asset that is refined or not identified (read for this item)")
        window = rule.window
        if rule.window_conflict:
            widened.append("dateTime constraints that leave no time")
            window = _Window()
        elif window.end is not None and window.end <= origin.observed_at:
            note(f"prohibition of {', '.join(mapped)} ended before it was read")
            return []
        if widened:
            note(f"prohibition of {', '.join(mapped)} read without: {'; '.join(widened)}")
        places = rule.jurisdiction if rule.jurisdiction else None
        union = frozenset().union(*rule.purpose_sets) if rule.purpose_sets else frozenset()
        constraint_sets = [union]
        duties = frozenset()
    if places is not None and not places:
        if rule.kind == "permission":
            note(
                f"permission of {', '.join(mapped)} dropped: its spatial constraints leave no place"
            )
            return []
        places = None
    targets = tuple(sorted(rule.targets))
    scope = _Scope(targets, rule.assigner, places, window)
    rules: list[_Rule] = []
    for purpose in dict.fromkeys(mapped):
        for constraints in dict.fromkeys(constraint_sets):
            candidate = _Rule(rule.kind, purpose, constraints, duties, scope)
            if candidate not in rules:
                rules.append(candidate)
    return rules


def _declaration(
    scope: _Scope,
    rules: list[_Rule],
    identifier: str | None,
    policy_url: str | None,
    raw: str,
    origin: Origin,
    carrier: str,
) -> dict[str, Any] | None:
    def compact(rule: _Rule) -> dict[str, Any]:
        value: dict[str, Any] = {"purpose": rule.purpose}
        if rule.constraints:
            value["constraint"] = sorted(rule.constraints)
        if rule.duties:
            value["duty"] = sorted(rule.duties)
        return value

    permissions = list(
        dict.fromkeys(json.dumps(compact(r)) for r in rules if r.kind == "permission")
    )
    prohibitions = list(
        dict.fromkeys(json.dumps(compact(r)) for r in rules if r.kind == "prohibition")
    )
    needs_policy = any("compensate" in r.duties for r in rules)
    party = replace(origin, party=scope.assigner) if scope.assigner else origin
    value = declaration(
        party,
        carrier,
        permission=[json.loads(p) for p in permissions],
        prohibition=[json.loads(p) for p in prohibitions],
        raw=raw,
        identifier=identifier,
        jurisdiction=sorted(scope.jurisdiction) if scope.jurisdiction else None,
        policy_url=policy_url if needs_policy else None,
    )
    if value is None:
        return None
    if scope.targets:
        value["target"] = [{key: iri} for key, iri in scope.targets]
    if scope.window.start is not None:
        value["validFrom"] = timestamp(scope.window.start)
    if scope.window.end is not None:
        value["validUntil"] = timestamp(scope.window.end)
    return _ordered(value)


_ORDER: Final = [
    "@context",
    "id",
    "type",
    "target",
    "declaredBy",
    "declaredAt",
    "validFrom",
    "validUntil",
    "basis",
    "jurisdiction",
    "retroactive",
    "permission",
    "prohibition",
    "policyUrl",
    "evidence",
    "carrier",
]


def _ordered(value: dict[str, Any]) -> dict[str, Any]:
    return {
        key: value[key]
        for key in sorted(value, key=lambda k: (_ORDER.index(k) if k in _ORDER else 99, k))
    }


# --------------------------------------------------------------------------- writing

LEAVES: Final = ("genai-training", "non-generative-training", "ai-inference", "ai-index", "search")
_PROHIBITION_LEAVES: Final = {
    DATA_MINING: frozenset(LEAVES),
    AI_TRAINING: frozenset({"genai-training", "non-generative-training"}),
    GEN_AI: frozenset({"genai-training"}),
    AI_AUGMENT: frozenset({"ai-inference"}),
    SEARCH: frozenset({"search"}),
    INDEX: frozenset({"ai-index", "search"}),
}
_PERMISSION_ACTIONS: Final[dict[str, tuple[str, ...]]] = {
    "tdm": (DATA_MINING, SEARCH, INDEX),
    "ai-use": (AI_TRAINING, AI_AUGMENT),
    "ai-training": (AI_TRAINING,),
    "genai-training": (GEN_AI,),
    "non-generative-training": (),
    "ai-inference": (AI_AUGMENT,),
    "ai-index": (),
    "search": (SEARCH,),
}
BASIS_DPV: Final = {
    "explicit-consent": DPV + "ExplicitlyExpressedConsent",
    "no-objection": DPV + "LegitimateInterest",
    "terms-of-service": DPV + "Contract",
    "license": DPV + "Contract",
    "statutory-exception": DPV + "LegalBasis",
    "unspecified": DPV + "LegalBasis",
}
CONSTRAINT_DPV: Final = {
    "research": DPV + "ResearchAndDevelopment",
    "non-commercial": DPV + "NonCommercialPurpose",
}
DUTY_ACTIONS: Final = {"attribute": "attribute", "compensate": "compensate", "notify": "inform"}


def _compact_action(iri: str) -> str:
    return iri.replace(ODRL, "odrl:") if iri.startswith(ODRL) else iri


def _prohibition_cover(leaves: frozenset[str]) -> list[str]:
    """ODRL prohibition actions that cover the leaves (perhaps more: index includes search)."""
    if leaves == frozenset(LEAVES):
        return [DATA_MINING, SEARCH, INDEX]
    actions: list[str] = []
    if {
        "genai-training",
        "non-generative-training",
    } <= leaves or "non-generative-training" in leaves:
        actions.append(AI_TRAINING)
    elif "genai-training" in leaves:
        actions.append(GEN_AI)
    if "ai-inference" in leaves:
        actions.append(AI_AUGMENT)
    if "ai-index" in leaves:
        actions.append(INDEX)
    if "search" in leaves:
        actions.append(SEARCH)
    return actions


def _covered(actions: Iterable[str]) -> frozenset[str]:
    return frozenset().union(*(_PROHIBITION_LEAVES[a] for a in actions))


@dataclass(slots=True)
class _Out:
    """A rule being written: its leaves, the leaves ODRL can state it for, and its actions."""

    kind: Kind
    purpose: str
    constraints: list[str]
    duties: list[str]
    leaves: frozenset[str]
    writable: frozenset[str] = frozenset()
    actions: list[str] = field(default_factory=list)
    alive: bool = True
    for_agents: bool = False  # a prohibition that aiconsent limits to some agents


LossSink = Callable[[Literal["widened", "dropped", "lost"], str], None]


def write_odrl(declarations: Sequence[dict[str, Any]]) -> Written:
    """Each declaration as a plain ODRL 2.2 `Set` (JSON-LD), and everything ODRL cannot carry."""
    losses: list[Loss] = []
    policies = [_write_one(value, losses) for value in declarations]
    if len(policies) == 1:
        document: Any = policies[0]
    else:
        document = {
            "@context": [ODRL_CONTEXT, {"dpv": DPV}],
            "@graph": [{k: v for k, v in p.items() if k != "@context"} for p in policies],
        }
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    return Written(text, "application/ld+json", losses)


def _write_one(value: Mapping[str, Any], losses: list[Loss]) -> dict[str, Any]:
    tree = purpose_tree()
    ident = str(value.get("id", ""))

    def loss(kind: Literal["widened", "dropped", "lost"], detail: str) -> None:
        losses.append(Loss(kind, detail, ident or None))

    party = value.get("declaredBy", {})
    policy: dict[str, Any] = {
        "@context": [ODRL_CONTEXT, {"dpv": DPV}],
        "@type": "Set",
        "uid": ident,
        "profile": AI_PROFILE,
        "conflict": "prohibit",
    }
    if party.get("id"):
        policy["assigner"] = party["id"]
    loss("lost", f"the party's role ({party.get('role', '?')})")
    if party.get("name"):
        loss("lost", "the party's name")
    loss("lost", "declaredAt")
    if "basis" in value:
        policy["dpv:hasLegalBasis"] = {"@id": BASIS_DPV.get(value["basis"], DPV + "LegalBasis")}
        loss("lost", f"basis {value['basis']} (written as dpv:hasLegalBasis, outside ODRL)")
    if value.get("retroactive"):
        loss("lost", "retroactive")
    if "content" in value:
        loss("lost", "content facts")
    for key in ("policyUrl", "withdrawalUrl", "evidence"):
        if key in value:
            loss("lost", key)
    targets: list[Any] = []
    patterns = []
    for target in value.get("target", []):
        if "url" in target:
            targets.append(target["url"])
        elif "collection" in target:
            targets.append({"@type": "AssetCollection", "uid": target["collection"]})
        elif "sha256" in target:
            targets.append(_ni(target["sha256"]))
        elif "urlPattern" in target:
            patterns.append(target["urlPattern"])
    if patterns:
        loss("lost", f"target urlPattern {', '.join(patterns)}")
    if targets:
        policy["target"] = targets if len(targets) > 1 else targets[0]
    unscoped = bool(patterns) and not targets

    common: list[dict[str, Any]] = []
    if value.get("jurisdiction"):
        codes = sorted(_jurisdiction_members(value["jurisdiction"]))
        common.append({"leftOperand": "spatial", "operator": "isAnyOf", "rightOperand": codes})
    if value.get("validFrom"):
        common.append(_time_constraint("gteq", value["validFrom"]))
    if value.get("validUntil"):
        common.append(_time_constraint("lt", value["validUntil"]))

    outs: list[_Out] = []
    for rule in value.get("prohibition", []):
        purpose = rule["purpose"]
        agents = bool(rule.get("agent"))
        if agents:
            loss(
                "widened",
                f"prohibition of {purpose} for agents {', '.join(rule['agent'])} written for "
                "everyone",
            )
        constraints = list(rule.get("constraint", []))
        leaves = tree.leaves[purpose]
        outs.append(_Out("prohibition", purpose, constraints, [], leaves, for_agents=agents))
    if unscoped and outs:
        loss("widened", "prohibitions of a urlPattern target written without a target")
    for rule in value.get("permission", []):
        purpose = rule["purpose"]
        if rule.get("agent"):
            loss("dropped", f"permission of {purpose} for agents {', '.join(rule['agent'])}")
        elif value.get("retroactive") is not True:
            loss(
                "dropped",
                f"permission of {purpose}: not retroactive, and ODRL cannot limit it to content "
                "created from declaredAt on",
            )
        elif unscoped:
            loss("dropped", f"permission of {purpose}: its urlPattern target cannot be written")
        else:
            outs.append(
                _Out(
                    "permission",
                    purpose,
                    list(rule.get("constraint", [])),
                    list(rule.get("duty", [])),
                    tree.leaves[purpose],
                )
            )
    _resolve_for_odrl(outs, loss, scoped=bool(value.get("jurisdiction")))

    withdrawn = value.get("withdrawnAt")
    if withdrawn:
        loss("lost", "withdrawnAt as a property (written as dateTime constraints on the rules)")
    permissions: list[dict[str, Any]] = []
    prohibitions: list[dict[str, Any]] = []
    for out in outs:
        if not out.alive:
            continue
        for action in out.actions:
            written: dict[str, Any] = {"action": _compact_action(action)}
            constraints = list(common)
            if out.kind == "prohibition" and out.constraints:
                names = [CONSTRAINT_DPV[c] for c in sorted(out.constraints)]
                constraints.append(_purpose_constraint(names))
            if out.kind == "permission":
                constraints += [_purpose_constraint([CONSTRAINT_DPV[c]]) for c in out.constraints]
                if withdrawn:
                    constraints.append(_time_constraint("lt", withdrawn))
                if out.duties:
                    written["duty"] = [{"action": DUTY_ACTIONS[d]} for d in sorted(out.duties)]
            if constraints:
                written["constraint"] = constraints
            (permissions if out.kind == "permission" else prohibitions).append(written)
            if out.kind == "prohibition" and withdrawn and value.get("validUntil"):
                # a withdrawn declaration takes part from withdrawnAt on, past validUntil
                after = [c for c in constraints if c.get("leftOperand") != "dateTime"]
                after.append(_time_constraint("gteq", withdrawn))
                prohibitions.append({"action": written["action"], "constraint": after})
    if withdrawn:
        # From withdrawnAt on every permission is a refusal of its purpose, whatever its agents
        # and constraints, and whether or not ODRL could state the permission itself.
        after = [c for c in common if c.get("leftOperand") == "spatial"]
        after.append(_time_constraint("gteq", withdrawn))
        refused = frozenset().union(
            *(tree.leaves[rule["purpose"]] for rule in value.get("permission", []))
        )
        actions = _prohibition_cover(refused) if refused else []
        extra = _covered(actions) - refused
        if extra:
            loss(
                "widened",
                f"withdrawn permissions written as refusals that also cover "
                f"{', '.join(sorted(extra))}",
            )
        prohibitions += [{"action": _compact_action(a), "constraint": after} for a in actions]
    if permissions:
        policy["permission"] = permissions
    if prohibitions:
        policy["prohibition"] = prohibitions
    return policy


def _purpose_constraint(iris: list[str]) -> dict[str, Any]:
    if len(iris) == 1:
        return {"leftOperand": "purpose", "operator": "eq", "rightOperand": {"@id": iris[0]}}
    return {
        "leftOperand": "purpose",
        "operator": "isAnyOf",
        "rightOperand": [{"@id": iri} for iri in iris],
    }


def _time_constraint(operator: str, moment: str) -> dict[str, Any]:
    return {
        "leftOperand": "dateTime",
        "operator": operator,
        "rightOperand": {"@value": moment, "@type": "xsd:dateTime"},
    }


def _permission_leaves(actions: Iterable[str]) -> frozenset[str]:
    tree = purpose_tree()
    return frozenset().union(
        *(tree.leaves[p] for action in actions for p in PERMISSION_PURPOSES[action])
    )


def _resolve_for_odrl(outs: list[_Out], loss: LossSink, *, scoped: bool = False) -> None:
    """Choose actions so that ODRL's `conflict: prohibit` gives aiconsent's answer.

    A broader prohibition is split around a narrower unconditional permission where ODRL has
    actions for the rest; where it has none (the non-generative and AI-index leaves) the
    prohibition is kept whole and the narrower permission is dropped (spec §9.9). A permission
    with constraints, or in a declaration limited to some jurisdictions (whose permissions do
    not apply where the place is unknown, while its prohibitions do), is never carved out.
    """
    prohibitions = [o for o in outs if o.kind == "prohibition"]
    permissions = [o for o in outs if o.kind == "permission"]
    for permitted in permissions:
        permitted.actions = list(_PERMISSION_ACTIONS[permitted.purpose])
        permitted.writable = _permission_leaves(permitted.actions)
        missing = permitted.leaves - permitted.writable
        if not permitted.actions:
            permitted.alive = False
            loss("dropped", f"permission of {permitted.purpose}: ODRL has no action this narrow")
        elif missing:
            loss(
                "dropped",
                f"permission of {permitted.purpose} for {', '.join(sorted(missing))} "
                "(odrl:index would include search indexes)",
            )
    for permitted in permissions:
        broader = next(
            (q for q in prohibitions if _strictly_under(permitted.purpose, q.purpose)), None
        )
        if permitted.alive and (permitted.constraints or scoped) and broader is not None:
            permitted.alive = False
            condition = (
                f"with constraint {', '.join(permitted.constraints)}"
                if permitted.constraints
                else "in a jurisdiction-limited declaration"
            )
            loss(
                "dropped",
                f"permission of {permitted.purpose} {condition} under a prohibition of "
                f"{broader.purpose} (ODRL has no most-specific-wins)",
            )
    covered_all: set[str] = set()
    for prohibited in prohibitions:
        carved = frozenset().union(
            *(
                p.writable
                for p in permissions
                if p.alive and _strictly_under(p.purpose, prohibited.purpose)
            )
        )
        remaining = prohibited.leaves - carved
        prohibited.actions = _prohibition_cover(remaining) if remaining else []
        covered = _covered(prohibited.actions)
        covered_all |= covered
        extra = covered - prohibited.leaves
        if extra:
            loss(
                "widened",
                f"prohibition of {prohibited.purpose} written as "
                f"{', '.join(_compact_action(a) for a in prohibited.actions)}, which also "
                f"covers {', '.join(sorted(extra))}",
            )
    for permitted in permissions:
        if not permitted.alive:
            continue
        rightful = frozenset().union(
            *(
                q.leaves
                for q in prohibitions
                if _under(q.purpose, permitted.purpose) and not q.for_agents
            )
        )
        wrongly = (permitted.writable & covered_all) - rightful
        if wrongly:
            if wrongly >= permitted.writable - rightful:
                permitted.alive = False
            loss(
                "dropped",
                f"permission of {permitted.purpose} for {', '.join(sorted(wrongly))}: a "
                "prohibition had to be written wider than aiconsent states it",
            )
    for permitted in permissions:
        # Leave out actions whose leaves a narrower unconditional permission decides anyway:
        # read back, they would stand beside it at the same depth and add their duties.
        deeper = frozenset().union(
            *(
                p.writable
                for p in permissions
                if p.alive and not p.constraints and _strictly_under(p.purpose, permitted.purpose)
            )
        )
        permitted.actions = [
            action for action in permitted.actions if not _permission_leaves([action]) <= deeper
        ]


def _strictly_under(narrow: str, wide: str) -> bool:
    return narrow != wide and _under(narrow, wide)
