"""IETF aipref `Content-Usage` (spec §9.2): the HTTP field and the robots.txt rule's value.

A value is an RFC 9651 Dictionary whose keys are labels and whose values are the Tokens `y` and
`n`. Every label of drafts -01 to -07 is read (the deployed ones are old), with the asymmetric
mapping of §9.1: a refusal takes the widest meaning a label ever had, a grant the narrowest.
Only the -07 labels `train-ai` and `search` are written. This module also holds what the three
robots.txt-family writers share: turning declarations into one decision per leaf purpose.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, Final, Literal

from http_sfv.dictionary import Dictionary
from http_sfv.item import Item
from http_sfv.types import Token

from aiconsent.dates import parse_datetime
from aiconsent.formats.common import (
    EVIDENCE_LIMIT,
    PURPOSES,
    Loss,
    Origin,
    Written,
    declaration,
    evidence_iri,
    found,
    now,
    unreadable,
)
from aiconsent.model.found import ReadResult
from aiconsent.vocabulary.purposes import purpose_tree

CARRIER: Final = "http-header"
FIELD: Final = "Content-Usage"
MAX_BYTES: Final = 10 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Label:
    """What one aipref label means in aiconsent terms, read each way (spec §9.2 table)."""

    drafts: str
    refused: tuple[str, ...]  # purposes `n` prohibits: the widest meaning the label had
    granted: tuple[str, ...]  # purposes `y` permits: the narrowest meaning
    # (narrower label, purpose): that purpose is left to the narrower label when it is set,
    # as the label hierarchy of its draft had it (-04: search is inside ai-output)
    defers: tuple[tuple[str, str], ...] = ()


LABELS: Final[dict[str, Label]] = {
    "tdm": Label("-01", ("tdm",), ("tdm",)),
    "ai": Label("-01", ("ai-training",), ("ai-training",)),
    "genai": Label("-01", ("genai-training",), ("genai-training",)),
    "inference": Label("-01", ("ai-inference",), ("ai-inference",)),
    "all": Label("-02", ("tdm",), ("tdm",)),
    "bots": Label("-03, -04", ("tdm",), ("tdm",)),
    "train-genai": Label("-02, -03", ("genai-training",), ("genai-training",)),
    "ai-use": Label("-02", ("ai-use",), ("ai-inference",)),
    "ai-output": Label(
        "-04", ("ai-inference", "search"), ("ai-inference",), (("search", "search"),)
    ),
    "train-ai": Label("-02 to -07", ("ai-training",), ("genai-training",)),
    "search": Label("all", ("search",), ("search",)),
}
# The -07 labels a writer may use, and the leaf purpose each carries exactly.
WRITTEN_LABELS: Final = (("train-ai", "genai-training"), ("search", "search"))
_ORDER: Final = {purpose: index for index, purpose in enumerate(PURPOSES)}


_UNRESERVED: Final = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~")


@lru_cache(maxsize=8192)
def evidence(raw: str) -> str:
    """common.evidence_iri, several times faster for ASCII text (readers of site files run at
    tens of thousands of documents a second): percent-encode only the characters present."""
    if len(raw) > EVIDENCE_LIMIT or not raw.isascii():
        return evidence_iri(raw)
    unsafe = set(raw) - _UNRESERVED
    text = raw.replace("%", "%25") if "%" in unsafe else raw
    for character in unsafe - {"%"}:
        text = text.replace(character, f"%{ord(character):02X}")
    return "data:text/plain;charset=utf-8," + text


def with_evidence(value: dict[str, Any] | None, raw: str) -> dict[str, Any] | None:
    """Add the raw signal to a declaration made without it (see evidence)."""
    if value is not None:
        carrier = value.pop("carrier")
        value["evidence"] = evidence(raw)
        value["carrier"] = carrier
    return value


# -- parsing -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AiprefParse:
    """One Content-Usage value as aipref sees it, before any mapping to aiconsent purposes."""

    raw: str
    ok: bool = True  # False: the value did not parse, so every category is unknown
    error: str | None = None
    preferences: dict[str, bool] = field(default_factory=dict)  # known label -> allow?
    unknown: tuple[str, ...] = ()  # known labels whose value is not the Token y or n
    ignored: tuple[str, ...] = ()  # labels aipref does not define (ignored, as it requires)
    parameters: dict[str, str] = field(default_factory=dict)  # label -> ";k=v" (not interpreted)

    @property
    def empty(self) -> bool:
        return self.ok and not self.preferences and not self.unknown


def _lines(value: str | bytes | Sequence[str | bytes]) -> list[bytes]:
    if isinstance(value, str | bytes):
        value = [value]
    lines = []
    for line in value:
        data = line if isinstance(line, bytes) else line.encode("utf-8", "surrogatepass")
        lines.append(data.strip(b" \t"))
    return lines


def parse_content_usage(value: str | bytes | Sequence[str | bytes]) -> AiprefParse:
    """Parse a Content-Usage value strictly (RFC 9651 Dictionary, aipref vocab §6-7).

    Several field lines form one Dictionary (RFC 9651 §4.2). A parse failure, including an
    upper-case key or any byte outside ASCII, makes everything unknown; a known label whose
    value is not the Token `y` or `n` is unknown; unknown labels and all parameters are ignored.
    The result may be shared with other callers (values repeat a lot): do not change it.
    """
    if isinstance(value, str | bytes):
        return _parse_one(value) if len(value) <= 256 else _parse(b", ".join(_lines(value)))
    return _parse(b", ".join(_lines(value)))


@lru_cache(maxsize=4096)
def _parse_one(value: str | bytes) -> AiprefParse:
    return _parse(b", ".join(_lines(value)))


def _parse(joined: bytes) -> AiprefParse:
    raw = joined.decode("utf-8", "replace")
    if not joined:
        return AiprefParse(raw)  # an empty field: an empty Dictionary, no preference
    dictionary = Dictionary()
    try:
        dictionary.parse(joined)
    except Exception as error:  # http_sfv raises ValueError, but a parser bug must not escape
        return AiprefParse(raw, ok=False, error=str(error) or "not an RFC 9651 Dictionary")
    preferences: dict[str, bool] = {}
    unknown: list[str] = []
    ignored: list[str] = []
    parameters: dict[str, str] = {}
    for key, member in dictionary.items():
        if key not in LABELS:
            ignored.append(key)
            continue
        params = getattr(member, "params", None)
        if params:
            parameters[key] = str(params)
        if isinstance(member, Item) and type(member.value) is Token:
            if member.value == "y":
                preferences[key] = True
                continue
            if member.value == "n":
                preferences[key] = False
                continue
        unknown.append(key)
    return AiprefParse(raw, True, None, preferences, tuple(unknown), tuple(ignored), parameters)


def combine(parses: Sequence[AiprefParse]) -> AiprefParse:
    """Several statements about one resource, most restrictive per label (aipref vocab §7.1).

    A statement that failed to parse says nothing to aipref, but aiconsent keeps the failure
    so that it becomes an unreadable marker; so does a label left unknown by any statement.
    """
    if len(parses) == 1:
        return parses[0]
    preferences: dict[str, bool] = {}
    unknown: list[str] = []
    ignored: list[str] = []
    parameters: dict[str, str] = {}
    errors = [p.error or "not an RFC 9651 Dictionary" for p in parses if not p.ok]
    for parse in parses:
        for label, allow in parse.preferences.items():
            preferences[label] = preferences.get(label, True) and allow
        unknown.extend(label for label in parse.unknown if label not in unknown)
        ignored.extend(label for label in parse.ignored if label not in ignored)
        parameters.update(parse.parameters)
    raw = "\n".join(parse.raw for parse in parses)
    error = "; ".join(errors) if errors else None
    return AiprefParse(
        raw, not errors, error, preferences, tuple(unknown), tuple(ignored), parameters
    )


def _sorted(purposes: Iterable[str]) -> list[str]:
    return sorted(set(purposes), key=_ORDER.__getitem__)


def aipref_rules(parse: AiprefParse) -> tuple[list[str], list[str], list[str]]:
    """(permitted purposes, prohibited purposes, unreadable purposes) per spec §9.1-9.2.

    `n` maps to the widest meaning of its label, `y` to the narrowest; where two labels of
    different drafts name the same purpose and disagree, the refusal wins (most restrictive).
    A parse failure gives no rule and makes every purpose unreadable (`tdm` covers them all).
    """
    if not parse.ok:
        return [], [], ["tdm"]
    granted: set[str] = set()
    refused: set[str] = set()
    for label, allow in parse.preferences.items():
        meaning = LABELS[label]
        purposes = set(meaning.granted if allow else meaning.refused)
        purposes -= {p for narrower, p in meaning.defers if narrower in parse.preferences}
        (granted if allow else refused).update(purposes)
    unreadable_purposes = {p for label in parse.unknown for p in LABELS[label].refused}
    return _sorted(granted - refused), _sorted(refused), _sorted(unreadable_purposes)


def rules_of(purposes: Iterable[str], agents: Sequence[str] = ()) -> list[dict[str, Any]]:
    """Compact rules for purposes, scoped to agents when there are any."""
    if agents:
        return [{"purpose": purpose, "agent": list(agents)} for purpose in purposes]
    return [{"purpose": purpose} for purpose in purposes]


def add_parse(
    result: ReadResult,
    parse: AiprefParse,
    origin: Origin,
    carrier: str,
    *,
    raw: str,
    agents: Sequence[str] = (),
    target: dict[str, str] | None = None,
    permissions_allowed: bool = True,
) -> None:
    """Add the declaration and unreadable markers one (combined) aipref statement yields."""
    granted, refused, unclear = aipref_rules(parse)
    if not parse.ok:
        message = f"{FIELD} does not parse ({parse.error}): every purpose is unknown"
        unreadable(result, origin, carrier, message)
    elif unclear:
        labels = ", ".join(parse.unknown)
        message = f"{FIELD}: {labels} not the Token y or n, so unknown"
        unreadable(result, origin, carrier, message, unclear)
    if parse.ignored:
        result.other.append({"ignored": {"format": "aipref", "labels": list(parse.ignored)}})
    if parse.parameters:
        result.other.append({"aipref-parameters": dict(parse.parameters)})
    value = declaration(
        origin,
        carrier,
        permission=rules_of(granted, agents) if permissions_allowed else [],
        prohibition=rules_of(refused, agents),
        target=target,
    )
    found(result, with_evidence(value, raw), origin, carrier)


# -- reading the HTTP field -----------------------------------------------------------------


def read_content_usage_header(
    values: str | Sequence[str], origin: Origin, *, complete: bool = True
) -> ReadResult:
    """Read the field lines of one HTTP message's `Content-Usage` (carrier http-header).

    `values` are the field line values in order; they form one Dictionary. complete=False says
    the last line may have been cut short, so it can refuse but not grant.
    """
    lines = [values] if isinstance(values, str) else list(values)
    result = ReadResult()
    if not lines:
        return result
    if sum(len(line) for line in lines) > MAX_BYTES:
        unreadable(result, origin, CARRIER, f"{FIELD} is larger than {MAX_BYTES} bytes")
        return result
    parse = parse_content_usage(lines[0] if len(lines) == 1 else lines)
    if parse.empty and not parse.ignored:
        return result
    raw = "\n".join(f"{FIELD}: {line}" for line in lines)
    add_parse(result, parse, origin, CARRIER, raw=raw, permissions_allowed=complete)
    if not complete:
        result.other.append({"note": f"the last {FIELD} line may be cut short: no permission"})
    return result


def header_lines(head: str, name: str) -> tuple[list[str], bool]:
    """The values of every field line called name in an HTTP message head, in order, and
    whether that field used obsolete line folding (RFC 9112 §5.2), which is not accepted."""
    lines = head.replace("\r\n", "\n").split("\n")
    if lines and (lines[0].startswith("HTTP/") or lines[0][:3].isdigit()):
        lines = lines[1:]  # the status line
    wanted = name.lower()
    values: list[str] = []
    folded = False
    previous_wanted = False
    for line in lines:
        if line[:1] in (" ", "\t"):
            folded = folded or previous_wanted
            continue
        key, colon, value = line.partition(":")
        previous_wanted = bool(colon) and key.strip(" \t").lower() == wanted
        if previous_wanted:
            values.append(value.strip(" \t\r"))
    return values, folded


def read_content_usage(data: bytes, origin: Origin) -> ReadResult:
    """Read `Content-Usage` from an HTTP message head (status line optional, body ignored).

    A head that does not end with an empty line may have been cut short (a later field line
    could be missing), so what it says can refuse but not grant.
    """
    result = ReadResult()
    if len(data) > MAX_BYTES:
        unreadable(result, origin, CARRIER, f"the message is larger than {MAX_BYTES} bytes")
        return result
    ends = [i for i in (data.find(b"\r\n\r\n"), data.find(b"\n\n")) if i >= 0]
    head = data[: min(ends)] if ends else data
    complete = bool(ends)
    values, folded = header_lines(head.decode("latin-1"), FIELD)
    if b"\x00" in head:
        unreadable(result, origin, CARRIER, "the message head contains NUL bytes")
        complete = False
    if folded:
        unreadable(result, origin, CARRIER, f"{FIELD} uses obsolete line folding")
        complete = False
    if values:
        result.extend(read_content_usage_header(values, origin, complete=complete))
    return result


# -- writing: every declaration resolved to one decision per leaf purpose -------------------

Kind = Literal["permission", "prohibition"]


@dataclass(frozen=True, slots=True)
class WritableRule:
    purpose: str
    agents: tuple[str, ...] = ()  # () = everyone


@dataclass(frozen=True, slots=True)
class Writable:
    """A declaration reduced to what a "now"-only format can say, after loss reporting."""

    id: str
    party: str
    declared_at: datetime
    permissions: tuple[WritableRule, ...]
    prohibitions: tuple[WritableRule, ...]
    targets: tuple[dict[str, str], ...]


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = parse_datetime(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _minor_or_private(content: Any) -> str | None:
    if not isinstance(content, dict):
        return None
    age = content.get("ageAtCreation")
    if content.get("minorAtCreation") is True or (isinstance(age, int) and age < 18):
        return "a minor's content"
    if content.get("visibility") == "private":
        return "private content"
    return None


def prepare_writable(
    value: dict[str, Any], format_name: str, *, agents: bool, at: datetime | None = None
) -> tuple[Writable | None, list[Loss]]:
    """Reduce one declaration to unconditional rules valid now, reporting every loss (§9.1).

    Permissions that carry anything the format cannot say (a condition, duty, end, place,
    agent where agents cannot be written, non-retroactive grant, minor's or private content)
    are dropped; prohibitions with such conditions are written without them (widened).
    """
    moment = at or now()
    ident = str(value.get("id", "")) or None
    losses: list[Loss] = []
    if value.get("type", "ConsentDeclaration") != "ConsentDeclaration":
        return None, [Loss("lost", f"{value.get('type')} is not a declaration", ident)]

    def drop(detail: str) -> None:
        losses.append(Loss("dropped", f"{detail}; {format_name} cannot say so", ident))

    def widen(detail: str) -> None:
        losses.append(Loss("widened", f"{detail}; written without it", ident))

    permissions = [r for r in value.get("permission", []) if isinstance(r, dict)]
    prohibitions = [r for r in value.get("prohibition", []) if isinstance(r, dict)]
    declared_at = _moment(value.get("declaredAt")) or moment
    valid_from = _moment(value.get("validFrom"))
    valid_until = _moment(value.get("validUntil"))
    withdrawn_at = _moment(value.get("withdrawnAt"))
    if valid_until is not None and valid_until <= moment and withdrawn_at is None:
        return None, [Loss("dropped", f"expired at {value['validUntil']}: not in force", ident)]
    if withdrawn_at is not None and withdrawn_at <= moment:
        # withdrawn consent is an objection to the same purposes, for everyone (§6.4 step 4)
        prohibitions = prohibitions + [{"purpose": r.get("purpose")} for r in permissions]
        permissions = []
    elif withdrawn_at is not None and permissions:
        drop(f"permissions end at the withdrawal {value['withdrawnAt']}")
        permissions = []
    start = max(declared_at, valid_from) if valid_from else declared_at
    if start > moment:
        if permissions:
            drop(f"permissions take effect only from {start.isoformat()}")
            permissions = []
        if prohibitions:
            widen(f"prohibitions take effect only from {start.isoformat()}")
    if valid_until is not None and valid_until > moment:
        if permissions:
            drop(f"permissions end at {value['validUntil']}")
            permissions = []
        if prohibitions:
            widen(f"prohibitions end at {value['validUntil']}")
    if value.get("jurisdiction"):
        places = ", ".join(value["jurisdiction"])
        if permissions:
            drop(f"permissions apply only in {places}")
            permissions = []
        if prohibitions:
            widen(f"prohibitions apply only in {places}")
    if permissions and value.get("retroactive") is not True:
        content = value.get("content") if isinstance(value.get("content"), dict) else {}
        created = _moment(content.get("createdAt")) if content else None
        if created is None or created < declared_at:
            drop("permissions cover only content created after declaredAt (not retroactive)")
            permissions = []
    reason = _minor_or_private(value.get("content"))
    if reason:
        kept = [r for r in permissions if not purpose_tree().is_ai(str(r.get("purpose")))]
        if len(kept) < len(permissions):
            drop(f"AI permissions for {reason} count only for some parties")
        permissions = kept
    kept_permissions: list[WritableRule] = []
    for rule in permissions:
        purpose = str(rule.get("purpose"))
        if rule.get("constraint") or rule.get("duty"):
            extras = [*rule.get("constraint", []), *rule.get("duty", [])]
            drop(f"permission of {purpose} with {', '.join(extras)}")
        elif rule.get("agent") and not agents:
            drop(f"permission of {purpose} for {', '.join(rule['agent'])} only")
        else:
            kept_permissions.append(WritableRule(purpose, tuple(rule.get("agent", ()))))
    kept_prohibitions: list[WritableRule] = []
    for rule in prohibitions:
        purpose = str(rule.get("purpose"))
        if rule.get("constraint"):
            widen(f"prohibition of {purpose} applies only to {', '.join(rule['constraint'])} use")
        scope: tuple[str, ...] = tuple(rule.get("agent", ()))
        if scope and not agents:
            widen(f"prohibition of {purpose} is for {', '.join(scope)} only")
            scope = ()
        kept_prohibitions.append(WritableRule(purpose, scope))
    if kept_permissions and value.get("basis") not in (None, "unspecified"):
        losses.append(Loss("lost", f"basis {value['basis']}", ident))
    tree = purpose_tree()
    unknown = [r for r in (*kept_permissions, *kept_prohibitions) if r.purpose not in tree.depth]
    if unknown:
        return None, [*losses, Loss("lost", "a rule with an unknown purpose", ident)]
    by = value.get("declaredBy")
    party = by.get("id") if isinstance(by, dict) else None
    targets = tuple(t for t in value.get("target", []) if isinstance(t, dict))
    writable = Writable(
        ident or "",
        str(party or ident or ""),
        declared_at,
        tuple(kept_permissions),
        tuple(kept_prohibitions),
        targets,
    )
    return writable, losses


def prepare_all(
    declarations: Sequence[dict[str, Any]], format_name: str, *, agents: bool, at: datetime | None
) -> tuple[list[Writable], list[Loss]]:
    writables: list[Writable] = []
    losses: list[Loss] = []
    for value in declarations:
        writable, lost = prepare_writable(value, format_name, agents=agents, at=at)
        losses.extend(lost)
        if writable is not None and (writable.permissions or writable.prohibitions):
            writables.append(writable)
    return writables, losses


Decisions = dict[str, tuple[Kind, str]]  # leaf -> (kind, id of the deciding declaration)


def _own_leaves(item: Writable, token: str | None) -> dict[str, Kind]:
    """Inside one declaration the most specific applicable rule decides (§6.4 step 6)."""
    tree = purpose_tree()
    best: dict[str, tuple[int, Kind]] = {}
    rules: tuple[tuple[Kind, tuple[WritableRule, ...]], ...] = (
        ("permission", item.permissions),
        ("prohibition", item.prohibitions),
    )
    for kind, group in rules:
        for rule in group:
            if rule.agents and (token is None or token not in {a.lower() for a in rule.agents}):
                continue
            depth = tree.depth[rule.purpose]
            for leaf in tree.leaves[rule.purpose]:
                current = best.get(leaf)
                if (
                    current is None
                    or depth > current[0]
                    or (depth == current[0] and kind == "prohibition")
                ):
                    best[leaf] = (depth, kind)
    return {leaf: kind for leaf, (_, kind) in best.items()}


def decide_leaves(items: Iterable[Writable], token: str | None = None) -> Decisions:
    """One decision per leaf as §6.4 steps 6-9 give it: the newest declaration decides for its
    party (a prohibition wins a tie), and a prohibition from any party wins across parties.

    token: the agent the decisions are for (lower case); None for everyone, when only rules
    without `agent` apply.
    """
    parties: dict[str, dict[str, tuple[datetime, Kind, str]]] = {}
    for item in items:
        decided = parties.setdefault(item.party, {})
        for leaf, kind in _own_leaves(item, token).items():
            current = decided.get(leaf)
            if (
                current is None
                or item.declared_at > current[0]
                or (item.declared_at == current[0] and kind == "prohibition")
            ):
                decided[leaf] = (item.declared_at, kind, item.id)
    result: Decisions = {}
    for decided in parties.values():
        for leaf, (_, kind, ident) in decided.items():
            if leaf not in result or (kind == "prohibition" and result[leaf][0] != "prohibition"):
                result[leaf] = (kind, ident)
    return result


def aipref_labels(decisions: Decisions, where: str = "") -> tuple[dict[str, bool], list[Loss]]:
    """The -07 labels for per-leaf decisions, and the leaves they cannot carry."""
    labels: dict[str, bool] = {}
    covered = set()
    for label, leaf in WRITTEN_LABELS:
        if leaf in decisions:
            labels[label] = decisions[leaf][0] == "permission"
            covered.add(leaf)
    losses = [
        leaf_loss(kind, leaf, "Content-Usage has no label for it", ident, where)
        for leaf, (kind, ident) in sorted(decisions.items())
        if leaf not in covered
    ]
    return labels, losses


def leaf_loss(kind: Kind, leaf: str, why: str, ident: str, where: str) -> Loss:
    scope = f" {where}" if where else ""
    if kind == "permission":
        return Loss("dropped", f"permission of {leaf}{scope}: {why}", ident or None)
    return Loss("lost", f"prohibition of {leaf}{scope}: {why}", ident or None)


def serialise_labels(labels: dict[str, bool]) -> str:
    order = [label for label, _ in WRITTEN_LABELS]
    return ", ".join(
        f"{label}={'y' if labels[label] else 'n'}" for label in order if label in labels
    )


def unique(losses: Iterable[Loss]) -> list[Loss]:
    seen: set[tuple[str, str, str | None]] = set()
    kept = []
    for loss in losses:
        key = (loss.kind, loss.detail, loss.declaration)
        if key not in seen:
            seen.add(key)
            kept.append(loss)
    return kept


def write_content_usage(
    declarations: Sequence[dict[str, Any]], *, at: datetime | None = None
) -> Written:
    """The `Content-Usage` field value for a response the declarations are about (§9.2).

    Only `train-ai` (generative training) and `search` are written; agent-scoped rules cannot
    be, so such prohibitions are widened to everyone and such permissions dropped.
    """
    writables, losses = prepare_all(declarations, "Content-Usage", agents=False, at=at)
    labels, lost = aipref_labels(decide_leaves(writables))
    return Written(serialise_labels(labels), "text/plain", unique([*losses, *lost]))
