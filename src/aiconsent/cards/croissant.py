"""The consent section of a Croissant card (spec §10.2): aic properties on the sc:Dataset node,
and the cleared purposes offered again as an ODRL policy under usageInfo.

Reading expands the card with pyld and the offline loader (card contexts are inline), treats
http and https schema.org as one namespace, and compacts the node's aic properties with the v1
context. Writing adds the prefixed properties to the node and keeps every other key in its
place and order, so mlcroissant sees the same card plus properties it ignores.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import urlsplit

from aiconsent.cards.issues import (
    MISPLACED_CONSENT,
    NO_OFFER,
    OFFER_DISAGREES,
    UNREADABLE_CARD,
    card_issue,
)
from aiconsent.cards.terms import (
    AIC,
    DATATYPES,
    DPV,
    HTTP_SCHEMA,
    ODRL,
    SCHEMA,
    XSD,
    definition,
    iri_definitions,
    nested_scope,
    term_iri,
    term_order,
)
from aiconsent.validation.issues import Issue
from aiconsent.validation.pointer import child, is_index, split
from aiconsent.validation.syntax import DEFAULT_MAX_BYTES, DEFAULT_MAX_DEPTH, parse_bytes
from aiconsent.vocabulary.documents import CONTEXT_URL

DATASET_TYPE: Final = SCHEMA + "Dataset"
CONSENT_TYPE: Final = AIC + "DatasetConsent"
OFFER_TYPE: Final = ODRL + "Offer"
USAGE_INFO: Final = SCHEMA + "usageInfo"
AI_PROFILE: Final = "https://w3c.github.io/odrl/ai-vocab/"
OFFER_FRAGMENT: Final = "#aiconsent-offer"  # marks the offer aiconsent wrote (and may replace)
CONSENT_FRAGMENT: Final = "#consent"
PREFIXES: Final = {"aic": AIC, "odrl": ODRL, "xsd": XSD, "dpv": DPV}
TOP_ORDER: Final = (
    "@context",
    "id",
    "type",
    "dataset",
    "purposeAssessed",
    "policy",
    "signalsChecked",
    "sources",
    "manifest",
    "itemCount",
    "decisionCounts",
    "withdrawal",
)


class CroissantError(ValueError):
    """A card that cannot be read or written as a Croissant card."""


# --------------------------------------------------------------------------- the card's context


def _schema(iri: str) -> str:
    return SCHEMA + iri[len(HTTP_SCHEMA) :] if iri.startswith(HTTP_SCHEMA) else iri


def _context_table(context: Any) -> dict[str, Any]:
    """The term definitions of a card's @context (its object members, merged in order)."""
    members = context if isinstance(context, list) else [context]
    table: dict[str, Any] = {}
    for member in members:
        if isinstance(member, dict):
            table.update(member)
    return table


def card_iri(key: str, table: dict[str, Any]) -> str:
    """The IRI a key of the card stands for under its context (schema.org always https)."""
    found = table.get(key)
    if isinstance(found, dict):
        found = found.get("@id")
    if isinstance(found, str) and found != key:
        return card_iri(found, table) if not found.startswith(("http:", "https:")) else found
    if ":" in key:
        prefix, local = key.split(":", 1)
        namespace = table.get(prefix)
        if isinstance(namespace, dict):
            namespace = namespace.get("@id")
        if isinstance(namespace, str) and not local.startswith("//"):
            return _schema(namespace + local)
        return _schema(key)
    vocab = table.get("@vocab")
    return _schema(vocab + key) if isinstance(vocab, str) else key


# --------------------------------------------------------------------------- expanded nodes


def _normalise(value: Any) -> Any:
    """http://schema.org/ and https://schema.org/ as one namespace, in keys and types."""
    if isinstance(value, list):
        return [_normalise(item) for item in value]
    if isinstance(value, dict):
        result: dict[str, Any] = {}
        for key, item in value.items():
            if key == "@type" and "@value" not in value:
                types = item if isinstance(item, list) else [item]
                result[key] = [_schema(t) if isinstance(t, str) else t for t in types]
            else:
                result[_schema(key)] = _normalise(item)
        return result
    return value


def _expand(node: dict[str, Any], context: Any) -> dict[str, Any]:
    """One node of the card, expanded offline; raises CroissantError when JSON-LD fails."""
    from pyld import jsonld

    from aiconsent.vocabulary.documents import jsonld_loader

    document = dict(node)
    if context is not None:
        own = document.get("@context")
        document["@context"] = context if own is None else [context, own]
    try:
        expanded = jsonld.expand(document, {"documentLoader": jsonld_loader(), "base": None})
    except Exception as error:  # pyld raises JsonLdError, and others on odd input
        cause = str(error).splitlines()[0]
        raise CroissantError(f"the card's JSON-LD cannot be expanded offline: {cause}") from None
    found = _normalise(expanded[0]) if expanded else {}
    return found if isinstance(found, dict) else {}


@dataclass(slots=True)
class _Candidate:
    raw: dict[str, Any]
    pointer: str
    expanded: dict[str, Any]

    @property
    def types(self) -> list[str]:
        return [t for t in self.expanded.get("@type", []) if isinstance(t, str)]


def _candidates(document: Any) -> tuple[list[_Candidate], dict[str, Any]]:
    """The card's top-level nodes (itself, its @graph members or its array items), expanded."""
    if isinstance(document, dict) and isinstance(document.get("@graph"), list):
        context = document.get("@context")
        items = [(item, f"/@graph/{index}") for index, item in enumerate(document["@graph"])]
    elif isinstance(document, dict):
        context, items = None, [(document, "")]
    elif isinstance(document, list):
        context, items = None, [(item, f"/{index}") for index, item in enumerate(document)]
    else:
        return [], {}
    table = _context_table(context if context is not None else _first_context(items))
    nodes = [
        _Candidate(raw, pointer, _expand(raw, context))
        for raw, pointer in items
        if isinstance(raw, dict)
    ]
    return nodes, table


def _first_context(items: list[tuple[Any, str]]) -> Any:
    for item, _ in items:
        if isinstance(item, dict) and "@context" in item:
            return item["@context"]
    return None


def is_croissant(value: Any) -> bool:
    """Whether parsed JSON is a Croissant card: an @context and an sc:Dataset node (or a
    conformsTo naming Croissant)."""
    if not isinstance(value, dict) or "@context" not in value:
        return False
    nodes = value.get("@graph") if isinstance(value.get("@graph"), list) else [value]
    table = _context_table(value.get("@context"))
    for node in nodes or []:
        if not isinstance(node, dict):
            continue
        types = node.get("@type", [])
        for kind in types if isinstance(types, list) else [types]:
            if isinstance(kind, str) and card_iri(kind, table) == DATASET_TYPE:
                return True
        for key, conforms in node.items():
            if card_iri(key, table) == "http://purl.org/dc/terms/conformsTo" and (
                "mlcommons.org/croissant" in json.dumps(conforms)
            ):
                return True
    return False


# --------------------------------------------------------------------------- reading


@dataclass(slots=True)
class CroissantConsent:
    """The consent section read from a card, with what is needed to point back into the card."""

    consent: dict[str, Any] | None = None
    issues: list[Issue] = field(default_factory=list)
    node_pointer: str = ""
    node: dict[str, Any] = field(default_factory=dict)
    context: dict[str, Any] = field(default_factory=dict)
    dataset_source: str | None = None  # the card key `dataset` was taken from
    offer_actions: frozenset[str] | None = None  # None: no offer in usageInfo
    expected_actions: frozenset[str] = frozenset()

    def pointer(self, compact_pointer: str) -> str:
        """Where a pointer into the compact consent section lies in the card."""
        tokens = split(compact_pointer)
        if not tokens or tokens[0] == "@context":
            return self.node_pointer
        if tokens[0] in ("id", "type"):
            key = "@type" if tokens[0] == "type" else "@id"
            return child(self.node_pointer, key) if key in self.node else self.node_pointer
        if tokens[0] == "dataset" and self.dataset_source is not None:
            return child(self.node_pointer, self.dataset_source)
        return self._walk(tokens)

    def _walk(self, tokens: list[str]) -> str:
        value: Any = self.node
        at = self.node_pointer
        scope: dict[str, Any] | None = None
        for token in tokens:
            if isinstance(value, dict):
                iri = term_iri(token, scope)
                key = next(
                    (k for k in value if iri is not None and card_iri(k, self.context) == iri),
                    None,
                )
                if key is None:
                    return at
                at, value, scope = child(at, key), value[key], nested_scope(token, scope)
            elif isinstance(value, list) and is_index(token) and int(token) < len(value):
                at, value = child(at, int(token)), value[int(token)]
            elif token != "0":
                return at
        return at


def _coerce(value: Any) -> Any:
    """Expanded aic values made ready for compaction with the v1 context: plain strings become
    IRIs or typed literals where the v1 term says so, and @language (from a card's default
    language) is dropped — the v1 terms carry none."""
    if isinstance(value, list):
        return [_coerce(item) for item in value]
    if not isinstance(value, dict):
        return value
    result: dict[str, Any] = {}
    for key, items in value.items():
        if key.startswith("@"):
            result[key] = items
            continue
        kind = iri_definitions().get(key, {}).get("@type")
        result[key] = [_coerce_value(item, kind) for item in items]
    return result


def _coerce_value(item: Any, kind: Any) -> Any:
    if not isinstance(item, dict):
        return item
    if "@value" not in item:
        return _coerce(item)
    literal = {k: v for k, v in item.items() if k != "@language"}
    text = literal.get("@value")
    if isinstance(text, str) and "@type" not in literal:
        if kind == "@id":
            return {"@id": text}
        if kind in DATATYPES:
            literal["@type"] = XSD + str(kind).split(":", 1)[1]
    return literal


def _dataset_iri(candidate: _Candidate, table: dict[str, Any]) -> tuple[str | None, str | None]:
    """The dataset's IRI: the node's absolute @id, else its url; and the key it came from."""
    node_id = candidate.expanded.get("@id")
    if isinstance(node_id, str) and _absolute(node_id):
        return node_id, "@id"
    for value in candidate.expanded.get(SCHEMA + "url", []):
        text = value.get("@id", value.get("@value")) if isinstance(value, dict) else None
        if isinstance(text, str) and _absolute(text):
            key = next((k for k in candidate.raw if card_iri(k, table) == SCHEMA + "url"), None)
            return text, key
    return None, None


def _absolute(iri: str) -> bool:
    scheme = urlsplit(iri).scheme
    return bool(scheme) and scheme != "_" and not iri.startswith("_:")


def consent_id(dataset: str) -> str:
    """The id a Croissant consent section gets: the dataset IRI with fragment `consent`."""
    return dataset.split("#", 1)[0] + CONSENT_FRAGMENT


def _order(consent: dict[str, Any]) -> dict[str, Any]:
    rank = {term: index for index, term in enumerate(TOP_ORDER)}
    order = term_order()
    keys = sorted(consent, key=lambda k: (rank.get(k, len(rank)), order.get(k, len(order)), k))
    return {key: _nested_order(consent[key]) for key in keys}


def _nested_order(value: Any) -> Any:
    if isinstance(value, list):
        return [_nested_order(item) for item in value]
    if isinstance(value, dict):
        order = term_order()
        keys = sorted(value, key=lambda k: (order.get(k, len(order)), k))
        return {key: _nested_order(value[key]) for key in keys}
    return value


def extract_croissant(
    data: bytes,
    name: str = "<card>",
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> CroissantConsent:
    """Read the consent section of a Croissant card; problems are issues with card pointers."""
    result = CroissantConsent()
    parsed = parse_bytes(data, max_bytes=max_bytes, max_depth=max_depth)
    result.issues.extend(parsed.issues)
    if any(issue.severity == "error" for issue in parsed.issues) or not parsed.documents:
        return result
    if parsed.multi:
        message = f"{name} holds several JSON documents; a Croissant card is one"
        result.issues.append(card_issue(UNREADABLE_CARD, message))
        return result
    try:
        candidates, table = _candidates(parsed.documents[0].value)
    except CroissantError as error:
        result.issues.append(card_issue(UNREADABLE_CARD, str(error)))
        return result
    result.context = table
    datasets = [c for c in candidates if DATASET_TYPE in c.types]
    typed = [c for c in candidates if CONSENT_TYPE in c.types]
    with_aic = [c for c in datasets if any(k.startswith(AIC) for k in c.expanded)]
    if not typed:
        for candidate in with_aic:
            message = "aic properties on a Dataset node that is not typed aic:DatasetConsent"
            result.issues.append(card_issue(MISPLACED_CONSENT, message, candidate.pointer))
        return result
    for candidate in typed[1:]:
        message = "more than one aic:DatasetConsent node; only the first is read"
        result.issues.append(card_issue(MISPLACED_CONSENT, message, candidate.pointer))
    chosen = typed[0]
    result.node, result.node_pointer = chosen.raw, chosen.pointer
    if DATASET_TYPE not in chosen.types:
        message = "aic:DatasetConsent is on a node that is not an sc:Dataset"
        result.issues.append(card_issue(MISPLACED_CONSENT, message, chosen.pointer))
    result.consent = _compact(chosen, table, result)
    _check_offer(chosen, table, result)
    return result


def _compact(
    candidate: _Candidate, table: dict[str, Any], result: CroissantConsent
) -> dict[str, Any] | None:
    from pyld import jsonld

    from aiconsent.vocabulary.documents import jsonld_loader

    properties = {k: v for k, v in candidate.expanded.items() if k.startswith(AIC)}
    subject = {"@type": [CONSENT_TYPE], **_coerce(properties)}
    try:
        compacted = jsonld.compact(
            subject, CONTEXT_URL, {"documentLoader": jsonld_loader(), "base": None}
        )
    except Exception as error:  # pyld raises JsonLdError, and others on odd input
        cause = str(error).splitlines()[0]
        message = f"the consent properties cannot be compacted with the v1 context: {cause}"
        result.issues.append(card_issue(UNREADABLE_CARD, message, candidate.pointer))
        return None
    compacted = {k: v for k, v in compacted.items() if k not in ("@context", "id")}
    dataset, source = _dataset_iri(candidate, table)
    if "dataset" in compacted:
        result.dataset_source = next(
            (k for k in candidate.raw if card_iri(k, table) == AIC + "dataset"), None
        )
    elif dataset is not None:
        compacted["dataset"] = dataset
        result.dataset_source = source
    consent: dict[str, Any] = {"@context": CONTEXT_URL, **compacted}
    if isinstance(consent.get("dataset"), str):
        consent["id"] = consent_id(consent["dataset"])
    return _order(consent)


def _check_offer(candidate: _Candidate, table: dict[str, Any], result: CroissantConsent) -> None:
    """Compare the ODRL offer under usageInfo with purposeAssessed (the aic side wins)."""
    from aiconsent.formats.odrl import _PERMISSION_ACTIONS as PERMISSION_ACTIONS

    consent = result.consent or {}
    purposes = consent.get("purposeAssessed")
    if not isinstance(purposes, list):
        return
    expected = frozenset(
        action
        for purpose in purposes
        if isinstance(purpose, str)
        for action in PERMISSION_ACTIONS.get(purpose, ())
    )
    result.expected_actions = expected
    offers = [
        value
        for value in candidate.expanded.get(USAGE_INFO, [])
        if isinstance(value, dict) and OFFER_TYPE in value.get("@type", [])
    ]
    key = next((k for k in candidate.raw if card_iri(k, table) == USAGE_INFO), None)
    where = candidate.pointer if key is None else child(candidate.pointer, key)
    if not offers:
        message = "usageInfo holds no odrl:Offer for the purposes the consent section clears"
        result.issues.append(card_issue(NO_OFFER, message, where))
        return
    found = frozenset(
        str(action.get("@id"))
        for offer in offers
        for permission in offer.get(ODRL + "permission", [])
        if isinstance(permission, dict)
        for action in permission.get(ODRL + "action", [])
        if isinstance(action, dict) and "@id" in action
    )
    result.offer_actions = found
    if found != expected:
        message = (
            f"the ODRL offer permits {_actions(found)}, but purposeAssessed "
            f"({', '.join(map(str, purposes))}) calls for {_actions(expected)}; "
            "the aic properties are authoritative"
        )
        result.issues.append(card_issue(OFFER_DISAGREES, message, where))


def _actions(actions: frozenset[str]) -> str:
    names = sorted(a.replace(ODRL, "odrl:") for a in actions)
    return ", ".join(names) if names else "nothing"


def read_croissant(data: bytes, name: str = "<card>") -> tuple[dict[str, Any] | None, list[Issue]]:
    """The DatasetConsent of a Croissant card (None when it has none or it cannot be read) and
    the issues found reading it, with JSON Pointers into the card."""
    found = extract_croissant(data, name)
    return found.consent, found.issues


# --------------------------------------------------------------------------- writing


def _parse_card(card: bytes) -> Any:
    parsed = parse_bytes(card)
    errors = [issue for issue in parsed.issues if issue.severity == "error"]
    if errors:
        first = errors[0]
        raise CroissantError(f"not valid JSON at {first.path or '/'}: {first.message}")
    if parsed.multi or not parsed.documents:
        raise CroissantError("a Croissant card is one JSON document")
    return parsed.documents[0].value


def _card_context(document: dict[str, Any]) -> dict[str, Any]:
    """The object of the card's @context that new prefixes go into (made when missing)."""
    context = document.get("@context")
    if isinstance(context, dict):
        return context
    if isinstance(context, list) and context and isinstance(context[-1], dict):
        return context[-1]
    added: dict[str, Any] = {}
    if isinstance(context, list):
        context.append(added)
    else:
        document["@context"] = [context, added] if context is not None else added
    return added


class _Writer:
    """Turns the compact form into the prefixed form a Croissant card holds."""

    def __init__(self, table: dict[str, Any]) -> None:
        self.table = table

    def schema_key(self, local: str) -> str:
        """How the card names schema.org's `local`: bare under a schema.org @vocab, else
        prefixed, else the full IRI."""
        if card_iri(local, self.table) == SCHEMA + local:
            return local
        for prefix, namespace in self.table.items():
            if isinstance(namespace, str) and _schema(namespace) == SCHEMA and ":" not in prefix:
                return f"{prefix}:{local}"
        return SCHEMA + local

    def key(self, term: str, scope: dict[str, Any] | None) -> str:
        iri = term_iri(term, scope) or term
        if iri.startswith(SCHEMA):
            return self.schema_key(iri[len(SCHEMA) :])
        for prefix, namespace in PREFIXES.items():
            if iri.startswith(namespace):
                return f"{prefix}:{iri[len(namespace) :]}"
        return iri

    def value(self, term: str, value: Any, scope: dict[str, Any] | None) -> Any:
        if isinstance(value, list):
            return [self.value(term, item, scope) for item in value]
        found = definition(term, scope) or {}
        kind = found.get("@type")
        if isinstance(value, dict):
            inner = nested_scope(term, scope)
            return {self.key(k, inner): self.value(k, v, inner) for k, v in value.items()}
        if kind == "@vocab" and isinstance(value, str):
            names = found.get("@context", {})
            target = names.get(value) if isinstance(names, dict) else None
            return {"@id": target if isinstance(target, str) else value}
        if kind in DATATYPES and isinstance(value, str):
            return {"@value": value, "@type": kind}
        return value

    def properties(self, consent: dict[str, Any]) -> dict[str, Any]:
        skipped = {"@context", "id", "type", "dataset"}
        return {
            self.key(term, None): self.value(term, value, None)
            for term, value in consent.items()
            if term not in skipped
        }


def _needed_prefixes(consent: dict[str, Any]) -> dict[str, str]:
    needed = {"aic": AIC, "odrl": ODRL, "xsd": XSD}
    if any(isinstance(s, dict) and "basis" in s for s in consent.get("sources", [])):
        needed["dpv"] = DPV
    return needed


def _add_prefixes(context: dict[str, Any], table: dict[str, Any], needed: dict[str, str]) -> None:
    for prefix, namespace in needed.items():
        present = table.get(prefix)
        if present is None:
            context[prefix] = namespace
        elif present != namespace:
            raise CroissantError(
                f"the card's @context maps {prefix!r} to {present!r}, not {namespace!r}"
            )


def _offer_uid(dataset: str) -> str:
    return dataset.split("#", 1)[0] + OFFER_FRAGMENT


def _is_our_offer(value: Any) -> bool:
    if not isinstance(value, dict):
        return False
    uid = value.get("odrl:uid")
    uid = uid.get("@id") if isinstance(uid, dict) else uid
    return isinstance(uid, str) and uid.endswith(OFFER_FRAGMENT)


def _assigner(node: dict[str, Any], table: dict[str, Any], dataset: str) -> str:
    """The publisher named by the card (its @id or url), else the dataset's origin."""
    for key, value in node.items():
        if card_iri(key, table) != SCHEMA + "publisher":
            continue
        first = value[0] if isinstance(value, list) and value else value
        if isinstance(first, str) and _absolute(first):
            return first
        if isinstance(first, dict):
            for field_name in ("@id", "url"):
                found = first.get(field_name)
                if isinstance(found, str) and _absolute(found):
                    return found
    parts = urlsplit(dataset)
    return f"{parts.scheme}://{parts.netloc}/" if parts.netloc else dataset


def _offer(consent: dict[str, Any], writer: _Writer, assigner: str) -> dict[str, Any]:
    from aiconsent.formats.odrl import _PERMISSION_ACTIONS as PERMISSION_ACTIONS

    dataset = str(consent["dataset"])
    actions: list[str] = []
    for purpose in consent.get("purposeAssessed", []):
        for action in PERMISSION_ACTIONS.get(purpose, ()):
            if action not in actions:
                actions.append(action)
    return {
        "@type": [writer.schema_key("CreativeWork"), "odrl:Offer"],
        "odrl:uid": {"@id": _offer_uid(dataset)},
        "odrl:profile": {"@id": AI_PROFILE},
        "odrl:assigner": {"@id": assigner},
        "odrl:permission": [
            {"odrl:target": {"@id": dataset}, "odrl:action": {"@id": a.replace(ODRL, "odrl:")}}
            for a in actions
        ],
    }


def _choose_node(candidates: list[_Candidate]) -> _Candidate:
    datasets = [c for c in candidates if DATASET_TYPE in c.types]
    typed = [c for c in datasets if CONSENT_TYPE in c.types]
    if len(typed) == 1:
        return typed[0]
    if len(datasets) == 1:
        return datasets[0]
    if not datasets:
        raise CroissantError("not a Croissant card: no sc:Dataset node")
    raise CroissantError(f"the card has {len(datasets)} sc:Dataset nodes; which one is unclear")


def readback(card: bytes, consent: dict[str, Any]) -> dict[str, Any]:
    """What a reader will get back from a card this consent section was written into: the same
    section, with the id the card gives it (§10.2) and the v1 @context."""
    expected = {**consent, "@context": CONTEXT_URL, "id": consent_id(str(consent["dataset"]))}
    return _order(expected)


def write_croissant(card: bytes, consent: dict[str, Any]) -> bytes:
    """The card with this DatasetConsent on its sc:Dataset node and as an ODRL offer under
    usageInfo; every other key keeps its value and place. Attaching twice gives the same bytes.

    Raises CroissantError when the card cannot take it (not a Croissant card, another dataset,
    a clashing prefix). The consent section's own `id` is not kept: a Croissant card gives it
    the dataset IRI + `#consent` (see `readback`).
    """
    document = _parse_card(card)
    if not isinstance(document, dict):
        raise CroissantError("a Croissant card is a JSON object")
    candidates, table = _candidates(document)
    chosen = _choose_node(candidates)
    dataset, _ = _dataset_iri(chosen, table)
    wanted = consent.get("dataset")
    if dataset is None:
        raise CroissantError("the sc:Dataset node has neither an absolute @id nor a url")
    if wanted != dataset:
        raise CroissantError(
            f"the consent section is about {wanted}, but this card's dataset is {dataset} "
            "(its @id, else its url)"
        )
    _add_prefixes(_card_context(document), table, _needed_prefixes(consent))
    table = _context_table(document.get("@context"))
    writer = _Writer(table)
    node = chosen.raw
    properties = writer.properties(consent)
    usage_key = next(
        (k for k in node if card_iri(k, table) == USAGE_INFO), writer.schema_key("usageInfo")
    )
    offer = _offer(consent, writer, _assigner(node, table, dataset))
    rebuilt: dict[str, Any] = {}
    placed = False
    for key, value in node.items():
        if card_iri(key, table).startswith(AIC):
            if not placed:
                rebuilt.update(properties)
                placed = True
            continue
        if key == usage_key:
            value = _with_offer(value, offer)
        rebuilt[key] = value
    if not placed:
        rebuilt.update(properties)
    if usage_key not in rebuilt:
        rebuilt[usage_key] = [offer]
    types = rebuilt.get("@type", [])
    types = types if isinstance(types, list) else [types]
    if CONSENT_TYPE not in chosen.types and "aic:DatasetConsent" not in types:
        rebuilt["@type"] = [*types, "aic:DatasetConsent"]
    node.clear()
    node.update(rebuilt)
    text = json.dumps(document, indent=2, ensure_ascii=False)
    written = (text + "\n" if card.rstrip(b" \t").endswith(b"\n") else text).encode("utf-8")
    check = extract_croissant(written)
    errors = [issue for issue in check.issues if issue.severity == "error"]
    if errors or check.consent != readback(card, consent):
        detail = errors[0].message if errors else "the consent section reads back differently"
        raise CroissantError(f"the card would not read back as written ({detail})")
    return written


def _with_offer(value: Any, offer: dict[str, Any]) -> list[Any]:
    items = value if isinstance(value, list) else [value]
    replaced = [offer if _is_our_offer(item) else item for item in items]
    if not any(_is_our_offer(item) for item in items):
        replaced.append(offer)
    return replaced
