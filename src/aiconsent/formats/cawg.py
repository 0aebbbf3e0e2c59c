"""CAWG and C2PA training-and-data-mining assertions (spec §9.10).

A reader here sees the assertion data as JSON (what c2pa.Reader reports); getting it out of a
signed file, and checking the signature, is the C2PA SDK's job. `constrained` is read as a
prohibition: aiconsent v1 defines no machine-readable `constraint_info`, and a reader that
treats it as allowed fails open. The leaf resolution used by the writer also serves the IPTC
writer, which has the same problem: one value per use, no "most specific wins".
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Final, Literal

from aiconsent.formats.common import Loss, Origin, Written, declaration, found, unreadable
from aiconsent.model.found import ReadResult
from aiconsent.vocabulary.purposes import purpose_tree

CARRIER: Final = "c2pa"
LABEL: Final = "cawg.training-mining"
LEGACY_LABEL: Final = "c2pa.training-mining"
LABELS: Final = (LABEL, LEGACY_LABEL)
MAX_BYTES: Final = 10 * 1024 * 1024
MAX_DEPTH: Final = 64

# entry (without its cawg./c2pa. prefix) -> (purpose of a prohibition, purpose of a permission)
ENTRIES: Final[dict[str, tuple[str, str | None]]] = {
    "data_mining": ("tdm", None),
    "ai_inference": ("ai-inference", "ai-inference"),
    "ai_generative_training": ("genai-training", "genai-training"),
    "ai_training": ("non-generative-training", "non-generative-training"),
}
USES: Final = ("allowed", "notAllowed", "constrained")
_INSTANCE: Final = re.compile(r"__\d+$")  # C2PA marks a repeated label as label__1, label__2

Use = Literal["allowed", "notAllowed", "constrained"]


def _note(result: ReadResult, origin: Origin, message: str) -> None:
    result.other.append({"note": message, "source": origin.source, "carrier": CARRIER})


def base_label(label: str) -> str:
    """The assertion label without a C2PA instance suffix."""
    return _INSTANCE.sub("", label)


@dataclass(slots=True)
class _Entries:
    """What one or more assertions say per entry, before mapping."""

    uses: dict[str, list[Use]] = field(default_factory=dict)
    unrecognised: dict[str, list[str]] = field(default_factory=dict)
    infos: dict[str, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    broken: list[str] = field(default_factory=list)


def _collect(assertion: Any, label: str, entries: _Entries) -> None:
    """Add one assertion's entries; both layouts (CAWG 1.1 `entries`, C2PA 1.x top level)."""
    if base_label(label) not in LABELS:
        entries.broken.append(f"label {label[:80]!r} is not a training-mining assertion")
        return
    if not isinstance(assertion, dict):
        entries.broken.append(f"{label}: the assertion data is not a JSON object")
        return
    maps: list[Mapping[str, Any]] = []
    if "entries" in assertion:
        if isinstance(assertion["entries"], dict):
            maps.append(assertion["entries"])
        else:
            entries.broken.append(f"{label}: `entries` is not an object")
    top = {k: v for k, v in assertion.items() if k not in ("entries", "metadata")}
    if top:
        maps.append(top)  # the C2PA 1.4 CDDL layout
    for mapping in maps:
        for key, value in mapping.items():
            prefix, _, name = str(key).partition(".")
            if prefix not in ("cawg", "c2pa") or name not in ENTRIES:
                entries.notes.append(f"{label}: entry {str(key)[:80]!r} ignored (not a known use)")
                continue
            use = value.get("use") if isinstance(value, dict) else None
            if isinstance(use, str) and use in USES:
                entries.uses.setdefault(name, []).append(use)  # type: ignore[arg-type]
                info = value.get("constraint_info", value.get("constraints_info"))
                if use == "constrained" and isinstance(info, str) and info.strip():
                    entries.infos.setdefault(name, []).append(info.strip()[:500])
            else:
                shown = json.dumps(use if use is not None else value, ensure_ascii=False)
                entries.unrecognised.setdefault(name, []).append(shown[:80])


def _emit(
    entries: _Entries,
    origin: Origin,
    result: ReadResult,
    raw: str,
    *,
    signer: str | None,
    declared_at: datetime | None,
    permissions_allowed: bool = True,
) -> None:
    """Entries combined most-restrictively per use, as one declaration (spec §9.10)."""
    for message in entries.notes:
        _note(result, origin, message)
    if entries.broken:
        unreadable(result, origin, CARRIER, "; ".join(entries.broken))
    permissions: list[dict[str, Any]] = []
    prohibitions: list[dict[str, Any]] = []
    for name, (prohibited, permitted) in ENTRIES.items():
        uses = set(entries.uses.get(name, []))
        if name in entries.unrecognised:
            values = ", ".join(entries.unrecognised[name])
            unreadable(result, origin, CARRIER, f"{name}: unrecognised use {values}", [prohibited])
        if uses & {"notAllowed", "constrained"}:
            prohibitions.append({"purpose": prohibited})
            for info in entries.infos.get(name, []):
                _note(result, origin, f"{name} constrained (read as notAllowed): {info}")
            if "constrained" in uses and name not in entries.infos:
                _note(result, origin, f"{name} constrained without constraint_info: notAllowed")
        elif uses == {"allowed"} and name not in entries.unrecognised:
            if permitted is None:
                _note(result, origin, f"{name} allowed: dropped (no aiconsent purpose lies in it)")
            elif permissions_allowed:
                permissions.append({"purpose": permitted})
    party = replace(origin, party=signer) if signer else origin
    value = declaration(
        party,
        CARRIER,
        permission=permissions,
        prohibition=prohibitions,
        raw=raw,
        declared_at=declared_at,
    )
    found(result, value, origin, CARRIER)


def read_training_mining(
    assertion: Any,
    origin: Origin,
    *,
    label: str,
    signer: str | None = None,
    declared_at: datetime | None = None,
) -> ReadResult:
    """The data of one `cawg.training-mining` or `c2pa.training-mining` assertion.

    `signer` is the party IRI of the manifest signer (`ni:///sha-256;` + the digest of the
    signing certificate) and `declared_at` the signing time, when the caller knows them.
    """
    result = ReadResult()
    entries = _Entries()
    _collect(assertion, label, entries)
    raw = _raw({"label": label, "data": assertion})
    _emit(entries, origin, result, raw, signer=signer, declared_at=declared_at)
    return result


def read_training_mining_json(
    data: bytes | str,
    origin: Origin,
    *,
    label: str,
    signer: str | None = None,
    declared_at: datetime | None = None,
) -> ReadResult:
    """As read_training_mining, from the assertion's JSON text."""
    try:
        assertion = parse_json(data)
    except ValueError as error:
        result = ReadResult()
        unreadable(result, origin, CARRIER, f"{label}: {error}")
        return result
    return read_training_mining(
        assertion, origin, label=label, signer=signer, declared_at=declared_at
    )


def _raw(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    except (TypeError, ValueError, RecursionError):
        return repr(value)[:4096]


def _strict_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for key, item in pairs:
        if key in value:
            raise ValueError(f"duplicate key {key!r}")
        value[key] = item
    return value


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_json(data: bytes | str) -> Any:
    """Strict JSON (no duplicate keys, no NaN, bounded size and depth); ValueError otherwise."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if len(raw) > MAX_BYTES:
        raise ValueError(f"larger than {MAX_BYTES} bytes")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValueError(f"not UTF-8: {error.reason}") from None
    try:
        value = json.loads(text, object_pairs_hook=_strict_object, parse_constant=_reject_constant)
    except RecursionError:
        raise ValueError("nested too deeply") from None
    except json.JSONDecodeError as error:
        raise ValueError(f"not JSON: {error}") from None
    if depth_of(value) > MAX_DEPTH:
        raise ValueError(f"nested deeper than {MAX_DEPTH}")
    return value


def depth_of(value: Any) -> int:
    """How deeply arrays and objects nest in a parsed JSON value (without recursion)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for child in item.values())
            deepest = max(deepest, depth + 1)
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
            deepest = max(deepest, depth + 1)
    return deepest


# --------------------------------------------------------------------------- manifest stores


@dataclass(frozen=True, slots=True)
class ManifestStoreReading:
    """The training-mining signal of a manifest store's active manifest, with the validation
    outcome passed through so that a caller can refuse what it does not trust."""

    result: ReadResult
    validation_state: str | None
    active_manifest: str | None
    failures: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()


def read_manifest_store(
    store: Any,
    origin: Origin,
    *,
    signer: str | None = None,
    invalid: Literal["unreadable", "read"] = "unreadable",
    trusted_states: tuple[str, ...] = ("Valid", "Trusted"),
) -> ManifestStoreReading:
    """The training-mining assertions of the ACTIVE manifest of a c2pa.Reader JSON report.

    Ingredient manifests describe other assets and are not read. Both labels are read and
    combined most-restrictively per entry. A store whose validation_state is neither `Valid`
    nor `Trusted` gives an unreadable marker and only its prohibitions (spec §9.10), unless
    `invalid="read"`. With trust anchors configured a caller passes `trusted_states=
    ("Trusted",)`: a manifest that validates but whose signer does not chain to an anchor is
    then treated like an invalid one.
    """
    result = ReadResult()
    if isinstance(store, bytes | str):
        try:
            store = parse_json(store)
        except ValueError as error:
            unreadable(result, origin, CARRIER, f"C2PA manifest store: {error}")
            return ManifestStoreReading(result, None, None)
    if not isinstance(store, dict):
        unreadable(result, origin, CARRIER, "C2PA manifest store is not a JSON object")
        return ManifestStoreReading(result, None, None)
    state = (
        store.get("validation_state") if isinstance(store.get("validation_state"), str) else None
    )
    failures = tuple(_failure_codes(store))
    active = store.get("active_manifest")
    if active is None:
        return ManifestStoreReading(result, state, None, failures)
    manifest = _manifest(store.get("manifests"), active)
    if manifest is None:
        unreadable(result, origin, CARRIER, "the active manifest is missing from the store")
        return ManifestStoreReading(result, state, str(active)[:200], failures)
    assertions = manifest.get("assertions")
    entries = _Entries()
    labels: list[str] = []
    evidence: list[Any] = []
    for assertion in assertions if isinstance(assertions, list) else []:
        if not isinstance(assertion, dict) or not isinstance(assertion.get("label"), str):
            continue
        label = assertion["label"]
        if base_label(label) in LABELS:
            labels.append(label)
            evidence.append({"label": label, "data": assertion.get("data")})
            _collect(assertion.get("data"), label, entries)
    trusted = state in trusted_states
    refuse = not trusted and invalid == "unreadable"
    if refuse and state == "Valid":
        unreadable(
            result,
            origin,
            CARRIER,
            f"C2PA manifest {str(active)[:120]} validates but its signer does not chain to "
            "the trust anchors given",
        )
    elif refuse:
        unreadable(
            result,
            origin,
            CARRIER,
            f"C2PA manifest {str(active)[:120]} did not validate (validation_state "
            f"{state or 'absent'}: {', '.join(failures) or 'no details'})",
        )
    if labels:
        _emit(
            entries,
            origin,
            result,
            _raw(evidence),
            signer=signer,
            declared_at=_signing_time(manifest),
            permissions_allowed=not refuse,
        )
    return ManifestStoreReading(result, state, str(active), failures, tuple(labels))


def _manifest(manifests: Any, active: Any) -> dict[str, Any] | None:
    if isinstance(manifests, dict):
        value = manifests.get(active) if isinstance(active, str) else None
        return value if isinstance(value, dict) else None
    if isinstance(manifests, list):
        for item in manifests:
            if isinstance(item, dict) and item.get("label") == active:
                return item
    return None


def _failure_codes(store: Mapping[str, Any]) -> Iterable[str]:
    results = store.get("validation_results")
    items: Any = None
    if isinstance(results, dict) and isinstance(results.get("activeManifest"), dict):
        items = results["activeManifest"].get("failure")
    if items is None:
        items = store.get("validation_status")
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and isinstance(item.get("code"), str):
            yield item["code"]


def _signing_time(manifest: Mapping[str, Any]) -> datetime | None:
    info = manifest.get("signature_info")
    text = info.get("time") if isinstance(info, dict) else None
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


# --------------------------------------------------------------------------- leaf resolution

Outcome = Literal["prohibited", "allowed", "constrained"]
LossKind = Literal["widened", "dropped", "lost"]
TDM_ITSELF: Final = "tdm"  # a pseudo-leaf: rules stated about tdm as a whole


@dataclass(slots=True)
class LeafView:
    """What one or more declarations decide per leaf, for formats with one value per use."""

    outcomes: dict[str, Outcome] = field(default_factory=dict)
    conditions: dict[str, list[str]] = field(default_factory=dict)
    beneath: dict[str, Outcome | None] = field(default_factory=dict)  # under a constrained leaf
    losses: list[Loss] = field(default_factory=list)

    def add(self, kind: LossKind, detail: str, declaration: str | None) -> None:
        loss = Loss(kind, detail, declaration)
        if loss not in self.losses:
            self.losses.append(loss)


_RANK: Final[dict[Outcome, int]] = {"allowed": 0, "constrained": 1, "prohibited": 2}


@dataclass(frozen=True, slots=True)
class _Stated:
    kind: Literal["permission", "prohibition"]
    purpose: str
    depth: int
    conditions: tuple[str, ...]
    duties: tuple[str, ...] = ()


def resolve_leaves(declarations: Sequence[Mapping[str, Any]]) -> LeafView:
    """Each leaf's outcome (and the pseudo-leaf `tdm` for rules about tdm itself).

    Within a declaration the most specific rule decides (a prohibition at equal depth); a
    permission with conditions (agent, constraint, duty, jurisdiction, validity) gives
    `constrained`, and a prohibition with conditions is taken as unconditional (widened).
    Across declarations the most restrictive outcome wins.
    """
    view = LeafView()
    if len(declarations) > 1:
        view.add("lost", f"{len(declarations)} declarations merged into one value", None)
    for value in declarations:
        own = _resolve_one(value, view)
        for leaf, outcome in own.items():
            before = view.outcomes.get(leaf)
            if before is None or _RANK[outcome] > _RANK[before]:
                view.outcomes[leaf] = outcome
    return view


def _resolve_one(value: Mapping[str, Any], view: LeafView) -> dict[str, Outcome]:
    tree = purpose_tree()
    ident = str(value.get("id")) if value.get("id") else None
    scope: list[str] = []
    if value.get("jurisdiction"):
        scope.append(f"in {', '.join(value['jurisdiction'])}")
    if value.get("validFrom"):
        scope.append(f"from {value['validFrom']}")
    if value.get("validUntil"):
        scope.append(f"until {value['validUntil']}")
    stated: list[_Stated] = []
    withdrawn = bool(value.get("withdrawnAt"))
    if withdrawn:
        view.add(
            "lost", f"withdrawnAt {value['withdrawnAt']} (permissions written as refusals)", ident
        )
    for rule in value.get("prohibition", []):
        conditions = _conditions(rule, scope)
        if conditions:
            view.add(
                "widened",
                f"prohibition of {rule['purpose']} ({'; '.join(conditions)}) written for every use",
                ident,
            )
        stated.append(_Stated("prohibition", rule["purpose"], tree.depth[rule["purpose"]], ()))
    for rule in value.get("permission", []):
        purpose = rule["purpose"]
        if withdrawn:
            stated.append(_Stated("prohibition", purpose, tree.depth[purpose], ()))
            continue
        conditions = _conditions(rule, scope)
        if value.get("retroactive") is not True:
            conditions = (*conditions, f"only content created from {value.get('declaredAt')} on")
        if value.get("policyUrl") and conditions:
            conditions = (*conditions, f"terms {value['policyUrl']}")
        duties = tuple(rule.get("duty", []))
        stated.append(_Stated("permission", purpose, tree.depth[purpose], conditions, duties))
    outcomes: dict[str, Outcome] = {}
    for leaf in (*LEAVES, TDM_ITSELF):
        if leaf == TDM_ITSELF:
            applying = [s for s in stated if s.purpose == "tdm"]
        else:
            applying = [s for s in stated if leaf in tree.leaves[s.purpose]]
        prohibition = max((s.depth for s in applying if s.kind == "prohibition"), default=-1)
        plain = max(
            (s.depth for s in applying if s.kind == "permission" and not s.conditions), default=-1
        )
        conditional = [s for s in applying if s.kind == "permission" and s.conditions]
        deepest_conditional = max((s.depth for s in conditional), default=-1)
        deciding = [s for s in conditional if s.depth == deepest_conditional]
        if deepest_conditional > max(prohibition, plain) and prohibition >= plain:
            outcomes[leaf] = "constrained"
            texts = [c for s in deciding for c in s.conditions]
            view.conditions[leaf] = list(dict.fromkeys(texts))
            below: Outcome | None = "prohibited" if prohibition >= 0 else None
            if view.beneath.get(leaf) != "prohibited":
                view.beneath[leaf] = below
            for s in deciding:
                view.add(
                    "dropped",
                    f"permission of {s.purpose} ({'; '.join(s.conditions)}): its conditions "
                    "cannot be written, so it is written as a refusal or not at all",
                    ident,
                )
            continue
        if deepest_conditional > max(prohibition, plain):
            for s in deciding:
                if s.duties:
                    view.add(
                        "dropped",
                        f"the duties of the permission of {s.purpose} ({', '.join(s.duties)}): "
                        "a broader permission without them is written instead",
                        ident,
                    )
        if prohibition >= 0 and prohibition >= plain:
            outcomes[leaf] = "prohibited"
        elif plain >= 0:
            outcomes[leaf] = "allowed"
    return outcomes


def _conditions(rule: Mapping[str, Any], scope: list[str]) -> tuple[str, ...]:
    parts = []
    if rule.get("agent"):
        parts.append(f"agents {', '.join(rule['agent'])}")
    for constraint in rule.get("constraint", []):
        parts.append(f"{constraint} use only")
    for duty in rule.get("duty", []):
        parts.append({"attribute": "attribution", "compensate": "compensation"}.get(duty, duty))
    return (*parts, *scope)


LEAVES: Final = ("genai-training", "non-generative-training", "ai-inference", "ai-index", "search")


def common_losses(value: Mapping[str, Any], carried: Iterable[str] = ()) -> list[Loss]:
    """What a one-value-per-use format loses of any declaration (party, time, basis, …)."""
    ident = str(value.get("id")) if value.get("id") else None
    keep = set(carried)
    losses = []
    party = value.get("declaredBy", {})
    if "party" not in keep:
        losses.append(
            Loss("lost", f"the party ({party.get('role', '?')} {party.get('id', '')})", ident)
        )
    elif party.get("role"):
        losses.append(Loss("lost", f"the party's role ({party['role']})", ident))
    if "declaredAt" not in keep:
        losses.append(Loss("lost", "declaredAt", ident))
    for key in ("basis", "jurisdiction", "content", "policyUrl", "withdrawalUrl", "evidence"):
        if key in value and key not in keep:
            losses.append(Loss("lost", key, ident))
    for key in ("validFrom", "validUntil"):
        if key in value:
            losses.append(Loss("lost", key, ident))
    if value.get("retroactive"):
        losses.append(Loss("lost", "retroactive", ident))
    return losses


# --------------------------------------------------------------------------- writing

WRITE_ENTRIES: Final = {
    "cawg.data_mining": TDM_ITSELF,
    "cawg.ai_inference": "ai-inference",
    "cawg.ai_generative_training": "genai-training",
    "cawg.ai_training": "non-generative-training",
}
_USE_OF: Final[dict[Outcome, str]] = {
    "prohibited": "notAllowed",
    "allowed": "allowed",
    "constrained": "constrained",
}


def write_training_mining(declarations: Sequence[Mapping[str, Any]]) -> Written:
    """The `cawg.training-mining` assertion data (entries under `entries`; never the legacy
    label) that says what the declarations say, as far as four entries can."""
    view = resolve_leaves(declarations)
    losses: list[Loss] = []
    for value in declarations:
        losses.extend(common_losses(value, carried=("party", "declaredAt")))
    entries: dict[str, dict[str, str]] = {}
    for entry, leaf in WRITE_ENTRIES.items():
        outcome = view.outcomes.get(leaf)
        if outcome is None:
            continue
        item = {"use": _USE_OF[outcome]}
        if outcome == "constrained":
            text = "permitted only with: " + "; ".join(view.conditions.get(leaf, []))
            item["constraint_info"] = text[:1000]
        entries[entry] = item
    ident = None if len(declarations) != 1 else str(declarations[0].get("id", "")) or None
    mining = view.outcomes.get(TDM_ITSELF)
    for leaf in ("search", "ai-index"):
        outcome = view.outcomes.get(leaf)
        if outcome == "prohibited" and mining not in ("prohibited", "constrained"):
            view.add("lost", f"prohibition of {leaf} (no CAWG entry)", ident)
        elif outcome in ("allowed", "constrained"):
            if mining in ("prohibited", "constrained"):
                view.add(
                    "widened",
                    f"{leaf}: cawg.data_mining {_USE_OF[mining]} reads as a prohibition of tdm, "
                    f"which covers {leaf}",
                    ident,
                )
            view.add("dropped", f"permission of {leaf} (no CAWG entry)", ident)
    text = json.dumps({"entries": entries}, indent=2, sort_keys=True) + "\n"
    return Written(text, "application/json", [*view.losses, *losses])
