"""RSL 1.0 (Really Simple Licensing) documents, read and written as spec §9.8 says.

An RSL document lists `<content>` elements (a URL or robots.txt-style path pattern) with the
licences offered for them. Reading applies RSL's own rules first (the longest matching
`<content>` wins for an item; within a licence a usage both permitted and prohibited is
prohibited), then maps usages, user types, places and payments onto aiconsent rules. Conditions
aiconsent cannot represent remove permissions, never prohibitions (§9.1 rule 3).

XML is parsed only through defusedxml with DTDs refused (§11.3): a document with a DOCTYPE,
an entity or an external reference becomes an unreadable marker, never an exception.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import urlsplit
from xml.sax.saxutils import escape, quoteattr

from defusedxml.ElementTree import fromstring as _safe_fromstring

from aiconsent.engine.places import canonical, expand
from aiconsent.formats.common import Loss, Origin, Written, declaration, found, unreadable
from aiconsent.formats.patterns import matches, normalise_path, path_of, specificity
from aiconsent.model.found import ReadResult
from aiconsent.vocabulary.purposes import purpose_tree

NAMESPACE: Final = "https://rslstandard.org/rsl"
CARRIER: Final = "rsl"
MEDIA_TYPE: Final = "application/rsl+xml"
MAX_BYTES: Final = 10 * 1024 * 1024
MAX_DEPTH: Final = 64

# RSL usage tokens and the aiconsent purpose each one is (spec §9.8, first table).
USAGE_PURPOSE: Final = {
    "all": "tdm",
    "ai-all": "ai-use",
    "ai-train": "ai-training",
    "ai-input": "ai-inference",
    "ai-index": "ai-index",
    "search": "search",
}
# The umbrella tokens, expanded as RSL does: all ⊃ {ai-all, search}, ai-all ⊃ {ai-train, …}.
_AI_TOKENS: Final = ("ai-train", "ai-input", "ai-index")
USAGE_COVERS: Final[dict[str, tuple[str, ...]]] = {
    "all": (*_AI_TOKENS, "search"),
    "ai-all": _AI_TOKENS,
    "ai-train": ("ai-train",),
    "ai-input": ("ai-input",),
    "ai-index": ("ai-index",),
    "search": ("search",),
}
USER_TYPES: Final = frozenset(
    {"commercial", "non-commercial", "education", "government", "personal"}
)
PAYMENT_DUTY: Final[dict[str, str | None]] = {
    "free": None,
    "attribution": "attribute",
    "purchase": "compensate",
    "subscription": "compensate",
    "training": "compensate",
    "crawl": "compensate",
    "use": "compensate",
    "contribution": "compensate",
}
# Children of <license> that carry information but no condition on the licence.
_INFORMATIVE: Final = frozenset({"legal", "schema", "copyright", "terms"})
_TRAINING: Final = frozenset({"ai-training", "genai-training", "non-generative-training"})
_HOST: Final = re.compile(r"[A-Za-z0-9.-]+(?::[0-9]{1,5})?|\[[0-9A-Fa-f:.]+\](?::[0-9]{1,5})?")
_TOKEN_SEPARATORS: Final = re.compile(r"[\s,]+")
_PLACE: Final = re.compile(r"[A-Z]{2}")
_URI: Final = re.compile(r"(?:[A-Za-z0-9\-._~:/?#@!$&'()*+,;=]|%[0-9A-Fa-f]{2})+")


# --------------------------------------------------------------------------- shared helpers


def origin_of(url: str | None) -> str | None:
    """scheme://host[:port] of an http(s) URL, lower-cased, default port dropped; else None."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in {"http", "https"} or not parts.hostname or "@" in parts.netloc:
        return None
    if not _HOST.fullmatch(parts.netloc):
        return None
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    default = 443 if scheme == "https" else 80
    suffix = f":{port}" if port is not None and port != default else ""
    return f"{scheme}://{host}{suffix}"


def is_http_url(text: str | None) -> bool:
    """An absolute http(s) URL of plain URI characters: usable as policyUrl."""
    return bool(text and _URI.fullmatch(text)) and origin_of(text) is not None


def _item_url(origin: Origin) -> str | None:
    """The item a check is about, when the caller named one other than the RSL document."""
    url = origin.target.get("url")
    return url if url and url != origin.party else None


@dataclass(frozen=True, slots=True)
class Scope:
    """Where a `<content>` applies: an optional origin and a robots.txt path pattern."""

    origin: str | None
    path: str

    def target(self, site: str | None) -> dict[str, str]:
        prefix = self.origin or site or ""
        return {"urlPattern": prefix + self.path}

    def covers(self, item_url: str, site: str | None) -> bool:
        item_origin = origin_of(item_url)
        where = self.origin or site
        if where is not None and where != item_origin:
            return False
        return matches(self.path, path_of(item_url))


def parse_scope(value: str | None) -> Scope | None:
    """A content `url` (full URL or robots.txt path pattern), or None when not understood."""
    if value is None:
        return None
    text = value.strip()
    if not text or any(c.isspace() or ord(c) < 32 for c in text):
        return None
    if text.startswith("*"):
        text = "/" + text
    if text.startswith("/"):
        return Scope(None, normalise_path(text))
    where = origin_of(text)
    if where is None:
        return None
    parts = urlsplit(text)
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    if not path.startswith("/"):
        return None
    return Scope(where, normalise_path(path))


# --------------------------------------------------------------------------- reading


@dataclass(slots=True)
class _Licence:
    """One `<license>` read into aiconsent terms."""

    prohibitions: list[str] = field(default_factory=list)
    permissions: list[dict[str, Any]] = field(default_factory=list)
    jurisdiction: tuple[str, ...] = ()
    compensate_urls: list[str] = field(default_factory=list)
    attribution_urls: list[str] = field(default_factory=list)
    terms_urls: list[str] = field(default_factory=list)


def _local(element: ET.Element) -> str | None:
    """The local name of an element in the RSL namespace; None for any other namespace."""
    tag = element.tag
    if not isinstance(tag, str) or not tag.startswith("{" + NAMESPACE + "}"):
        return None
    return tag[len(NAMESPACE) + 2 :]


def _text(element: ET.Element) -> str:
    return "".join(element.itertext()).strip()


def _tokens(element: ET.Element) -> list[str]:
    return [token for token in _TOKEN_SEPARATORS.split(_text(element)) if token]


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _depth(root: ET.Element) -> int:
    """Nesting depth, counted without recursion (a hostile document can be very deep)."""
    deepest = 0
    stack = [(root, 1)]
    while stack:
        element, level = stack.pop()
        deepest = max(deepest, level)
        if deepest > MAX_DEPTH:
            return deepest
        stack.extend((child, level + 1) for child in element)
    return deepest


def _parse(data: bytes) -> ET.Element | str:
    """The root element, or why the bytes are not a usable XML document."""
    if len(data) > MAX_BYTES:
        return f"the document has {len(data)} bytes; the limit is {MAX_BYTES}"
    try:
        root = _safe_fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except Exception as error:  # defusedxml, expat and codec errors alike: all are unreadable
        return f"not a well-formed XML document without DTD ({type(error).__name__})"
    if not isinstance(root, ET.Element):
        return "not an XML element tree"
    if _depth(root) > MAX_DEPTH:
        return f"elements are nested deeper than {MAX_DEPTH}"
    if root.tag != "{" + NAMESPACE + "}rsl":
        return f"the root element is {root.tag!r}, not <rsl> in the namespace {NAMESPACE}"
    return root


def _raw(element: ET.Element) -> str:
    try:
        return ET.tostring(element, encoding="unicode", default_namespace=NAMESPACE)
    except ValueError:  # an element outside every namespace cannot take a default namespace
        return ET.tostring(element, encoding="unicode")


class _Reader:
    """Reads one RSL document for one origin into a ReadResult."""

    def __init__(self, origin: Origin, site: str | None, result: ReadResult) -> None:
        self.origin = origin
        self.site = origin_of(site) if site else origin_of(origin.party)
        self.result = result

    def mark(self, message: str, purposes: Iterable[str] | None = None) -> None:
        unreadable(self.result, self.origin, CARRIER, message, purposes)

    def licence(self, element: ET.Element, server: bool) -> _Licence:
        """Apply RSL's rules inside one licence, then map it (spec §9.8 tables)."""
        permits: list[str] = []
        prohibits: list[str] = []
        user_permits: list[str] = []
        user_prohibits: list[str] = []
        places: list[str] = []
        excluded_places = False
        duties: set[str] = set()
        reading = _Licence()
        doubts: list[str] = []  # conditions not understood: they remove the permissions
        for child in element:
            name = _local(child)
            if name in {"permits", "prohibits"}:
                kind = child.get("type")
                tokens = _tokens(child)
                if kind == "usage":
                    for token in tokens:
                        if token in USAGE_PURPOSE:
                            (permits if name == "permits" else prohibits).append(token)
                        else:
                            self.mark(f'<{name} type="usage">: {token!r} is not an RSL usage')
                elif kind == "user":
                    (user_permits if name == "permits" else user_prohibits).extend(tokens)
                elif kind == "geo":
                    if name == "prohibits":
                        excluded_places = True
                    places.extend(tokens)
                else:
                    doubts.append(f"<{name}> of type {kind!r}")
            elif name == "payment":
                kind = child.get("type")
                if kind not in PAYMENT_DUTY:
                    doubts.append(f"<payment> of type {kind!r}")
                    continue
                duty = PAYMENT_DUTY[kind]
                urls = [
                    _text(part)
                    for part in child
                    if _local(part) in {"standard", "custom", "terms"} and is_http_url(_text(part))
                ]
                if duty is not None:
                    duties.add(duty)
                if duty == "compensate":
                    reading.compensate_urls.extend(urls)
                elif duty == "attribute":
                    reading.attribution_urls.extend(urls)
            elif name in _INFORMATIVE:
                if name in {"terms", "legal"} and is_http_url(_text(child)):
                    reading.terms_urls.append(_text(child))
            else:
                doubts.append(f"the element {child.tag!r}")

        prohibited_leaves = {leaf for token in prohibits for leaf in USAGE_COVERS[token]}
        reading.prohibitions = _unique(USAGE_PURPOSE[token] for token in prohibits)
        permitted: list[str] = []
        for token in _unique(permits):
            covered = USAGE_COVERS[token]
            if prohibited_leaves.isdisjoint(covered):
                permitted.append(USAGE_PURPOSE[token])
            else:  # listed in both (through an umbrella): prohibited, the rest stays permitted
                permitted.extend(
                    USAGE_PURPOSE[leaf] for leaf in covered if leaf not in prohibited_leaves
                )
        permitted = _unique(permitted)
        if not permitted:
            return reading

        constraint, user_doubt = _user_constraint(user_permits, user_prohibits)
        jurisdiction, place_doubt = _places(places)
        unrecognised = [*doubts, *user_doubt, *place_doubt]
        if unrecognised:
            for doubt in unrecognised:
                self.mark(f"RSL licence: {doubt} is not understood", permitted)
            return reading
        if server or excluded_places or constraint == "drop":
            return reading  # a condition aiconsent cannot carry: the permissions go (§9.1 rule 3)
        reading.jurisdiction = jurisdiction
        for purpose in permitted:
            rule: dict[str, Any] = {"purpose": purpose}
            if constraint is not None:
                rule["constraint"] = [constraint]
            if duties:
                rule["duty"] = sorted(duties)
            reading.permissions.append(rule)
        return reading

    def content(self, element: ET.Element, scope: Scope, target: dict[str, str]) -> None:
        """One `<content>`: its licences become one declaration with `basis: license`.

        Licences limited by `<permits type="geo">` add a declaration per set of places with
        `jurisdiction`, holding permissions only: RSL's place limits do not narrow prohibitions.
        """
        server = element.get("server") is not None
        licences = [self.licence(child, server) for child in element if _local(child) == "license"]
        content_terms = [
            _text(child)
            for child in element
            if _local(child) == "terms" and is_http_url(_text(child))
        ]
        prohibitions = _unique(p for licence in licences for p in licence.prohibitions)
        groups: dict[tuple[str, ...], list[_Licence]] = {}
        for licence in licences:
            if licence.permissions:
                groups.setdefault(licence.jurisdiction, []).append(licence)
        raw = _raw(element)
        scopes = [()] + [places for places in groups if places]
        everywhere = groups.get((), [])
        for places in scopes:
            # Licences valid everywhere are also on offer in each place: the place-scoped
            # declaration lists them too, so that it alone shows every licence there.
            members = groups[places] + everywhere if places else everywhere
            permissions = _unique_rules(rule for licence in members for rule in licence.permissions)
            if not places:  # a prohibition in any licence beats the same permission in another
                permissions = [
                    rule
                    for rule in permissions
                    if "constraint" in rule or rule["purpose"] not in prohibitions
                ]
            value = declaration(
                self.origin,
                CARRIER,
                permission=permissions,
                prohibition=[{"purpose": p} for p in prohibitions] if not places else [],
                raw=raw,
                target=target,
                basis="license",
                policy_url=self.policy_url(members, content_terms, permissions),
                jurisdiction=list(places) or None,
            )
            found(self.result, value, self.origin, CARRIER)

    def policy_url(
        self, licences: list[_Licence], content_terms: list[str], rules: list[dict[str, Any]]
    ) -> str | None:
        """The terms a duty refers to: the payment's URL, else the terms, else the RSL URL."""
        duties = {duty for rule in rules for duty in rule.get("duty", ())}
        terms = _unique([*content_terms, *(u for lic in licences for u in lic.terms_urls)])
        fallback = self.origin.party
        if "compensate" in duties:
            urls = _unique(u for licence in licences for u in licence.compensate_urls)
            if len(urls) == 1:
                return urls[0]
            if len(urls) > 1:  # several price lists: the document itself lists them all
                return fallback if is_http_url(fallback) else urls[0]
            return terms[0] if terms else fallback
        if "attribute" in duties:
            urls = _unique(u for licence in licences for u in licence.attribution_urls)
            if len(urls) == 1:
                return urls[0]
        return terms[0] if terms else None


def _unique_rules(rules: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for rule in rules:
        seen.setdefault(repr(sorted(rule.items())), rule)
    return list(seen.values())


def _user_constraint(permits: list[str], prohibits: list[str]) -> tuple[str | None, list[str]]:
    """The constraint `user` types amount to: None, "non-commercial" or "drop" (spec §9.8).

    Listing both commercial and non-commercial admits every user, whatever else is listed.
    """
    unknown = [t for t in [*permits, *prohibits] if t not in USER_TYPES]
    if unknown:
        return "drop", [f"the user type {token!r}" for token in _unique(unknown)]
    allowed = set(permits)
    everyone = not allowed or {"commercial", "non-commercial"} <= allowed
    only_non_commercial = allowed == {"non-commercial"}
    if prohibits:
        if set(prohibits) != {"commercial"}:
            return "drop", []
        return ("non-commercial" if everyone or only_non_commercial else "drop"), []
    if everyone:
        return None, []
    return ("non-commercial" if only_non_commercial else "drop"), []


def _places(tokens: list[str]) -> tuple[tuple[str, ...], list[str]]:
    """`geo` codes as jurisdiction codes; codes that are not two letters are not understood."""
    codes: list[str] = []
    doubts: list[str] = []
    for token in tokens:
        code = canonical(token)
        if _PLACE.fullmatch(code):
            codes.append(code)
        else:
            doubts.append(f"the place {token!r}")
    return tuple(sorted(set(codes))), doubts


def read_rsl(data: bytes, origin: Origin, *, site: str | None = None) -> ReadResult:
    """Read an RSL 1.0 document (carrier `rsl`, party: the document's URL).

    site is the origin whose paths the document's bare patterns name (the site that linked
    the document); by default the origin of the document's own URL. When origin.target names
    an item other than the document, RSL's selection is applied: only the longest matching
    `<content>` (all of them at equal length) is read, with the item as target. Otherwise every
    `<content>` becomes declarations with its own `urlPattern` target; overlapping patterns
    then combine most restrictively (§6.4), never more permissively than RSL would.
    """
    result = ReadResult()
    parsed = _parse(data)
    reader = _Reader(origin, site, result)
    if isinstance(parsed, str):
        reader.mark(f"RSL document unreadable: {parsed}")
        return result
    contents = [child for child in parsed if _local(child) == "content"]
    item = _item_url(origin)
    chosen: list[tuple[ET.Element, Scope, dict[str, str]]] = []
    if item is None:
        for element in contents:
            scope = parse_scope(element.get("url"))
            if scope is None:
                reader.mark(f"<content url={element.get('url')!r}>: not a URL or path pattern")
                continue
            chosen.append((element, scope, scope.target(reader.site)))
    else:
        candidates: list[tuple[int, ET.Element, Scope]] = []
        for element in contents:
            scope = parse_scope(element.get("url"))
            if scope is None:  # it may or may not concern the item: fail closed
                reader.mark(f"<content url={element.get('url')!r}>: not a URL or path pattern")
            elif scope.covers(item, reader.site):
                candidates.append((specificity(scope.path), element, scope))
        if candidates:
            longest = max(length for length, _, _ in candidates)
            chosen = [(e, s, origin.target) for n, e, s in candidates if n == longest]
    for element, scope, target in chosen:
        reader.content(element, scope, target)
    return result


# --------------------------------------------------------------------------- writing

_LEAF_TOKEN: Final = {
    "ai-inference": "ai-input",
    "ai-index": "ai-index",
    "search": "search",
}
_TRAINING_LEAVES: Final = frozenset({"genai-training", "non-generative-training"})
_AI_LEAVES: Final = frozenset({*_TRAINING_LEAVES, "ai-inference", "ai-index"})
_ALL_LEAVES: Final = frozenset({*_AI_LEAVES, "search"})


def tokens_for(leaves: frozenset[str] | set[str]) -> list[str]:
    """The fewest RSL usage tokens naming exactly these leaves (training only as a pair)."""
    if leaves >= _ALL_LEAVES:
        return ["all"]
    tokens: list[str] = []
    if leaves >= _AI_LEAVES:
        tokens.append("ai-all")
    else:
        if leaves >= _TRAINING_LEAVES:
            tokens.append("ai-train")
        tokens.extend(_LEAF_TOKEN[leaf] for leaf in ("ai-inference", "ai-index") if leaf in leaves)
    if "search" in leaves:
        tokens.append("search")
    return tokens


def _widen(leaves: set[str]) -> set[str]:
    """Prohibited leaves as RSL can name them: one kind of training widens to both."""
    return leaves | set(_TRAINING_LEAVES) if leaves & _TRAINING_LEAVES else set(leaves)


@dataclass(frozen=True, slots=True)
class _Offer:
    """One licence to write: permitted leaves under one set of conditions."""

    leaves: frozenset[str]
    constraint: str | None
    duties: tuple[str, ...]
    places: tuple[str, ...]
    payment: str | None  # "training" / "use" with compensate, else None
    policy_url: str | None
    declaration: str | None
    purposes: tuple[str, ...]


@dataclass(slots=True)
class _Content:
    scope: Scope
    written: str
    exact: bool  # whether permissions may be written here (the pattern is no wider than asked)
    prohibited: set[str] = field(default_factory=set)
    offers: list[_Offer] = field(default_factory=list)
    terms: list[str] = field(default_factory=list)


def _standard_losses(value: dict[str, Any], ident: str | None, losses: list[Loss]) -> None:
    """What RSL never carries (spec §9.8 Lost, §9.13)."""
    losses.append(Loss("lost", "declaredBy: the party (RSL names no declaring party)", ident))
    losses.append(Loss("lost", "declaredAt: the time of the declaration", ident))
    if value.get("basis", "unspecified") != "license":
        basis = value.get("basis", "unspecified")
        losses.append(Loss("lost", f"basis: {basis} (RSL offers a licence)", ident))
    for key, what in (
        ("content", "content facts (minors, visibility, personal data, creation time)"),
        ("withdrawnAt", "the withdrawal time (permissions written as prohibitions)"),
        ("withdrawalUrl", "where to withdraw"),
        ("evidence", "the evidence of the consent event"),
        ("validFrom", "the start of validity"),
        ("validUntil", "the end of validity"),
    ):
        if key in value:
            losses.append(Loss("lost", f"{key}: {what}", ident))


def _target_scope(target: dict[str, Any], site: str | None) -> tuple[Scope, bool] | None:
    """A target as an RSL `<content url>` scope, and whether it is exact."""
    if "url" in target:
        where = origin_of(target["url"])
        if where is None:
            return None
        path = normalise_path(path_of(target["url"]))
        exact = "*" not in path and "$" not in path
        return Scope(where, path + "$" if exact else path), exact
    if "urlPattern" in target:
        scope = parse_scope(target["urlPattern"])
        return (scope, True) if scope is not None else None
    return None


def _written_url(scope: Scope, site: str | None) -> str:
    if scope.origin is None or scope.origin == site:
        return scope.path
    return scope.origin + scope.path


class _Writer:
    def __init__(self, site: str | None) -> None:
        self.site = origin_of(site) if site else None
        self.losses: list[Loss] = []
        self.contents: dict[str, _Content] = {}
        self.tree = purpose_tree()

    def lose(self, kind: str, detail: str, ident: str | None) -> None:
        self.losses.append(Loss(kind, detail, ident))  # type: ignore[arg-type]

    def add(self, value: dict[str, Any]) -> None:
        ident = value.get("id")
        ident = ident if isinstance(ident, str) else None
        _standard_losses(value, ident, self.losses)
        tree = self.tree
        withdrawn = "withdrawnAt" in value
        permissions = [r for r in value.get("permission", []) if isinstance(r, dict)]
        prohibitions = [r for r in value.get("prohibition", []) if isinstance(r, dict)]
        if withdrawn:
            prohibitions += [{"purpose": r.get("purpose")} for r in permissions]
            permissions = []
        places = tuple(sorted(expand(list(value.get("jurisdiction", [])))))
        # Prohibitions: written everywhere, for everyone, for every use type.
        forbidden: dict[str, int] = {}  # leaf -> depth of the deepest prohibition naming it
        for rule in prohibitions:
            purpose = rule.get("purpose")
            if purpose not in tree.depth:
                continue
            if rule.get("agent"):
                self.lose("widened", f"agent: prohibition of {purpose} for every agent", ident)
            if rule.get("constraint"):
                self.lose("widened", f"constraint: prohibition of {purpose} for every use", ident)
            if places:
                self.lose("widened", f"jurisdiction: prohibition of {purpose} everywhere", ident)
            for leaf in tree.leaves[purpose]:
                forbidden[leaf] = max(forbidden.get(leaf, -1), tree.depth[purpose])
        # Permissions RSL can carry; the others are dropped with their reason.
        offers: list[tuple[dict[str, Any], str]] = []
        for rule in permissions:
            purpose = rule.get("purpose")
            if purpose not in tree.depth:
                continue
            reason = self.unwritable(rule, value)
            if reason is not None:
                self.lose("dropped", f"{reason}: permission of {purpose}", ident)
                continue
            offers.append((rule, purpose))
        # An unconditional permission deeper than a prohibition decides its leaves (§6.4
        # step 6): RSL cannot say "except", so those leaves are simply not prohibited.
        stated = dict(forbidden)
        for rule, purpose in offers:
            if places or rule.get("constraint"):
                continue  # applies only sometimes: it cannot lift a prohibition everywhere
            for leaf in tree.leaves[purpose]:
                if forbidden.get(leaf, 99) < tree.depth[purpose]:
                    del forbidden[leaf]
        prohibited = set(forbidden)
        if prohibited & _TRAINING_LEAVES and not prohibited >= _TRAINING_LEAVES:
            only = sorted(prohibited & _TRAINING_LEAVES)[0]
            self.lose("widened", f"purpose: prohibition of {only} written as ai-train", ident)
        blocked = _widen(prohibited)
        # Each leaf is decided by the deepest permissions naming it; a shallower one is not
        # written for it, since in RSL it would decide without the deeper one's conditions.
        deepest: dict[str, int] = {}
        for rule in permissions:
            purpose = rule.get("purpose")
            if isinstance(purpose, str) and purpose in tree.depth:
                for leaf in tree.leaves[purpose]:
                    deepest[leaf] = max(deepest.get(leaf, -1), tree.depth[purpose])
        chosen: list[tuple[dict[str, Any], str, set[str]]] = []
        for rule, purpose in offers:
            depth = tree.depth[purpose]
            decided = {leaf for leaf in tree.leaves[purpose] if deepest[leaf] == depth}
            leaves = decided - blocked
            overridden = sorted(leaf for leaf in decided & blocked if stated.get(leaf, -1) < depth)
            if overridden:
                detail = f"purpose: permission of {purpose} for {overridden} under its conditions"
                self.lose("dropped", detail + " (RSL cannot lift a prohibition)", ident)
            if leaves & _TRAINING_LEAVES and not leaves >= _TRAINING_LEAVES:
                only = sorted(leaves & _TRAINING_LEAVES)[0]
                self.lose("dropped", f"purpose: permission of {only} has no RSL usage", ident)
                leaves -= _TRAINING_LEAVES
            chosen.append((rule, purpose, leaves))
        for rule, purpose in offers:
            depth = tree.depth[purpose]
            conditions = set(rule.get("constraint", []))
            for leaf in sorted(tree.leaves[purpose]):
                if deepest[leaf] > depth and not any(
                    leaf in leaves
                    and tree.depth[other] == deepest[leaf]
                    and set(deeper.get("constraint", [])) <= conditions
                    for deeper, other, leaves in chosen
                ):
                    detail = f"purpose: permission of {purpose} for {leaf} where a deeper one"
                    self.lose("dropped", detail + " does not apply", ident)
                    break
        written_offers: list[_Offer] = []
        for rule, purpose, leaves in chosen:
            if not leaves:
                continue
            duties = tuple(sorted(rule.get("duty", ())))
            payment = None
            if "compensate" in duties:
                payment = "training" if purpose in _TRAINING else "use"
            constraints = rule.get("constraint", [])
            written_offers.append(
                _Offer(
                    frozenset(leaves),
                    constraints[0] if constraints else None,
                    duties,
                    places,
                    payment,
                    value.get("policyUrl") if "compensate" in duties else None,
                    ident,
                    (purpose,),
                )
            )
        policy = value.get("policyUrl")
        compensated = any("compensate" in o.duties for o in written_offers)
        targets = [t for t in value.get("target", []) if isinstance(t, dict)]
        any_written = False
        for target in targets:
            scoped = _target_scope(target, self.site)
            if scoped is None:
                self.lose("lost", f"target: {target} cannot be named in RSL", ident)
                continue
            scope, exact = scoped
            written = _written_url(scope, self.site)
            content = self.contents.setdefault(written, _Content(scope, written, exact))
            content.prohibited |= _widen(prohibited & _ALL_LEAVES)
            if exact:
                content.offers.extend(written_offers)
            elif written_offers:
                self.lose("dropped", f"target: permissions for {target} (no exact RSL url)", ident)
            if isinstance(policy, str) and not compensated and policy not in content.terms:
                if is_http_url(policy):
                    content.terms.append(policy)
                else:
                    self.lose("lost", f"policyUrl: {policy} is not an http(s) URL", ident)
            any_written = True
        if not any_written and (prohibited or written_offers):
            self.lose("lost", "target: the declaration has no target RSL can name", ident)

    def unwritable(self, rule: dict[str, Any], value: dict[str, Any]) -> str | None:
        """Why a permission cannot be written without widening it, if it cannot."""
        if rule.get("agent"):
            return "agent"
        constraints = rule.get("constraint") or []
        if constraints and constraints != ["non-commercial"]:
            return "constraint"
        if "notify" in (rule.get("duty") or []):
            return "duty notify"
        if not value.get("retroactive", False):
            return "retroactive false (RSL offers apply to all content)"
        if "validFrom" in value or "validUntil" in value:
            return "validity period"
        if "compensate" in (rule.get("duty") or []) and not is_http_url(value.get("policyUrl")):
            return "duty compensate without an http(s) policyUrl"
        return None

    def finish(self) -> Written:
        """Reconcile overlapping patterns, then write the document.

        RSL reads only the longest matching `<content>`, where aiconsent applies every matching
        declaration; so a longer pattern also carries the prohibitions of shorter ones it may
        overlap, and the permissions of shorter ones that surely contain it.
        """
        contents = list(self.contents.values())
        shorter = {
            id(content): [
                other
                for other in contents
                if specificity(other.scope.path) < specificity(content.scope.path)
                and self.overlap(other.scope, content.scope)
            ]
            for content in contents
        }
        inherited: dict[int, tuple[set[str], list[_Offer]]] = {}
        for content in contents:
            prohibited: set[str] = set()
            offers: list[_Offer] = []
            for other in shorter[id(content)]:
                prohibited |= other.prohibited
                if self.contains(other.scope, content.scope):
                    offers.extend(other.offers)
                elif other.offers:
                    detail = f"target: permissions for {other.written} not written for "
                    self.lose("dropped", detail + content.written, None)
            inherited[id(content)] = (prohibited, offers)
        for content in contents:
            prohibited, offers = inherited[id(content)]
            if prohibited - content.prohibited:
                detail = (
                    f"target: prohibitions of shorter patterns also written for {content.written}"
                )
                self.lose("widened", detail, None)
            content.prohibited |= prohibited
            content.offers.extend(offers)
        lines = ['<?xml version="1.0" encoding="UTF-8"?>', f'<rsl xmlns="{NAMESPACE}">']
        for content in contents:
            body = self.licences(content)
            if not body:
                continue
            lines.append(f"  <content url={quoteattr(content.written)}>")
            lines.extend(f"    <terms>{escape(url)}</terms>" for url in content.terms[:1])
            for url in content.terms[1:]:
                self.lose("lost", f"policyUrl: {url} (one <terms> per content)", None)
            lines.extend(body)
            lines.append("  </content>")
        lines.append("</rsl>")
        return Written("\n".join(lines) + "\n", MEDIA_TYPE, self.losses)

    def where(self, scope: Scope) -> str | None:
        return scope.origin or self.site

    def overlap(self, one: Scope, other: Scope) -> bool:
        """Whether some URL could match both patterns (True when unsure: wildcards)."""
        if self.where(one) != self.where(other):
            return False
        a, b = one.path, other.path
        if "*" in a or "*" in b:
            return True
        a_end, b_end = a.endswith("$"), b.endswith("$")
        a, b = a.rstrip("$"), b.rstrip("$")
        if a == b:
            return True
        if a.startswith(b):
            return not b_end
        if b.startswith(a):
            return not a_end
        return False

    def contains(self, outer: Scope, inner: Scope) -> bool:
        """Whether every URL the inner pattern matches surely matches the outer one."""
        if self.where(outer) != self.where(inner) or "*" in outer.path or "$" in outer.path:
            return False
        literal = re.split(r"[*$]", inner.path, maxsplit=1)[0]
        return literal.startswith(outer.path)

    def licences(self, content: _Content) -> list[str]:
        prohibited = _widen(content.prohibited)
        forbid = tokens_for(prohibited)
        grouped: dict[tuple[Any, ...], set[str]] = {}
        sources: dict[tuple[Any, ...], set[str | None]] = {}
        for offer in content.offers:
            leaves = set(offer.leaves) - prohibited
            if leaves != set(offer.leaves):
                self.lose(
                    "dropped",
                    f"purpose: permission of {offer.purposes[0]} overlaps prohibitions "
                    f"that RSL would let override it ({content.written})",
                    offer.declaration,
                )
            if leaves & _TRAINING_LEAVES and not leaves >= _TRAINING_LEAVES:
                leaves -= _TRAINING_LEAVES
            if not leaves:
                continue
            key = (offer.constraint, offer.duties, offer.places, offer.payment, offer.policy_url)
            grouped.setdefault(key, set()).update(leaves)
            sources.setdefault(key, set()).add(offer.declaration)
        self.choices(content, grouped, sources)
        lines: list[str] = []
        for (constraint, duties, places, payment, policy), leaves in grouped.items():
            lines.append("    <license>")
            lines.append(f'      <permits type="usage">{" ".join(tokens_for(leaves))}</permits>')
            if constraint == "non-commercial":
                lines.append('      <permits type="user">non-commercial</permits>')
            if places:
                lines.append(f'      <permits type="geo">{" ".join(places)}</permits>')
            if forbid:
                lines.append(f'      <prohibits type="usage">{" ".join(forbid)}</prohibits>')
            if "attribute" in duties:
                lines.append('      <payment type="attribution"/>')
            if payment is not None:
                lines.append(f'      <payment type="{payment}">')
                if policy:
                    lines.append(f"        <standard>{escape(policy)}</standard>")
                lines.append("      </payment>")
            lines.append("    </license>")
        if not lines and forbid:
            lines = [
                "    <license>",
                f'      <prohibits type="usage">{" ".join(forbid)}</prohibits>',
                "    </license>",
            ]
        return lines

    def choices(
        self,
        content: _Content,
        grouped: dict[tuple[Any, ...], set[str]],
        sources: dict[tuple[Any, ...], set[str | None]],
    ) -> None:
        """Report licences that offer one usage under different duties.

        aiconsent adds up the duties of every party's permission; RSL lets the user pick any
        licence on offer, and read back, the most specific usage or one place's declaration
        decides. Only licences of one declaration for the same places keep every duty.
        """
        keys = list(grouped)
        for first, key in enumerate(keys):
            for other in keys[first + 1 :]:
                if key[1] == other[1] or not grouped[key] & grouped[other]:
                    continue
                single = len(sources[key] | sources[other]) == 1
                if not single or key[2] != other[2]:
                    detail = "duty: several licences offer the same usage with different duties"
                    self.lose("lost", f"{detail} ({content.written})", None)
                    return


def write_rsl(declarations: Sequence[dict[str, Any]], *, site: str | None = None) -> Written:
    """Write declarations as one RSL 1.0 document, listing every loss (spec §9.8 Writing).

    Targets on site (an origin) are written as paths, others as full URLs; `url` targets
    end in `$` so that they stay exact. Prohibitions are widened where RSL lacks a label or
    a scope; permissions are dropped rather than widened or stripped of a condition.
    """
    writer = _Writer(site)
    for value in declarations:
        if isinstance(value, dict):
            writer.add(value)
    return writer.finish()
