"""W3C TDMRep (spec §9.4): the TDM reservation of a site, a response, a page, an EPUB or a PDF.

TDMRep says one bit per resource: `tdm-reservation` 1 (text and data mining reserved) or 0 (not
reserved), optionally with `tdm-policy`, the URL of a TDM Policy (an ODRL Offer). It is carried in
`/.well-known/tdmrep.json` (carrier `tdmrep`), HTTP response fields (`http-header`), HTML meta
and EPUB package metadata (`html`) and PDF XMP (`xmp`).

Reading (§9.4 table): 1 → a prohibition of `tdm`, the policy URL as `policyUrl`; 0 → a permission
of `tdm` with `basis: statutory-exception` and `jurisdiction: ["EEA"]`; any other value → an
unreadable marker for all purposes; nothing → nothing. A TDM Policy's offers are never read as
permissions (an offer is not a grant, §9.4, §11.8); `read_tdm_policy` describes them.

TDMRep's own precedence of carriers (tdmrep.json < HTTP < HTML < EPUB/PDF, an absent value never
resetting a lower one) is applied by `combine_tdmrep` before aiconsent combines across carriers
(§9.1 rule 1). Every reader here leaves a small JSON record under the key `"tdmrep"` in
`ReadResult.other` saying what it found, which is what `combine_tdmrep` works from:

    site = read_tdmrep_json(well_known_bytes, json_origin, url=item_url)
    headers = read_headers(pairs, response_origin)        # calls tdm_values(...)
    page = read_html(html_bytes, page_origin)             # calls tdm_values(...)
    item = combine_tdmrep([("tdmrep.json", site), ("http-header", headers), ("html", page)])
    check(item.found + item.unreadable, "genai-training", ...)

Writers map aiconsent declarations back to the one bit and report what does not fit (§9.1).
"""

from __future__ import annotations

import html
import io
import json
import re
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal
from urllib.parse import quote, urljoin, urlsplit
from xml.etree.ElementTree import Element, ParseError

from aiconsent.formats.common import (
    Loss,
    Origin,
    Written,
    declaration,
    found,
    unreadable,
)
from aiconsent.formats.patterns import matches, path_of, specificity
from aiconsent.model.found import Found, ReadResult

CARRIER_JSON: Final = "tdmrep"
CARRIER_HEADER: Final = "http-header"
CARRIER_HTML: Final = "html"
CARRIER_EPUB: Final = "html"  # §9.4: EPUB package metadata is carried as `html`
CARRIER_PDF: Final = "xmp"

NS_HASH: Final = "http://www.w3.org/ns/tdmrep#"  # the JSON-LD context and EPUB 3 use this one
NS_SLASH: Final = "http://www.w3.org/ns/tdmrep/"  # the spec's PDF XMP example uses this one
NAMESPACES: Final = (NS_HASH, NS_SLASH)
PROFILE: Final = "http://www.w3.org/ns/tdmrep"
ODRL: Final = "http://www.w3.org/ns/odrl/2/"
ODRL_CONTEXT: Final = "http://www.w3.org/ns/odrl.jsonld"
TDMREP_CONTEXT: Final = "http://www.w3.org/ns/tdmrep.jsonld"

MAX_BYTES: Final = 10 * 1024 * 1024  # §11.2
MAX_DEPTH: Final = 64  # §11.2, for JSON
MAX_PACKETS: Final = 256  # XMP packets looked at in one PDF
MAX_STREAMS: Final = 64  # compressed metadata streams inflated in one PDF
MAX_URL: Final = 4096

# combine_tdmrep: the techniques of TDMRep in increasing precedence
PRECEDENCE: Final = {"tdmrep.json": 1, "http-header": 2, "html": 3, "epub": 4, "pdf": 4}

Reservation = Literal["0", "1"]


# -- values ---------------------------------------------------------------------------------------


def _reservation_token(text: str, *, field_list: bool) -> Reservation | None:
    """'1' or '0'; None for any other value (a protocol error in TDMRep).

    In an HTTP field, repeated identical lines may have been folded into a list ("1, 1"); RFC 9110
    makes that the same message, so a list of one repeated valid value is that value.
    """
    stripped = text.strip(" \t\r\n\f")
    members = [m.strip(" \t") for m in stripped.split(",")] if field_list else [stripped]
    first = members[0]
    if first in ("0", "1") and all(member == first for member in members):
        return "1" if first == "1" else "0"
    return None


_URI_SAFE: Final = "!$&'()*+,-./:;=?@_~%"


def _policy_url(raw: str | None, base: str | None) -> str | None:
    """The tdm-policy value as an absolute http(s) URI, or None when it is not one.

    Relative references are resolved against the carrier document's URL (RFC 3986 §5); characters
    a URI cannot hold are percent-encoded, so the result is a valid `policyUrl`.
    """
    if raw is None:
        return None
    text = raw.strip(" \t\r\n\f")
    if not text or len(text) > MAX_URL or any(ord(c) < 0x21 or ord(c) == 0x7F for c in text):
        return None
    if "[" in text or "]" in text or "\\" in text:
        return None
    try:
        if base is not None and _http_site(base) is not None:
            text = urljoin(base, text)
        parts = urlsplit(text)
        _ = parts.port  # raises ValueError for a port that is not a number
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    text = re.sub(r"%(?![0-9A-Fa-f]{2})", "%25", text)
    head, hash_sign, fragment = text.partition("#")
    uri = quote(head, safe=_URI_SAFE)
    if hash_sign:
        uri += "#" + quote(fragment, safe=_URI_SAFE)
    return uri


def _http_site(url: str | None) -> str | None:
    """scheme://host[:port] of an http(s) URL, or None."""
    if not url:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    if any(c.isspace() or c == "/" for c in parts.netloc):
        return None
    return f"{parts.scheme.lower()}://{parts.netloc}"


def _location(value: Any) -> str | None:
    """A tdmrep.json `location` as a urlPattern path, or None when it cannot be one.

    A leading `*` means the same as `/*` (every path starts with `/`). Whitespace and non-ASCII
    characters are percent-encoded, which RFC 9309 matching treats as the same path.
    """
    if not isinstance(value, str) or not value or len(value) > MAX_URL:
        return None
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        return None
    if value.startswith("*"):
        value = "/" + value
    if not value.startswith("/"):
        return None
    return "".join(c if " " < c < "\x7f" else quote(c, safe="") for c in value)


def _declare(
    result: ReadResult,
    origin: Origin,
    carrier: str,
    value: Reservation,
    policy: str | None,
    raw: str,
    target: dict[str, str] | None = None,
) -> str | None:
    """The declaration for one TDMRep value (§9.4 table); returns its id."""
    if value == "1":
        made = declaration(
            origin,
            carrier,
            prohibition=[{"purpose": "tdm"}],
            raw=raw,
            target=target,
            policy_url=policy,
        )
    else:
        made = declaration(
            origin,
            carrier,
            permission=[{"purpose": "tdm"}],
            raw=raw,
            target=target,
            basis="statutory-exception",
            jurisdiction=["EEA"],
        )
    found(result, made, origin, carrier)
    return None if made is None else str(made["id"])


@dataclass(slots=True)
class _Record:
    """What one TDMRep carrier said about one item; kept in ReadResult.other for combining."""

    carrier: str
    source: str
    reservation: Reservation | None = None
    policy: str | None = None
    declarations: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "tdmrep": {
                "carrier": self.carrier,
                "source": self.source,
                "reservation": self.reservation,
                "policy": self.policy,
                "declarations": list(self.declarations),
                "unreadable": list(self.unreadable),
            }
        }


def _fail(result: ReadResult, record: _Record, origin: Origin, message: str) -> None:
    """An unreadable marker for all purposes (§9.4: TDMRep's unset, aiconsent's fail closed)."""
    text = f"TDMRep: {message}"
    if text not in record.unreadable:
        unreadable(result, origin, record.carrier, text)
        record.unreadable.append(text)


def _settle(
    result: ReadResult,
    record: _Record,
    origin: Origin,
    values: Sequence[str | None],
    policies: Sequence[str | None],
    raw: str,
    target: dict[str, str] | None = None,
) -> None:
    """Turn the values one carrier gave for one item into at most one declaration.

    Several values in one carrier: a reservation among them wins; a value that is not 0 or 1
    makes an unreadable marker; and a carrier with any unreadable value grants nothing.
    """
    valid = [value for value in values if value in ("0", "1")]
    invalid = [value for value in values if value not in ("0", "1")]
    for value in invalid:
        shown = "(empty)" if not value else repr(value[:40])
        _fail(result, record, origin, f"tdm-reservation {shown} is neither 0 nor 1")
    policy = next((p for p in policies if p is not None), None)
    record.policy = record.policy or policy
    reservation: Reservation | None = None
    if "1" in valid:
        reservation = "1"
    elif valid and not record.unreadable:
        reservation = "0"
    if reservation is not None:
        record.reservation = reservation
        identifier = _declare(result, origin, record.carrier, reservation, policy, raw, target)
        if identifier:
            record.declarations.append(identifier)
    result.other.append(record.to_dict())


# -- HTTP header and HTML meta values -----------------------------------------------------------


def tdm_values(
    reservation: str | None, policy: str | None, origin: Origin, carrier: str
) -> ReadResult:
    """The declaration for `tdm-reservation` / `tdm-policy` values of one response or page.

    Used by the HTTP header reader (carrier `http-header`) and the HTML reader (carrier `html`).
    `reservation` None means the field is absent: nothing is declared (unknown), though the
    policy is kept in the record for `combine_tdmrep`. A policy that is not an http(s) URL is
    ignored; a relative one is resolved against `origin.party`.
    """
    result = ReadResult()
    record = _Record(carrier, origin.source)
    policy_url = _policy_url(policy, origin.party)
    lines = []
    if reservation is not None:
        lines.append(f"tdm-reservation: {reservation}")
    if policy is not None:
        lines.append(f"tdm-policy: {policy}")
    if reservation is None:
        record.policy = policy_url
        if policy_url is not None:
            result.other.append(record.to_dict())
        return result
    value = _reservation_token(reservation, field_list=carrier == CARRIER_HEADER)
    _settle(
        result, record, origin, [value if value else reservation], [policy_url], "\n".join(lines)
    )
    return result


# -- /.well-known/tdmrep.json -------------------------------------------------------------------


class _Duplicated(dict[str, Any]):
    """A JSON object that named a key twice: which value was meant cannot be known."""


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    made: dict[str, Any] = _Duplicated(pairs) if len(set(keys)) != len(keys) else dict(pairs)
    return made


def _depth(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether parsed JSON nests no deeper than the limit (checked without recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            if level > limit:
                return False
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, level + 1) for child in children)
    return True


def _load_json(data: bytes) -> Any:
    """Parsed JSON, or raise ValueError saying why it cannot be read."""
    if len(data) > MAX_BYTES:
        raise ValueError(f"larger than {MAX_BYTES} bytes")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValueError("not UTF-8") from error
    try:
        value = json.loads(text, object_pairs_hook=_pairs)
    except RecursionError as error:
        raise ValueError("nested too deeply") from error
    except json.JSONDecodeError as error:
        raise ValueError(f"not JSON ({error.msg} at {error.pos})") from error
    if not _depth(value):
        raise ValueError("nested too deeply")
    return value


@dataclass(frozen=True, slots=True)
class _Rule:
    location: str | None  # None: malformed
    value: Reservation | None  # None: not 0 or 1
    given: str  # the reservation as written, for messages
    policy: str | None
    raw: str
    problem: str | None = None


def _rule(item: Any, index: int, base: str | None) -> _Rule:
    raw = json.dumps(item, ensure_ascii=False, sort_keys=True)[:2048]
    if not isinstance(item, dict):
        return _Rule(None, None, "", None, raw, f"rule {index} is not a JSON object")
    if isinstance(item, _Duplicated):
        return _Rule(None, None, "", None, raw, f"rule {index} names a key twice")
    location = _location(item.get("location"))
    if location is None:
        return _Rule(None, None, "", None, raw, f"rule {index} has no usable location")
    if "tdm-reservation" not in item:
        return _Rule(location, None, "", None, raw, f"rule {index} has no tdm-reservation")
    given = item["tdm-reservation"]
    value: Reservation | None = None
    if type(given) is int and given in (0, 1):  # not True/False, not 1.0, not "1"
        value = "1" if given == 1 else "0"
    policy_raw = item.get("tdm-policy")
    policy = _policy_url(policy_raw, base) if isinstance(policy_raw, str) else None
    return _Rule(location, value, json.dumps(given)[:40], policy, raw)


def read_tdmrep_json(data: bytes, origin: Origin, *, url: str | None = None) -> ReadResult:
    """Declarations from /.well-known/tdmrep.json (carrier `tdmrep`).

    With `url` (the item's URL), the first rule in array order whose location matches the item's
    path applies (TDMRep: "the most specific match is the first in sequence"); it gives at most
    one declaration, targeted at that rule's location, and a malformed rule before it gives an
    unreadable marker (it might have been meant for this item). Without `url`, every rule gives a
    declaration for its location; aiconsent then combines overlapping locations by §6 (a
    reservation wins), which can only be stricter than TDMRep's first match — pass `url` for
    the exact answer. Targets are `urlPattern`s with the site's origin when it is known (from
    `url`, `origin.target` or `origin.party`).
    """
    result = ReadResult()
    try:
        rules = _load_json(data)
    except ValueError as error:
        record = _Record(CARRIER_JSON, origin.source)
        _fail(result, record, origin, f"tdmrep.json: {error}")
        result.other.append(record.to_dict())
        return result
    if not isinstance(rules, list):
        record = _Record(CARRIER_JSON, origin.source)
        _fail(result, record, origin, "tdmrep.json is not a JSON array of rules")
        result.other.append(record.to_dict())
        return result
    site = _http_site(url) or _http_site(origin.target.get("url")) or _http_site(origin.party)
    base = origin.party if _http_site(origin.party) else None
    path = path_of(url) if url is not None else None
    pending = _Record(CARRIER_JSON, origin.source)  # with url: the one record for the item
    settled = False
    for index, item in enumerate(rules):
        rule = _rule(item, index, base)
        if rule.location is None or (rule.problem is not None and path is None):
            _fail(result, pending, origin, f"tdmrep.json {rule.problem}")
            continue
        if path is not None and not matches(rule.location, path):
            continue
        target = {"urlPattern": f"{site}{rule.location}" if site else rule.location}
        record = pending if path is not None else _Record(CARRIER_JSON, origin.source)
        if rule.problem is not None:
            _fail(result, record, origin, f"tdmrep.json {rule.problem}")
            values: list[str | None] = []
        else:
            values = [rule.value if rule.value else rule.given]
        _settle(result, record, origin, values, [rule.policy], rule.raw, target)
        if path is not None:
            settled = True
            break
    if pending.unreadable and not settled:
        result.other.append(pending.to_dict())
    if path is None:
        _withhold_permissions(result)
    return result


def _withhold_permissions(result: ReadResult) -> None:
    """A file with an unreadable rule grants nothing: which rule was meant cannot be known."""
    if not result.unreadable:
        return
    kept = [item for item in result.found if "permission" not in item.declaration]
    removed = {str(item.declaration["id"]) for item in result.found} - {
        str(item.declaration["id"]) for item in kept
    }
    result.found[:] = kept
    for entry in result.other:
        record = entry.get("tdmrep")
        if record and set(record["declarations"]) & removed:
            record["declarations"] = [d for d in record["declarations"] if d not in removed]
            record["reservation"] = None


# -- XML ------------------------------------------------------------------------------------------


def _parse_xml(data: bytes) -> Element:
    """Parse XML with DTDs, entities and external resources refused (§11.3); ValueError if not."""
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring as safe_fromstring

    try:
        root: Element = safe_fromstring(
            data, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except DefusedXmlException as error:
        reason = f"refused XML ({type(error).__name__}: DTDs and entities are not read)"
        raise ValueError(reason) from error
    except ParseError as error:
        raise ValueError(f"not well-formed XML ({error})") from error
    except (LookupError, UnicodeError, RecursionError, MemoryError) as error:
        raise ValueError(f"unreadable XML ({type(error).__name__})") from error
    return root


def _name(tag: str) -> tuple[str, str]:
    """(namespace, local name) of an ElementTree tag or attribute name."""
    if tag.startswith("{"):
        namespace, _, local = tag[1:].partition("}")
        return namespace, local
    return "", tag


# -- EPUB -----------------------------------------------------------------------------------------

_CONTAINER_NS: Final = "urn:oasis:names:tc:opendocument:xmlns:container"
_PREFIX_PAIR: Final = re.compile(r"([A-Za-z_][\w.-]*):\s+(\S+)")


def _opf_of_epub(data: bytes) -> bytes:
    """The package document of an EPUB container (the first rootfile), size-bounded."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            container = _parse_xml(_member(archive, "META-INF/container.xml"))
            for element in container.iter():
                if _name(element.tag)[1] == "rootfile" and element.get("full-path"):
                    return _member(archive, str(element.get("full-path")))
    # zipfile raises all of these for hostile archives: RuntimeError for encrypted members, its
    # own NotImplementedError for compression methods it lacks, zlib.error for bad deflate data.
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        KeyError,
        OSError,
        EOFError,
        RuntimeError,
        NotImplementedError,
        zlib.error,
    ) as error:
        raise ValueError(f"not a readable EPUB container ({type(error).__name__})") from error
    raise ValueError("the EPUB container names no package document")


def _member(archive: zipfile.ZipFile, name: str) -> bytes:
    with archive.open(name) as stream:
        content = stream.read(MAX_BYTES + 1)
    if len(content) > MAX_BYTES:
        raise ValueError(f"{name} is larger than {MAX_BYTES} bytes")
    return content


def read_epub_opf(data: bytes, origin: Origin) -> ReadResult:
    """tdm:reservation / tdm:policy of an EPUB package document (carrier `html`, §9.4).

    `data` is the OPF package document, or a whole EPUB (the OPF is found through
    META-INF/container.xml). Reads EPUB 2 `<meta name="tdm:reservation" content="1"/>` and
    EPUB 3 `<meta property="tdm:reservation">1</meta>`, with `tdm` declared in the package's
    `prefix` as either TDMRep namespace (or left undeclared, as EPUB 2 writes it). `meta` with
    `refines` is about one part of the package, which TDMRep does not define, and is ignored.
    The declaration's target is `origin.target`: pass an Origin for the publication, not the OPF.
    """
    result = ReadResult()
    record = _Record(CARRIER_EPUB, origin.source)
    try:
        if len(data) > MAX_BYTES:
            raise ValueError(f"larger than {MAX_BYTES} bytes")
        package = _opf_of_epub(data) if data[:4] == b"PK\x03\x04" else data
        root = _parse_xml(package)
    except ValueError as error:
        _fail(result, record, origin, f"EPUB package document: {error}")
        result.other.append(record.to_dict())
        return result
    declared = dict(_PREFIX_PAIR.findall(root.get("prefix", "")))
    prefixes = {prefix for prefix, iri in declared.items() if iri in NAMESPACES}
    if "tdm" not in declared:
        prefixes.add("tdm")
    values: list[str | None] = []
    policies: list[str | None] = []
    raw: list[str] = []
    for meta in _metas(root):
        if meta.get("refines") is not None:
            continue
        key: str | None = None
        text: str | None = None
        name, prop = meta.get("name"), meta.get("property")
        if name in ("tdm:reservation", "tdm:policy"):
            key, text = name.partition(":")[2], meta.get("content")
        elif prop is not None:
            prefix, _, reference = prop.strip().partition(":")
            if prefix in prefixes and reference in ("reservation", "policy"):
                key, text = reference, meta.text
        if key is None:
            continue
        value = (text or "").strip(" \t\r\n\f")
        raw.append(f"tdm:{key}: {value}")
        if key == "reservation":
            values.append(_reservation_token(value, field_list=False) or value)
        else:
            policies.append(_policy_url(value, origin.party))
    if not values:
        record.policy = next((p for p in policies if p is not None), None)
        if record.policy is not None:
            result.other.append(record.to_dict())
        return result
    _settle(result, record, origin, values, policies, "\n".join(raw))
    return result


def _metas(root: Element) -> Iterator[Element]:
    """`meta` elements inside `metadata` (at any depth, so EPUB 2's dc-metadata is covered)."""
    stack: list[tuple[Element, bool]] = [(root, False)]
    while stack:
        element, inside = stack.pop()
        local = _name(element.tag)[1] if isinstance(element.tag, str) else ""
        if inside and local == "meta":
            yield element
        stack.extend((child, inside or local == "metadata") for child in reversed(element))


# -- PDF XMP --------------------------------------------------------------------------------------

_XMPMETA: Final = re.compile(rb"<((?:[A-Za-z_][\w.-]*:)?)xmpmeta[\s>/]")
_RDF: Final = re.compile(rb"<((?:[A-Za-z_][\w.-]*:)?)RDF[\s>/]")
_METADATA_TYPE: Final = re.compile(rb"/Type\s*/Metadata\b")
_STREAM: Final = re.compile(rb">>\s*stream(?:\r\n|\n|\r)")
_FILTERS: Final = re.compile(rb"/(\w+Decode)\b")


def _regions(data: bytes, opening: re.Pattern[bytes], local: bytes) -> Iterator[bytes | None]:
    """Each element from its start tag to its end tag; None for one that is cut off."""
    count = 0
    unclosed: set[bytes] = set()  # prefixes with no end tag after some start: none after later ones
    for start in opening.finditer(data):
        count += 1
        if count > MAX_PACKETS:
            yield None  # more packets than are read: what the rest says is unknown
            return
        if start.group(1) in unclosed:
            yield None
            continue
        closing = b"</" + start.group(1) + local
        end = data.find(closing, start.end())
        if end < 0:
            unclosed.add(start.group(1))
        close = data.find(b">", end) if end >= 0 else -1
        if close < 0 or close + 1 - start.start() > MAX_BYTES:
            yield None
            continue
        yield data[start.start() : close + 1]


def _packets(data: bytes) -> Iterator[bytes | None]:
    """The XMP packets in some bytes: x:xmpmeta elements, or bare rdf:RDF ones if there are none."""
    packets = list(_regions(data, _XMPMETA, b"xmpmeta"))
    if packets:
        yield from packets
        return
    if b"xmpmeta" in data:
        yield None  # an x:xmpmeta wrapper is named but has no readable start tag: damaged
    yield from _regions(data, _RDF, b"RDF")


def _inflated_metadata(data: bytes) -> Iterator[bytes | None]:
    """Flate-compressed PDF metadata streams, inflated to at most MAX_BYTES; None if broken.

    Found without a PDF parser: a `/Type /Metadata` dictionary followed by `stream` in the same
    object, whose only filter is FlateDecode (no predictor). Uncompressed streams are found by
    the packet scan itself.
    """
    count = 0
    for seen, match in enumerate(_METADATA_TYPE.finditer(data)):
        if seen >= MAX_STREAMS * 16:
            yield None  # far more metadata dictionaries than any real PDF has
            return
        start = max(0, data.rfind(b"obj", max(0, match.start() - 4096), match.start()))
        stream = _STREAM.search(data, match.end(), match.end() + 4096)
        if stream is None:
            continue
        header = data[start : stream.start()]
        if b"stream" in header or _FILTERS.findall(header) != [b"FlateDecode"]:
            continue
        if b"/Predictor" in header or b"/DecodeParms" in header:
            continue
        count += 1
        if count > MAX_STREAMS:
            return
        inflater = zlib.decompressobj()
        try:
            content = inflater.decompress(data[stream.end() : stream.end() + MAX_BYTES], MAX_BYTES)
        except zlib.error:
            yield None
            continue
        yield content if inflater.eof and not inflater.unconsumed_tail else None


def read_pdf_xmp(data: bytes, origin: Origin) -> ReadResult:
    """tdm:reservation / tdm:policy in the XMP of a PDF (carrier `xmp`, §9.4).

    The XMP packets are found by scanning the bytes (uncompressed metadata streams, as XMP
    recommends for PDF, and FlateDecode ones), so any file with XMP packets can be given. Both
    TDMRep namespaces are read, as elements or as attributes of rdf:Description. Several
    packets (incremental updates, embedded images) are combined failing closed: a reservation in
    any of them wins, and a value that is not 0 or 1, a packet cut off, or a packet naming the
    TDMRep namespace that does not parse make an unreadable marker.
    """
    result = ReadResult()
    record = _Record(CARRIER_PDF, origin.source)
    values: list[str | None] = []
    policies: list[str | None] = []
    raw: list[str] = []
    packets = list(_packets(data))
    for inflated in _inflated_metadata(data):
        if inflated is None:
            _fail(result, record, origin, "a compressed XMP metadata stream cannot be inflated")
        else:
            packets.extend(_packets(inflated))
    for packet in packets:
        if packet is None:
            _fail(result, record, origin, "an XMP packet is cut off or too large")
            continue
        if b"w3.org/ns/tdmrep" not in packet:
            continue  # no TDMRep property can be in a packet that never names the namespace
        try:
            root = _parse_xml(packet)
        except ValueError as error:
            _fail(result, record, origin, f"XMP packet: {error}")
            continue
        for key, value in _xmp_properties(root):
            raw.append(f"tdm:{key}: {value}")
            if key == "reservation":
                values.append(_reservation_token(value, field_list=False) or value)
            else:
                policies.append(_policy_url(value, origin.party))
    if not values:
        record.policy = next((p for p in policies if p is not None), None)
        if record.policy is not None or record.unreadable:
            result.other.append(record.to_dict())
        return result
    _settle(result, record, origin, values, policies, "\n".join(raw))
    return result


_RDF_NS: Final = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"


def _xmp_properties(root: Element) -> Iterator[tuple[str, str]]:
    """(reservation|policy, value) for every TDMRep property, element or attribute form."""
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        for attribute, value in element.attrib.items():
            namespace, local = _name(attribute)
            if namespace in NAMESPACES and local in ("reservation", "policy"):
                yield local, value.strip(" \t\r\n\f")
        namespace, local = _name(element.tag)
        if namespace in NAMESPACES and local in ("reservation", "policy"):
            if len(element):
                yield local, ""  # a structured value: neither 0 nor 1, nor a URL
                continue
            resource = element.get(f"{{{_RDF_NS}}}resource")
            text = resource if resource is not None else element.text
            yield local, (text or "").strip(" \t\r\n\f")


# -- combining inside TDMRep ---------------------------------------------------------------------


def combine_tdmrep(results: Sequence[tuple[str, ReadResult]]) -> ReadResult:
    """TDMRep's precedence of carriers for one item (§9.1 rule 1, §9.4).

    `results` pairs a technique — "tdmrep.json", "http-header", "html", "epub" or "pdf" — with
    what its reader returned for the item (read tdmrep.json with `url=`). The reservation comes
    from the highest-precedence technique that set one; tdm-policy likewise, independently; an
    absent value never resets a lower one. Unreadable TDMRep values count as unset (TDMRep) but
    their markers are kept when nothing above them decided (aiconsent fails closed). Everything
    in the results that is not TDMRep's passes through unchanged. Raises ValueError for an
    unknown technique or a result holding TDMRep values for more than one location.
    """
    combined = ReadResult()
    entries: list[tuple[int, int, dict[str, Any], ReadResult]] = []
    for position, (technique, part) in enumerate(results):
        if technique not in PRECEDENCE:
            raise ValueError(f"unknown TDMRep technique {technique!r}: one of {list(PRECEDENCE)}")
        records = [entry["tdmrep"] for entry in part.other if "tdmrep" in entry]
        if len(records) > 1:
            raise ValueError(f"{technique}: TDMRep values for several locations; read with url=")
        ours_ids = {d for record in records for d in record["declarations"]}
        ours_messages = {m for record in records for m in record["unreadable"]}
        combined.found.extend(f for f in part.found if str(f.declaration.get("id")) not in ours_ids)
        combined.unreadable.extend(u for u in part.unreadable if u.message not in ours_messages)
        combined.other.extend(entry for entry in part.other if "tdmrep" not in entry)
        if records:
            entries.append((PRECEDENCE[technique], position, records[0], part))
    entries.sort(key=lambda entry: (entry[0], entry[1]), reverse=True)
    deciding = next((entry for entry in entries if entry[2]["reservation"] is not None), None)
    policy = next((entry[2]["policy"] for entry in entries if entry[2]["policy"]), None)
    floor = deciding[0] if deciding else 0
    for rank, _, record, part in entries:
        if rank >= floor:
            combined.unreadable.extend(
                u for u in part.unreadable if u.message in record["unreadable"]
            )
    if deciding is None:
        return combined
    _, _, record, part = deciding
    ids = record["declarations"]
    chosen = next((f for f in part.found if str(f.declaration.get("id")) in ids), None)
    if chosen is None:
        raise ValueError("a TDMRep record names a declaration its result does not hold")
    value = dict(chosen.declaration)
    if record["reservation"] == "1" and policy is not None:
        value["policyUrl"] = policy
    combined.found.append(Found(value, chosen.source, chosen.carrier))
    combined.other.append({"tdmrep": {**record, "policy": policy}})
    return combined


# -- TDM Policies ---------------------------------------------------------------------------------


class TdmPolicyError(ValueError):
    """A TDM Policy that cannot be read."""


@dataclass(frozen=True, slots=True)
class OfferedPermission:
    """One permission a TDM Policy offers, and the aiconsent rule it would correspond to.

    `rule` is None when a condition has no aiconsent equivalent (§9.1 rule 3: such a permission
    is dropped); `not_understood` names those conditions. Offers are never read as permissions
    (§9.4): the rule is what a licence accepting the offer could declare with `basis: license`.
    """

    action: str
    target: str | None
    duties: tuple[str, ...]
    constraints: tuple[str, ...]
    rule: dict[str, Any] | None
    not_understood: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "target": self.target,
            "duties": list(self.duties),
            "constraints": list(self.constraints),
            "rule": self.rule,
            "notUnderstood": list(self.not_understood),
        }


@dataclass(frozen=True, slots=True)
class TdmPolicy:
    """What a TDM Policy says, and where it departs from the TDMRep profile."""

    uid: str | None
    types: tuple[str, ...]
    profiles: tuple[str, ...]
    assigner: str | None
    offers: tuple[OfferedPermission, ...]
    deviations: tuple[str, ...]
    policy_url: str | None  # the uid when it is an http(s) URL: the terms a duty refers to

    def to_dict(self) -> dict[str, Any]:
        return {
            "uid": self.uid,
            "types": list(self.types),
            "profiles": list(self.profiles),
            "assigner": self.assigner,
            "offers": [offer.to_dict() for offer in self.offers],
            "deviations": list(self.deviations),
            "policyUrl": self.policy_url,
        }


_ODRL_POLICIES: Final = {ODRL + name for name in ("Policy", "Set", "Offer", "Agreement")}
_MINE: Final = {NS_HASH + "mine", NS_SLASH + "mine"}
_DUTIES: Final = {
    ODRL + "compensate": "compensate",
    ODRL + "attribute": "attribute",
    ODRL + "inform": "notify",
}
_RESEARCH: Final = {
    "research",
    "tdm:research",
    NS_HASH + "research",
    NS_SLASH + "research",
}
_PURPOSE_OPERATORS: Final = {ODRL + "eq", ODRL + "isA", ODRL + "isAnyOf"}
_CONSTRAINT_KEYS: Final = {
    "@id",
    "@type",
    ODRL + "leftOperand",
    ODRL + "operator",
    ODRL + "rightOperand",
}
_PERMISSION_KEYS: Final = {
    "@id",
    "@type",
    ODRL + "action",
    ODRL + "target",
    ODRL + "assigner",
    ODRL + "duty",
    ODRL + "constraint",
}


def _ids(node: dict[str, Any], key: str) -> list[str]:
    return [str(v["@id"]) for v in node.get(key, []) if isinstance(v, dict) and "@id" in v]


def _short(iri: str) -> str:
    for namespace, prefix in ((ODRL, "odrl:"), (NS_HASH, "tdm:"), (NS_SLASH, "tdm/:")):
        if iri.startswith(namespace):
            return prefix + iri[len(namespace) :]
    return iri


def parse_tdm_policy(data: bytes) -> TdmPolicy:
    """Read a TDM Policy (JSON-LD, expanded offline with the shipped contexts).

    Raises TdmPolicyError when it is not JSON, uses a context aiconsent does not ship, or holds
    no single ODRL policy. Departures from the profile (a type other than Offer, the slash
    namespace, a missing assigner, obligations or prohibitions) are listed, not refused: they do
    not change what aiconsent reads, which is no permission at all.
    """
    from pyld import jsonld

    from aiconsent.vocabulary.documents import jsonld_loader

    try:
        document = _load_json(data)
    except ValueError as error:
        raise TdmPolicyError(str(error)) from error
    if not isinstance(document, dict):
        raise TdmPolicyError("a TDM Policy is a JSON object")
    try:
        expanded = jsonld.expand(document, {"documentLoader": jsonld_loader()})
    except Exception as error:  # pyld raises many kinds for hostile JSON-LD
        raise TdmPolicyError(f"JSON-LD expansion failed ({type(error).__name__})") from error
    nodes = [
        node
        for node in expanded
        if isinstance(node, dict)
        and (set(node.get("@type", [])) & _ODRL_POLICIES or ODRL + "permission" in node)
    ]
    if len(nodes) != 1:
        raise TdmPolicyError(f"{len(nodes)} ODRL policies found; a TDM Policy is one")
    node = nodes[0]
    deviations: list[str] = []
    if document.get("@context") != [ODRL_CONTEXT, TDMREP_CONTEXT]:
        deviations.append("@context is not [odrl.jsonld, tdmrep.jsonld]")
    types = tuple(str(t) for t in node.get("@type", []))
    if ODRL + "Offer" not in types:
        deviations.append(f"@type is {', '.join(map(_short, types)) or 'missing'}, not Offer")
    profiles = tuple(_ids(node, ODRL + "profile"))
    if PROFILE not in profiles:
        deviations.append(f"profile is {', '.join(profiles) or 'missing'}, not {PROFILE}")
    assigners = _ids(node, ODRL + "assigner")
    if len(assigners) != 1:
        deviations.append(f"{len(assigners)} assigners; the profile requires one")
    for kind in ("obligation", "prohibition"):
        if ODRL + kind in node:
            deviations.append(f"has {kind}s, which a TDM Policy should not")
    uid = str(node["@id"]) if isinstance(node.get("@id"), str) else None
    policy_url = _policy_url(uid, None) if uid else None
    offers = []
    permissions = [p for p in node.get(ODRL + "permission", []) if isinstance(p, dict)]
    if not permissions:
        deviations.append("no permission")
    for permission in permissions:
        offer = _offer(permission, policy_url)
        if offer.action in _MINE and offer.action.startswith(NS_SLASH):
            deviations.append("tdm:mine in the slash namespace http://www.w3.org/ns/tdmrep/")
        offers.append(offer)
    assigner = assigners[0] if assigners else None
    return TdmPolicy(
        uid,
        types,
        profiles,
        assigner,
        tuple(offers),
        tuple(dict.fromkeys(deviations)),
        policy_url,
    )


def _offer(permission: dict[str, Any], policy_url: str | None) -> OfferedPermission:
    """One offered permission mapped as §9.9 maps ODRL (tdm:mine → tdm), conditions checked."""
    problems: list[str] = []
    actions = permission.get(ODRL + "action", [])
    action_ids = _ids(permission, ODRL + "action")
    action = action_ids[0] if len(action_ids) == 1 and len(actions) == 1 else ""
    if action not in _MINE:
        problems.append(f"action {_short(action) if action else 'missing or refined'}")
    extra = sorted(set(permission) - _PERMISSION_KEYS)
    problems.extend(f"property {_short(key)}" for key in extra)
    if ODRL + "assignee" in permission:
        problems.append("assignee")
    targets = _ids(permission, ODRL + "target")
    duties: list[str] = []
    mapped_duties: set[str] = set()
    for duty in permission.get(ODRL + "duty", []):
        duty_actions = _ids(duty, ODRL + "action") if isinstance(duty, dict) else []
        name = duty_actions[0] if len(duty_actions) == 1 else "(unreadable duty)"
        duties.append(_short(name))
        mapped = _DUTIES.get(name)
        if mapped is None:
            problems.append(f"duty {_short(name)}")
        elif isinstance(duty, dict) and set(duty) - {"@id", "@type", ODRL + "action"}:
            problems.append(f"duty {_short(name)} with conditions of its own")
        elif mapped == "compensate" and policy_url is None:
            problems.append("duty compensate without an http(s) policy uid for its terms")
        else:
            mapped_duties.add(mapped)
    constraints: list[str] = []
    mapped_constraints: set[str] = set()
    for constraint in permission.get(ODRL + "constraint", []):
        text, mapped_constraint = _constraint(constraint)
        constraints.append(text)
        if mapped_constraint is None:
            problems.append(f"constraint {text}")
        else:
            mapped_constraints.add(mapped_constraint)
    rule: dict[str, Any] | None = None
    if not problems:
        rule = {"purpose": "tdm"}
        if mapped_constraints:
            rule["constraint"] = sorted(mapped_constraints)
        if mapped_duties:
            rule["duty"] = sorted(mapped_duties)
    return OfferedPermission(
        action,
        targets[0] if targets else None,
        tuple(duties),
        tuple(constraints),
        rule,
        tuple(problems),
    )


def _constraint(node: Any) -> tuple[str, str | None]:
    """A readable form of an ODRL constraint, and `research` if it is the research purpose."""
    if not isinstance(node, dict):
        return "(unreadable)", None
    left = _ids(node, ODRL + "leftOperand")
    operator = _ids(node, ODRL + "operator")
    rights: list[str] = []
    for value in node.get(ODRL + "rightOperand", []):
        if isinstance(value, dict) and isinstance(value.get("@id", value.get("@value")), str):
            rights.append(str(value.get("@id", value.get("@value"))))
    text = " ".join(
        [_short(left[0]) if left else "?", _short(operator[0]) if operator else "?"]
        + [_short(r) for r in rights]
    )
    understood = (
        left == [ODRL + "purpose"]
        and len(operator) == 1
        and operator[0] in _PURPOSE_OPERATORS
        and len(rights) == 1
        and rights[0] in _RESEARCH
        and set(node) <= _CONSTRAINT_KEYS
    )
    return text, "research" if understood else None


def read_tdm_policy(data: bytes, origin: Origin, *, carrier: str = CARRIER_JSON) -> ReadResult:
    """A TDM Policy, described in `other` under "tdmPolicy"; never a permission (§9.4, §11.8).

    aiconsent v1 cannot say "prohibited unless these conditions are met" in one statement, so a
    reader must not weaken the reservation the policy accompanies. A policy that cannot be read
    gives an unreadable marker: it only matters where a reservation already denies the use.
    `carrier` is that of the signal whose tdm-policy pointed here.
    """
    result = ReadResult()
    try:
        policy = parse_tdm_policy(data)
    except TdmPolicyError as error:
        unreadable(result, origin, carrier, f"TDM Policy: {error}")
        return result
    result.other.append({"tdmPolicy": policy.to_dict(), "source": origin.source})
    return result


# -- writing --------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Decision:
    reservation: Reservation
    policy: str | None


def _identifier(value: dict[str, Any]) -> str | None:
    identifier = value.get("id")
    return identifier if isinstance(identifier, str) else None


def _covers_eea(value: dict[str, Any]) -> bool:
    from aiconsent.engine.places import expand

    places = value.get("jurisdiction")
    return not places or expand(list(places)) >= expand(["EEA"])


def _blocked(rule: dict[str, Any], value: dict[str, Any]) -> str | None:
    """Why a permission cannot become tdm-reservation 0 or an offer, whatever its conditions."""
    content = value.get("content") or {}
    if rule["purpose"] != "tdm":
        return "TDMRep has only all of TDM; a narrower permission cannot be written"
    if rule.get("agent"):
        return "limited to agents, which TDMRep cannot name"
    if "validFrom" in value or "validUntil" in value:
        return "limited in time, which TDMRep cannot say"
    if value.get("retroactive") is not True:
        return "not retroactive, and TDMRep covers content of every age"
    if not _covers_eea(value):
        return "limited to places short of the EEA, for which tdm-reservation speaks"
    if content.get("minorAtCreation") or "ageAtCreation" in content:
        return "about a minor's content, which TDMRep cannot say"
    if content.get("visibility") == "private":
        return "about private content, which TDMRep cannot say"
    return None


def _offerable(rule: dict[str, Any]) -> bool:
    """A permission whose conditions a TDM Policy carries: research, compensate (§9.4)."""
    constraints, duties = set(rule.get("constraint", ())), set(rule.get("duty", ()))
    return bool(constraints | duties) and constraints <= {"research"} and duties <= {"compensate"}


def _conditions(rule: dict[str, Any]) -> str:
    return ", ".join([*rule.get("constraint", ()), *rule.get("duty", ())]) or "no condition"


def _decide(
    declarations: Sequence[dict[str, Any]], policy_url: str | None, losses: list[Loss]
) -> _Decision | None:
    """The one TDMRep value for declarations about one resource (§9.4 Writing)."""
    reserving: list[dict[str, Any]] = []
    granting: list[dict[str, Any]] = []
    offering: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for value in declarations:
        identifier = _identifier(value)
        withdrawn = "withdrawnAt" in value
        rules = [("prohibition", r) for r in value.get("prohibition", [])]
        rules += [
            ("withdrawn" if withdrawn else "permission", r) for r in value.get("permission", [])
        ]
        for kind, rule in rules:
            purpose = rule.get("purpose")
            if kind != "permission":
                reserving.append(value)
                if purpose != "tdm":
                    losses.append(
                        Loss("widened", f"prohibition of {purpose} written as all TDM", identifier)
                    )
                if kind == "withdrawn":
                    continue  # a withdrawn permission forbids without its agents or constraints
                if rule.get("agent"):
                    losses.append(Loss("widened", "agent scope of a prohibition", identifier))
                if rule.get("constraint"):
                    losses.append(Loss("widened", "constraint of a prohibition", identifier))
                continue
            reason = _blocked(rule, value)
            if reason is not None:
                losses.append(Loss("dropped", f"permission of {purpose}: {reason}", identifier))
            elif rule.get("constraint") or rule.get("duty"):
                if _offerable(rule):
                    offering.append((value, rule))
                else:
                    detail = f"permission of tdm with {_conditions(rule)}: no TDMRep equivalent"
                    losses.append(Loss("dropped", detail, identifier))
            else:
                granting.append(value)
    if reserving:
        for value in granting:
            losses.append(
                Loss(
                    "dropped",
                    "permission of tdm: a reservation wins the one bit",
                    _identifier(value),
                )
            )
    elif granting:
        for value, rule in offering:
            detail = f"permission of tdm with {_conditions(rule)}: the unconditional one is written"
            losses.append(Loss("dropped", detail, _identifier(value)))
        _context_losses(granting, losses, permission=True)
        return _Decision("0", None)
    if not reserving and not offering:
        return None
    policy = policy_url or next(
        (str(v["policyUrl"]) for v, _ in offering if isinstance(v.get("policyUrl"), str)), None
    )
    if policy is None:
        policy = next((str(v["policyUrl"]) for v in reserving if v.get("policyUrl")), None)
    for value, rule in offering:
        where = f" at {policy}" if policy else ", and no policy URL to reference it"
        detail = f"permission of tdm with {_conditions(rule)}: only an offer in a TDM Policy{where}"
        losses.append(Loss("dropped", detail, _identifier(value)))
    _context_losses(reserving, losses, permission=False)
    _context_losses([v for v, _ in offering], losses, permission=False)
    return _Decision("1", policy)


def _context_losses(
    declarations: Iterable[dict[str, Any]], losses: list[Loss], *, permission: bool
) -> None:
    """What the written declarations said beyond the one bit (§9.4 Lost)."""
    for value in {id(v): v for v in declarations}.values():
        identifier = _identifier(value)
        places = value.get("jurisdiction")
        if permission:
            if value.get("basis", "unspecified") not in ("statutory-exception", "unspecified"):
                losses.append(Loss("lost", f"basis {value['basis']}", identifier))
            if places != ["EEA"]:
                where = ", ".join(places) if places else "everywhere"
                losses.append(
                    Loss(
                        "lost",
                        f"jurisdiction {where}: tdm-reservation 0 speaks for the EEA",
                        identifier,
                    )
                )
            if value.get("policyUrl"):
                losses.append(Loss("lost", "policyUrl of a permission", identifier))
        else:
            if places:
                losses.append(Loss("widened", "jurisdiction of a prohibition", identifier))
            if "validFrom" in value or "validUntil" in value:
                losses.append(Loss("widened", "time limits of a prohibition", identifier))
        if "withdrawnAt" in value:
            losses.append(Loss("lost", "withdrawal history (written as a reservation)", identifier))
        for key in ("content", "withdrawalUrl", "evidence"):
            if key in value:
                losses.append(Loss("lost", key, identifier))
        role = (value.get("declaredBy") or {}).get("role")
        if role not in (None, "publisher"):
            losses.append(Loss("lost", f"party role {role}", identifier))


def _unique(losses: Iterable[Loss]) -> list[Loss]:
    return list(dict.fromkeys(losses))


def _about_resource(
    declarations: Sequence[dict[str, Any]], losses: list[Loss], writer: str
) -> list[dict[str, Any]]:
    """Declarations a header or meta writer can speak for: those with url or sha256 targets."""
    chosen = []
    for value in declarations:
        targets = value.get("target", [])
        if any("url" in t or "sha256" in t for t in targets):
            chosen.append(value)
        else:
            detail = f"targets {targets} (a {writer} speaks for one resource; use tdmrep.json)"
            losses.append(Loss("lost", detail, _identifier(value)))
    return chosen


def write_tdm_headers(
    declarations: Sequence[dict[str, Any]], *, policy_url: str | None = None
) -> Written:
    """`tdm-reservation` (and `tdm-policy`) response fields for one resource (§9.4 Writing).

    `policy_url` is where the TDM Policy of conditional permissions (`write_tdm_policy`) will be
    served; otherwise a declaration's own `policyUrl` is used.
    """
    losses: list[Loss] = []
    decision = _decide(_about_resource(declarations, losses, "header"), policy_url, losses)
    lines = []
    if decision is not None:
        lines.append(f"tdm-reservation: {decision.reservation}")
        if decision.policy:
            lines.append(f"tdm-policy: {decision.policy}")
    return Written("".join(line + "\n" for line in lines), "text/plain", _unique(losses))


def write_tdm_meta(
    declarations: Sequence[dict[str, Any]], *, policy_url: str | None = None
) -> Written:
    """`<meta name="tdm-reservation">` (and tdm-policy) tags for one page (§9.4 Writing)."""
    losses: list[Loss] = []
    decision = _decide(_about_resource(declarations, losses, "page"), policy_url, losses)
    lines = []
    if decision is not None:
        lines.append(f'<meta name="tdm-reservation" content="{decision.reservation}">')
        if decision.policy:
            lines.append(f'<meta name="tdm-policy" content="{html.escape(decision.policy)}">')
    return Written("".join(line + "\n" for line in lines), "text/html", _unique(losses))


def _location_of(target: dict[str, str], site: str) -> str | None:
    """The tdmrep.json location for a target on the site, or None if it is not one."""
    if "urlPattern" in target:
        pattern = target["urlPattern"]
        if pattern.startswith("/"):
            return pattern
        own = _http_site(pattern)
        if own is not None and own.lower() == site.lower():
            return pattern[len(own) :] or "/"
        return None
    if "url" in target and (_http_site(target["url"]) or "").lower() == site.lower():
        exact = path_of(target["url"])
        return quote(exact, safe="/?=&;:@!'()+,-._~%").replace("*", "%2A") + "$"
    return None


def write_tdmrep_json(
    declarations: Sequence[dict[str, Any]], *, site: str, policy_url: str | None = None
) -> Written:
    """/.well-known/tdmrep.json for `site` ("https://host"), one rule per location (§9.4).

    `urlPattern` targets on the site become rules; `url` targets on the site become rules for
    exactly that path (`$`-anchored, `*` and `$` percent-encoded). Reservations come first:
    TDMRep applies the first matching rule, and aiconsent lets a prohibition win where
    locations overlap.
    """
    losses: list[Loss] = []
    site = _http_site(site) or site
    by_location: dict[str, list[dict[str, Any]]] = {}
    for value in declarations:
        placed = False
        for target in value.get("target", []):
            location = _location_of(target, site)
            if location is not None:
                placed = True
                by_location.setdefault(location, []).append(value)
        if not placed:
            detail = f"targets {value.get('target', [])} are not paths of {site}"
            losses.append(Loss("lost", detail, _identifier(value)))
    rules: list[dict[str, Any]] = []
    for location, group in by_location.items():
        decision = _decide(group, policy_url, losses)
        if decision is None:
            continue
        rule: dict[str, Any] = {"location": location, "tdm-reservation": int(decision.reservation)}
        if decision.policy:
            rule["tdm-policy"] = decision.policy
        rules.append(rule)
    rules.sort(key=lambda r: (-r["tdm-reservation"], -specificity(r["location"]), r["location"]))
    text = json.dumps(rules, indent=2, ensure_ascii=False) + "\n"
    return Written(text, "application/json", _unique(losses))


def write_tdm_policy(
    declarations: Sequence[dict[str, Any]], *, uid: str, assigner: str | None = None
) -> Written:
    """A TDM Policy (ODRL Offer, TDMRep profile) offering the conditional permissions of `tdm`.

    Only permissions with the conditions the profile defines — constraint `research`, duty
    `compensate` — become offers (§9.4); it is served at `uid` and referenced by tdm-policy next
    to tdm-reservation 1. Other permissions are reported dropped; prohibitions are not the
    policy's business (they are the reservation).
    """
    losses: list[Loss] = []
    offers: list[dict[str, Any]] = []
    parties: list[str] = []
    for value in declarations:
        identifier = _identifier(value)
        if "withdrawnAt" in value:
            for rule in value.get("permission", []):
                detail = f"permission of {rule.get('purpose')}: withdrawn"
                losses.append(Loss("dropped", detail, identifier))
            continue
        for rule in value.get("permission", []):
            reason = _blocked(rule, value)
            if reason is None and not _offerable(rule):
                reason = f"{_conditions(rule)} is not a condition a TDM Policy offers"
            if reason is not None:
                losses.append(
                    Loss("dropped", f"permission of {rule['purpose']}: {reason}", identifier)
                )
                continue
            offer: dict[str, Any] = {"action": "tdm:mine"}
            if "compensate" in rule.get("duty", ()):
                offer["duty"] = [{"action": "compensate"}]
            if "research" in rule.get("constraint", ()):
                offer["constraint"] = [
                    {"leftOperand": "purpose", "operator": "eq", "rightOperand": "tdm:research"}
                ]
            if offer not in offers:
                offers.append(offer)
            party = (value.get("declaredBy") or {}).get("id")
            if isinstance(party, str):
                parties.append(party)
    document: dict[str, Any] = {
        "@context": [ODRL_CONTEXT, TDMREP_CONTEXT],
        "@type": "Offer",
        "profile": PROFILE,
        "uid": uid,
    }
    holder = assigner or (parties[0] if parties else None)
    if holder:
        document["assigner"] = {"uid": holder}
    document["permission"] = offers
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    return Written(text, "application/ld+json", _unique(losses))


__all__ = [
    "CARRIER_EPUB",
    "CARRIER_HEADER",
    "CARRIER_HTML",
    "CARRIER_JSON",
    "CARRIER_PDF",
    "NAMESPACES",
    "PRECEDENCE",
    "PROFILE",
    "OfferedPermission",
    "TdmPolicy",
    "TdmPolicyError",
    "combine_tdmrep",
    "parse_tdm_policy",
    "read_epub_opf",
    "read_pdf_xmp",
    "read_tdm_policy",
    "read_tdmrep_json",
    "tdm_values",
    "write_tdm_headers",
    "write_tdm_meta",
    "write_tdm_policy",
    "write_tdmrep_json",
]
