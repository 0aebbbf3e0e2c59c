"""W3C TDMRep (spec §9.4): readers, TDMRep's precedence, TDM Policies, writers, hostile input."""

from __future__ import annotations

import io
import json
import re
import time
import uuid
import zipfile
import zlib
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from aiconsent.engine import check
from aiconsent.formats.common import Origin
from aiconsent.formats.tdmrep import (
    NS_HASH,
    NS_SLASH,
    combine_tdmrep,
    parse_tdm_policy,
    read_epub_opf,
    read_pdf_xmp,
    read_tdm_policy,
    read_tdmrep_json,
    tdm_values,
    write_tdm_headers,
    write_tdm_meta,
    write_tdm_policy,
    write_tdmrep_json,
)
from aiconsent.model.found import Found, ReadResult
from aiconsent.validation.validate import validate_value
from aiconsent.vocabulary.purposes import purpose_tree
from formats.mutations import mutants

DATA = Path(__file__).resolve().parent / "data" / "tdmrep"
ITCOP = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "tdmrep" / "real-world"
SITE = "https://provider.com"
WELL_KNOWN = f"{SITE}/.well-known/tdmrep.json"
LEAVES = purpose_tree().leaves_of("tdm")


# -- helpers --------------------------------------------------------------------------------------


def data(name: str) -> bytes:
    return (DATA / name).read_bytes()


def itcop(name: str) -> bytes:
    path = ITCOP / name
    if not path.exists():
        pytest.skip("../shared/corpus is not at hand")
    return path.read_bytes()


def json_origin(content: bytes, site: str = SITE) -> Origin:
    return Origin.for_bytes(content, "tdmrep.json", url=f"{site}/.well-known/tdmrep.json")


def page_origin(url: str = f"{SITE}/page.html") -> Origin:
    return Origin.for_bytes(b"", url, url=url)


def file_origin(content: bytes, name: str = "file") -> Origin:
    return Origin.for_bytes(content, name)


def rules_of(result: ReadResult) -> list[tuple[str, str, str | None]]:
    """(kind, purpose, policyUrl) of every rule found."""
    out = []
    for item in result.found:
        value = item.declaration
        for kind in ("permission", "prohibition"):
            out += [(kind, rule["purpose"], value.get("policyUrl")) for rule in value.get(kind, [])]
    return out


def permissions(result: ReadResult) -> list[dict[str, Any]]:
    return [item.declaration for item in result.found if "permission" in item.declaration]


def assert_valid(result: ReadResult) -> None:
    for item in result.found:
        report = validate_value(item.declaration)
        assert report.errors == 0, report.issues


def decision(result: ReadResult, purpose: str = "genai-training", **options: Any) -> str:
    return check([*result.found, *result.unreadable], purpose, **options).decision


def header_pairs(text: str) -> list[tuple[str, str]]:
    """Field lines of an HTTP response (the status line dropped), names lower-cased."""
    pairs = []
    for line in text.splitlines()[1:]:
        name, _, value = line.partition(":")
        if value:
            pairs.append((name.strip().lower(), value.strip()))
    return pairs


def from_headers(text: str, origin: Origin) -> ReadResult:
    pairs = header_pairs(text)
    reservation = next((v for n, v in pairs if n == "tdm-reservation"), None)
    policy = next((v for n, v in pairs if n == "tdm-policy"), None)
    return tdm_values(reservation, policy, origin, "http-header")


class _Meta(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.meta: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "meta" and values.get("name") and values.get("content") is not None:
            self.meta[str(values["name"]).lower()] = str(values["content"])


def from_meta(html_text: str, origin: Origin) -> ReadResult:
    parser = _Meta()
    parser.feed(html_text)
    meta = parser.meta
    return tdm_values(meta.get("tdm-reservation"), meta.get("tdm-policy"), origin, "html")


def xmp(
    reservation: str | None,
    policy: str | None = None,
    *,
    namespace: str = NS_SLASH,
    attributes: bool = False,
) -> bytes:
    """An XMP packet as PDF writers embed it."""
    properties = ""
    attrs = ""
    for key, value in (("reservation", reservation), ("policy", policy)):
        if value is None:
            continue
        if attributes:
            attrs += f' tdm:{key}="{value}"'
        else:
            properties += f"<tdm:{key}>{value}</tdm:{key}>"
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        f'<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"'
        f' xmlns:tdm="{namespace}"{attrs}>{properties}</rdf:Description>'
        "</rdf:RDF></x:xmpmeta>\n" + " " * 64 + '\n<?xpacket end="w"?>'
    ).encode()


def pdf(*packets: bytes, flate: bool = False) -> bytes:
    """A minimal PDF whose metadata streams hold the packets (found by scanning, no xref needed)."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R /Metadata 3 0 R >>", b"<< /Type /Pages /Count 0 >>"]
    for packet in packets:
        stream = zlib.compress(packet) if flate else packet
        extra = b" /Filter /FlateDecode" if flate else b""
        head = b"<< /Type /Metadata /Subtype /XML /Length %d%s >>" % (len(stream), extra)
        objects.append(head + b"\nstream\n" + stream + b"\nendstream")
    body = b"".join(b"%d 0 obj\n%s\nendobj\n" % (n + 1, o) for n, o in enumerate(objects))
    return b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + body + b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"


def opf2(reservation: str | None, policy: str | None = None) -> bytes:
    metas = ""
    if reservation is not None:
        metas += f'<meta name="tdm:reservation" content="{reservation}"/>'
    if policy is not None:
        metas += f'<meta name="tdm:policy" content="{policy}"/>'
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<package xmlns="http://www.idpf.org/2007/opf" version="2.0" unique-identifier="id">'
        '<metadata xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f'<dc:title>Document title</dc:title><dc:identifier id="id">x</dc:identifier>{metas}'
        "</metadata><manifest/><spine/></package>"
    ).encode()


def opf3(
    reservation: str | None,
    policy: str | None = None,
    *,
    prefix: str = f"tdm: {NS_HASH}",
    name: str = "tdm",
) -> bytes:
    metas = ""
    if reservation is not None:
        metas += f'<meta property="{name}:reservation">{reservation}</meta>'
    if policy is not None:
        metas += f'<meta property="{name}:policy">{policy}</meta>'
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<package xmlns="http://www.idpf.org/2007/opf" version="3.0" prefix="{prefix}"'
        ' unique-identifier="id"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f'<dc:title>Document title</dc:title><dc:identifier id="id">x</dc:identifier>{metas}'
        "</metadata><manifest/><spine/></package>"
    ).encode()


def epub(package: bytes, container: bytes | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        archive.writestr(
            "META-INF/container.xml",
            container
            or (
                b'<?xml version="1.0"?><container version="1.0" '
                b'xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles>'
                b'<rootfile full-path="OEBPS/content.opf" '
                b'media-type="application/oebps-package+xml"/></rootfiles></container>'
            ),
        )
        archive.writestr("OEBPS/content.opf", package, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def repair_fragment(text: str) -> str:
    """The spec's policy fragments as JSON: drop the `...` placeholders and the comma slips."""
    lines = [line for line in text.splitlines() if line.strip() not in ("...", "...,")]
    text = "\n".join(lines).replace("...,", "").replace("...", "")
    text = re.sub(r"\]\n(\s*\")", r"],\n\1", text)  # ex09 lacks a comma after @context
    text = re.sub(r"}\n(\s*\")", r"},\n\1", text)
    return re.sub(r",(\s*[}\]])", r"\1", text)


# -- tdmrep.json: the corpus ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["ex01-tdmrep-optout-all.json", "healsdata-ai-training-opt-out_tdmrep.json"]
)
def test_a_site_wide_reservation(name: str) -> None:
    content = data(name)
    result = read_tdmrep_json(content, json_origin(content))
    assert rules_of(result) == [("prohibition", "tdm", None)]
    value = result.found[0].declaration
    assert value["target"] == [{"urlPattern": f"{SITE}/"}]
    assert value["declaredBy"] == {"id": WELL_KNOWN, "role": "publisher"}
    assert value["carrier"] == result.found[0].carrier == "tdmrep"
    assert value["retroactive"] is True and value["basis"] == "unspecified"
    assert "evidence" in value and not result.unreadable
    assert_valid(result)
    for purpose in ("genai-training", "search", "tdm"):
        for policy in ("opt-in", "opt-out", "signals-only"):
            assert decision(result, purpose, policy=policy) == "denied"


def test_the_three_groups_example_read_whole() -> None:
    content = data("ex02-tdmrep-three-groups.json")
    result = read_tdmrep_json(content, json_origin(content))
    got = [
        (item.declaration["target"][0]["urlPattern"], kind, item.declaration.get("policyUrl"))
        for item in result.found
        for kind in ("permission", "prohibition")
        if kind in item.declaration
    ]
    assert got == [
        (f"{SITE}/directory-a/", "prohibition", None),
        (f"{SITE}/directory-b/html/", "prohibition", "https://provider.com/policies/policy.json"),
        (f"{SITE}/directory-b/images/*.jpg", "permission", None),
    ]
    granted = result.found[2].declaration
    assert granted["basis"] == "statutory-exception" and granted["jurisdiction"] == ["EEA"]
    assert_valid(result)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/directory-a/report.pdf", [("prohibition", "tdm", None)]),
        (
            "/directory-b/html/page.html",
            [("prohibition", "tdm", "https://provider.com/policies/policy.json")],
        ),
        ("/directory-b/images/cat.jpg", [("permission", "tdm", None)]),
        ("/directory-b/images/sub/cat.jpg?size=2", [("permission", "tdm", None)]),
        ("/directory-b/images/cat.png", []),
        ("/Directory-A/report.pdf", []),  # matching is case-sensitive
        ("/elsewhere", []),
    ],
)
def test_the_three_groups_example_for_one_item(path: str, expected: list[Any]) -> None:
    content = data("ex02-tdmrep-three-groups.json")
    result = read_tdmrep_json(content, json_origin(content), url=SITE + path)
    assert rules_of(result) == expected
    assert not result.unreadable
    assert_valid(result)


def test_the_first_matching_rule_applies_not_the_longest() -> None:
    """§9.4: "the first matching rule in array order applies" (TDMRep: first in sequence)."""
    content = json.dumps(
        [
            {"location": "/", "tdm-reservation": 0},
            {"location": "/private/", "tdm-reservation": 1},
        ]
    ).encode()
    one = read_tdmrep_json(content, json_origin(content), url=f"{SITE}/private/x")
    assert rules_of(one) == [("permission", "tdm", None)]
    assert one.found[0].declaration["target"] == [{"urlPattern": f"{SITE}/"}]
    whole = read_tdmrep_json(content, json_origin(content))
    # read whole, overlapping locations meet in §6: the reservation wins (stricter, never laxer)
    assert decision(whole, "genai-training", policy="signals-only", jurisdiction="DE") == "denied"


def test_patterns_use_robots_txt_syntax() -> None:
    content = json.dumps(
        [
            {"location": "/exact$", "tdm-reservation": 1},
            {"location": "*.pdf", "tdm-reservation": 1},
            {"location": "/path/foo-%24", "tdm-reservation": 1},
            {"location": "/my folder/", "tdm-reservation": 1},
        ]
    ).encode()

    def reserved(path: str) -> bool:
        return bool(read_tdmrep_json(content, json_origin(content), url=SITE + path).found)

    assert reserved("/exact") and not reserved("/exact/more")
    assert reserved("/docs/a.pdf") and reserved("/a.pdf?x=1")
    assert reserved("/path/foo-$")
    assert reserved("/my%20folder/x")
    whole = read_tdmrep_json(content, json_origin(content))
    patterns = [item.declaration["target"][0]["urlPattern"] for item in whole.found]
    assert patterns == [
        f"{SITE}/exact$",
        f"{SITE}/*.pdf",
        f"{SITE}/path/foo-%24",
        f"{SITE}/my%20folder/",
    ]
    assert_valid(whole)


def test_the_malformed_real_world_object_is_unreadable() -> None:
    """janpetrlik.com: a bare object with no location. TDMRep requires an array: unreadable."""
    content = data("janpetrlik.com_tdmrep_MALFORMED-object.json")
    for url in (None, f"{SITE}/any"):
        result = read_tdmrep_json(content, json_origin(content), url=url)
        assert not result.found
        assert len(result.unreadable) == 1 and result.unreadable[0].purposes is None
        assert decision(result, policy="opt-out") == "denied"
        assert decision(result, policy="signals-only") == "unknown"
        assert decision(result, policy="opt-in") == "denied"


@pytest.mark.parametrize("value", ["1", "0", True, False, 1.0, 2, -1, None, [1], {"v": 1}, "yes"])
def test_a_reservation_that_is_not_the_number_0_or_1_is_unreadable(value: Any) -> None:
    content = json.dumps([{"location": "/", "tdm-reservation": value}]).encode()
    result = read_tdmrep_json(content, json_origin(content), url=f"{SITE}/x")
    assert not result.found
    assert len(result.unreadable) == 1 and "neither 0 nor 1" in result.unreadable[0].message
    assert decision(result, policy="opt-out") == "denied"


@pytest.mark.parametrize(
    "rule",
    [
        {"tdm-reservation": 1},
        {"location": "", "tdm-reservation": 1},
        {"location": "directory/", "tdm-reservation": 1},
        {"location": 5, "tdm-reservation": 1},
        {"location": "/a\u0000b", "tdm-reservation": 1},
        {"location": "/"},
        "not an object",
    ],
)
def test_malformed_rules_are_unreadable(rule: Any) -> None:
    content = json.dumps([rule]).encode()
    result = read_tdmrep_json(content, json_origin(content))
    assert not result.found and len(result.unreadable) == 1


def test_a_malformed_rule_before_the_match_counts_a_rule_after_it_does_not() -> None:
    content = json.dumps(
        [{"location": "no-slash", "tdm-reservation": 1}, {"location": "/", "tdm-reservation": 0}]
    ).encode()
    result = read_tdmrep_json(content, json_origin(content), url=f"{SITE}/x")
    assert not permissions(result) and len(result.unreadable) == 1
    content = json.dumps(
        [{"location": "/", "tdm-reservation": 1}, {"location": "no-slash", "tdm-reservation": 0}]
    ).encode()
    result = read_tdmrep_json(content, json_origin(content), url=f"{SITE}/x")
    assert rules_of(result) == [("prohibition", "tdm", None)] and not result.unreadable


def test_a_file_with_an_unreadable_rule_grants_nothing_when_read_whole() -> None:
    content = (
        b'[{"location": "/a/", "tdm-reservation": 0}, {"location": "/b/", "tdm-reservation": 7},'
        b' {"location": "/c/", "tdm-reservation": 1}]'
    )
    result = read_tdmrep_json(content, json_origin(content))
    assert rules_of(result) == [("prohibition", "tdm", None)]
    assert len(result.unreadable) == 1


def test_a_key_given_twice_makes_the_rule_unreadable() -> None:
    content = b'[{"location": "/", "tdm-reservation": 1, "tdm-reservation": 0}]'
    result = read_tdmrep_json(content, json_origin(content), url=f"{SITE}/")
    assert not result.found and len(result.unreadable) == 1


def test_policies_are_resolved_and_cleaned_but_never_fetched() -> None:
    content = json.dumps(
        [
            {"location": "/a/", "tdm-reservation": 1, "tdm-policy": "/policies/p.json"},
            {"location": "/b/", "tdm-reservation": 1, "tdm-policy": "ftp://x/p"},
            {"location": "/c/", "tdm-reservation": 1, "tdm-policy": "https://p.example/é p|"},
            {"location": "/d/", "tdm-reservation": 0, "tdm-policy": "https://p.example/p"},
        ]
    ).encode()
    result = read_tdmrep_json(content, json_origin(content))
    assert [item.declaration.get("policyUrl") for item in result.found] == [
        f"{SITE}/policies/p.json",
        None,
        None,  # whitespace inside: not a URL
        None,  # a policy next to 0 is not processed (TDMRep)
    ]
    assert_valid(result)


# -- HTTP headers and HTML meta (the shared value logic) ------------------------------------------


def test_the_spec_header_examples() -> None:
    origin = page_origin(f"{SITE}/image.jpg")
    result = from_headers(data("ex03-http-header-reservation.http").decode(), origin)
    assert rules_of(result) == [("prohibition", "tdm", None)]
    assert result.found[0].carrier == "http-header"
    assert result.found[0].declaration["target"] == [{"url": f"{SITE}/image.jpg"}]
    result = from_headers(data("ex04-http-header-reservation-policy.http").decode(), origin)
    assert rules_of(result) == [("prohibition", "tdm", "https://provider.com/policies/policy.json")]
    assert_valid(result)


def test_the_spec_html_example() -> None:
    result = from_meta(data("ex05-html-meta.html").decode(), page_origin())
    assert rules_of(result) == [("prohibition", "tdm", "https://provider.com/policies/policy.json")]
    assert result.found[0].carrier == "html"
    assert_valid(result)


def test_the_itcop_cloudflare_headers_file() -> None:
    """Real deployment: `/*` sends tdm-reservation 1 and a tdm-policy."""
    text = itcop("itcop.org_cloudflare-pages_headers.txt").decode()
    block = text.split("\n\n")[0].splitlines()
    assert block[0] == "/*"
    split = [line.partition(":") for line in block[1:]]
    pairs = {name.strip().lower(): value.strip() for name, _, value in split}
    result = tdm_values(
        pairs["tdm-reservation"],
        pairs["tdm-policy"],
        page_origin("https://itcop.org/"),
        "http-header",
    )
    assert rules_of(result) == [
        ("prohibition", "tdm", "https://itcop.org/licence/0pn-mrt-1.0.json")
    ]


@pytest.mark.parametrize(
    ("value", "carrier", "expected"),
    [
        ("1", "http-header", "prohibition"),
        (" 1 ", "html", "prohibition"),
        ("0", "http-header", "permission"),
        ("1, 1", "http-header", "prohibition"),  # identical field lines folded by HTTP
        ("1, 1", "html", None),
        ("1, 0", "http-header", None),
        ("2", "http-header", None),
        ("01", "html", None),
        ("true", "html", None),
        ("", "html", None),
    ],
)
def test_tdm_values(value: str, carrier: str, expected: str | None) -> None:
    result = tdm_values(value, None, page_origin(), carrier)
    if expected is None:
        assert not result.found and len(result.unreadable) == 1
        assert result.unreadable[0].carrier == carrier
    else:
        assert [kind for kind, _, _ in rules_of(result)] == [expected]
        assert not result.unreadable
        assert result.found[0].carrier == carrier
    assert_valid(result)


def test_absent_reservation_declares_nothing_but_keeps_the_policy() -> None:
    result = tdm_values(None, "https://p.example/policy", page_origin(), "http-header")
    assert not result.found and not result.unreadable
    assert result.other[0]["tdmrep"]["policy"] == "https://p.example/policy"
    assert not tdm_values(None, None, page_origin(), "html").other


def test_a_permission_is_eea_only_statutory_exception() -> None:
    result = tdm_values("0", "https://p.example/ignored", page_origin(), "http-header")
    (value,) = permissions(result)
    assert value["permission"] == [{"purpose": "tdm"}]
    assert value["basis"] == "statutory-exception" and value["jurisdiction"] == ["EEA"]
    assert "policyUrl" not in value
    assert decision(result, policy="signals-only", jurisdiction="DE") == "allowed"
    assert decision(result, policy="signals-only", jurisdiction="NO") == "allowed"
    assert decision(result, policy="signals-only", jurisdiction="US") == "unknown"
    assert decision(result, policy="signals-only") == "unknown"  # scoped, no place given
    assert decision(result, policy="opt-in", jurisdiction="DE") == "denied"  # a publisher's word
    assert decision(result, policy="opt-out", jurisdiction="DE") == "allowed"
    assert decision(result, "search", policy="signals-only", jurisdiction="FR") == "allowed"


# -- EPUB -----------------------------------------------------------------------------------------


def _repair_opf(fragment: bytes) -> bytes:
    text = fragment.decode()
    text = re.sub(
        r"<package ([^>]*?) \.\.\.>", r'<package \1 xmlns="http://www.idpf.org/2007/opf">', text
    )
    text = text.replace("<metadata ...>", '<metadata xmlns:dc="http://purl.org/dc/elements/1.1/">')
    return text.encode()


@pytest.mark.parametrize(
    "name", ["ex06-epub2-opf-fragment.xml.txt", "ex07-epub3-opf-fragment.xml.txt"]
)
def test_the_spec_epub_examples(name: str) -> None:
    fragment = data(name)
    as_printed = read_epub_opf(fragment, file_origin(fragment))
    assert not as_printed.found and len(as_printed.unreadable) == 1  # `...` placeholders
    package = _repair_opf(fragment)
    result = read_epub_opf(package, file_origin(package))
    assert rules_of(result) == [("prohibition", "tdm", "https://provider.com/policies/policy.json")]
    assert result.found[0].carrier == "html"  # §9.4: EPUB package metadata travels as html
    assert not result.unreadable
    assert_valid(result)


@pytest.mark.parametrize(
    ("package", "expected"),
    [
        (opf2("1"), [("prohibition", "tdm", None)]),
        (opf2("0", "https://p.example/x"), [("permission", "tdm", None)]),
        (opf3("1", "https://p.example/x"), [("prohibition", "tdm", "https://p.example/x")]),
        (opf3("1", prefix=f"tdm: {NS_SLASH}"), [("prohibition", "tdm", None)]),
        (opf3("1", prefix=f"t: {NS_HASH}", name="t"), [("prohibition", "tdm", None)]),
        (opf3("1", prefix="dcterms: http://purl.org/dc/terms/"), [("prohibition", "tdm", None)]),
        (opf3("1", prefix="tdm: http://other.example/ns#"), []),
        (opf3(None, "https://p.example/x"), []),
        (opf2(None), []),
    ],
)
def test_epub_package_metadata(package: bytes, expected: list[Any]) -> None:
    result = read_epub_opf(package, file_origin(package))
    assert rules_of(result) == expected and not result.unreadable
    assert_valid(result)


def test_epub_2_and_3_forms_together_fail_closed() -> None:
    both = opf3("0").replace(
        b"</metadata>", b'<meta name="tdm:reservation" content="1"/></metadata>'
    )
    assert rules_of(read_epub_opf(both, file_origin(both))) == [("prohibition", "tdm", None)]
    bad = opf3("0").replace(
        b"</metadata>", b'<meta name="tdm:reservation" content="yes"/></metadata>'
    )
    result = read_epub_opf(bad, file_origin(bad))
    assert not result.found and len(result.unreadable) == 1


def test_epub_refines_is_not_about_the_publication() -> None:
    package = opf3(None).replace(
        b"</metadata>", b'<meta property="tdm:reservation" refines="#ch1">1</meta></metadata>'
    )
    assert not read_epub_opf(package, file_origin(package)).found


def test_a_whole_epub_container() -> None:
    book = epub(opf3("1"))
    result = read_epub_opf(book, file_origin(book, "book.epub"))
    assert rules_of(result) == [("prohibition", "tdm", None)]
    assert result.found[0].declaration["target"][0]["sha256"]  # the EPUB's own bytes
    missing = epub(opf3("1"), container=b"<container/>")
    result = read_epub_opf(missing, file_origin(missing))
    assert not result.found and len(result.unreadable) == 1


def test_an_epub_whose_package_inflates_beyond_the_limit_is_unreadable() -> None:
    bomb = epub(opf3("0") + b" " * (11 * 1024 * 1024))
    assert len(bomb) < 100_000
    started = time.monotonic()
    result = read_epub_opf(bomb, file_origin(bomb))
    assert not result.found and len(result.unreadable) == 1
    assert time.monotonic() - started < 5


@pytest.mark.parametrize(
    ("field", "value"),
    [(10, 99), (8, 1)],  # central directory: an unknown compression method; the encrypted flag
    ids=["unsupported-compression", "encrypted"],
)
def test_an_epub_zipfile_cannot_open_is_unreadable(field: int, value: int) -> None:
    """zipfile's NotImplementedError and RuntimeError become unreadable, never a crash."""
    book = bytearray(epub(opf3("0")))
    entry = book.rindex(b"PK\x01\x02")  # the central directory record of content.opf
    book[entry + field : entry + field + 2] = value.to_bytes(2, "little")
    result = read_epub_opf(bytes(book), file_origin(bytes(book), "book.epub"))
    assert not result.found and len(result.unreadable) == 1
    assert "not a readable EPUB container" in result.unreadable[0].message


# -- PDF XMP --------------------------------------------------------------------------------------


def test_the_spec_pdf_example() -> None:
    fragment = data("ex08-pdf-xmp-fragment.xml.txt")
    as_printed = read_pdf_xmp(pdf(fragment), file_origin(fragment))
    assert not as_printed.found and len(as_printed.unreadable) == 1  # unquoted xmlns, `...`
    repaired = fragment.replace(
        b"xmlns:rdf=http://www.w3.org/1999/02/22-rdf-syntax-ns#",
        b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"',
    ).replace(b"  ...\n", b"")
    document = pdf(repaired)
    result = read_pdf_xmp(document, file_origin(document, "paper.pdf"))
    assert rules_of(result) == [
        ("prohibition", "tdm", "https://publisher.com/policies/policy.json")
    ]
    assert result.found[0].carrier == "xmp"
    assert result.found[0].declaration["target"][0]["sha256"]
    assert_valid(result)


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (pdf(xmp("1")), [("prohibition", "tdm", None)]),
        (pdf(xmp("0")), [("permission", "tdm", None)]),
        (
            pdf(xmp("1", "https://p.example/x", namespace=NS_HASH)),
            [("prohibition", "tdm", "https://p.example/x")],
        ),
        (
            pdf(xmp("1", "https://p.example/x", attributes=True)),
            [("prohibition", "tdm", "https://p.example/x")],
        ),
        (pdf(xmp("1"), flate=True), [("prohibition", "tdm", None)]),
        (pdf(xmp("0"), xmp("1")), [("prohibition", "tdm", None)]),  # any reservation wins
        (pdf(xmp("0"), xmp("0")), [("permission", "tdm", None)]),
        (pdf(xmp(None, "https://p.example/x")), []),
        (pdf(xmp("1", namespace="http://other.example/tdm/")), []),
        (pdf(), []),
        (xmp("1"), [("prohibition", "tdm", None)]),  # a bare .xmp sidecar scans the same way
    ],
)
def test_pdf_xmp(document: bytes, expected: list[Any]) -> None:
    result = read_pdf_xmp(document, file_origin(document))
    assert rules_of(result) == expected and not result.unreadable
    assert_valid(result)


@pytest.mark.parametrize(
    "document",
    [
        pdf(xmp("0"), xmp("2")),
        pdf(xmp("0").split(b"</x:xmpmeta>")[0]),  # the packet is cut off
        pdf(xmp("<rdf:Alt><rdf:li>0</rdf:li></rdf:Alt>")),
        pdf(xmp("0")).replace(b"</x:xmpmeta>", b"<x>&bad;</x></x:xmpmeta>"),
        pdf(xmp("0"), flate=True).replace(b"\nstream\n", b"\nstream\nxx"),
    ],
)
def test_pdf_xmp_that_cannot_be_read_grants_nothing(document: bytes) -> None:
    result = read_pdf_xmp(document, file_origin(document))
    assert not permissions(result) and result.unreadable
    assert decision(result, policy="opt-out", jurisdiction="DE") == "denied"


def test_a_broken_packet_that_never_names_tdmrep_is_not_a_signal() -> None:
    document = pdf(b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><broken></x:xmpmeta>', xmp("1"))
    result = read_pdf_xmp(document, file_origin(document))
    assert rules_of(result) == [("prohibition", "tdm", None)] and not result.unreadable


# -- hostile XML ----------------------------------------------------------------------------------

BOMB = (
    '<!DOCTYPE package [<!ENTITY a "1111111111"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>'
)
XXE = '<!DOCTYPE package [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


@pytest.mark.parametrize(("doctype", "entity"), [(BOMB, "&d;"), (XXE, "&xxe;")])
def test_entities_in_an_epub_package_are_refused(doctype: str, entity: str) -> None:
    package = opf2("0").replace(b"<package", doctype.encode() + b"<package", 1)
    package = package.replace(b'content="0"', f'content="{entity}"'.encode())
    result = read_epub_opf(package, file_origin(package))
    assert not result.found and len(result.unreadable) == 1
    assert "refused" in result.unreadable[0].message


@pytest.mark.parametrize(("doctype", "entity"), [(BOMB, "&d;"), (XXE, "&xxe;")])
def test_entities_in_an_xmp_packet_are_refused(doctype: str, entity: str) -> None:
    inner = doctype.replace("package", "x:xmpmeta")
    packet = xmp(entity).replace(b"<x:xmpmeta", inner.encode() + b"<x:xmpmeta", 1)
    document = pdf(packet)
    result = read_pdf_xmp(document, file_origin(document))
    assert not result.found and result.unreadable
    # and a packet that starts at the DOCTYPE, read as a document of its own
    standalone = packet[packet.index(b"<!DOCTYPE") :]
    result = read_pdf_xmp(b"<?xml version='1.0'?>" + standalone, file_origin(standalone))
    assert not result.found and result.unreadable


def test_a_doctype_alone_is_refused() -> None:
    package = b"<!DOCTYPE package>" + opf2("1")[38:]
    result = read_epub_opf(package, file_origin(package))
    assert not result.found and "refused" in result.unreadable[0].message


# -- TDM Policies ---------------------------------------------------------------------------------


def test_the_full_obtain_consent_policy() -> None:
    content = data("ex18-policy-full-obtainConsent.json")
    result = read_tdm_policy(content, file_origin(content))
    assert not result.found and not result.unreadable  # an offer is never a permission (§9.4)
    policy = parse_tdm_policy(content)
    assert policy.uid == "https://provider.com/policies/1"
    assert policy.types == ("http://www.w3.org/ns/odrl/2/Offer",)
    assert policy.profiles == ("http://www.w3.org/ns/tdmrep",)
    assert policy.assigner == "https://provider.com"
    assert policy.deviations == ()
    (offer,) = policy.offers
    assert offer.action == NS_HASH + "mine"
    assert offer.duties == ("odrl:obtainConsent",)
    assert offer.rule is None  # obtainConsent has no aiconsent duty: dropped (§9.1 rule 3)
    assert offer.not_understood == ("duty odrl:obtainConsent",)
    assert result.other[0]["tdmPolicy"] == policy.to_dict()


def test_the_compensate_non_research_policy() -> None:
    """As printed it is not JSON (a trailing comma); its intended meaning, once repaired."""
    content = data("ex19-policy-full-compensate-nonresearch.json")
    result = read_tdm_policy(content, file_origin(content))
    assert not result.found and len(result.unreadable) == 1
    repaired = repair_fragment(content.decode()).encode()
    (offer,) = parse_tdm_policy(repaired).offers
    assert offer.duties == ("odrl:compensate",)
    assert offer.constraints == ("odrl:purpose odrl:eq tdm:non-research",)
    assert offer.rule is None  # non-research has no aiconsent constraint
    assert offer.not_understood == ("constraint odrl:purpose odrl:eq tdm:non-research",)
    assert not read_tdm_policy(repaired, file_origin(repaired)).found


ITCOP_LIKE = json.dumps(
    {
        "@context": [
            "http://www.w3.org/ns/odrl.jsonld",
            {"tdm": "http://www.w3.org/ns/tdmrep/", "ex": "https://terms.example/ns#"},
        ],
        "@type": "Policy",
        "uid": "https://terms.example/licence.json",
        "profile": "http://www.w3.org/ns/tdmrep/",
        "permission": [
            {
                "target": "https://terms.example/",
                "action": "tdm:mine",
                "assigner": "https://terms.example/",
                "duty": [{"action": "attribute", "ex:condition": ["C-1"]}, {"action": "inform"}],
            }
        ],
    }
).encode()


def _itcop_checks(content: bytes, target: str, not_understood: tuple[str, ...]) -> None:
    result = read_tdm_policy(content, file_origin(content))
    assert not result.found and not result.unreadable
    policy = parse_tdm_policy(content)
    assert policy.types == ("http://www.w3.org/ns/odrl/2/Policy",)
    (offer,) = policy.offers
    assert offer.action == NS_SLASH + "mine" and offer.target == target
    assert offer.duties == ("odrl:attribute", "odrl:inform")
    assert offer.rule is None
    assert offer.not_understood == not_understood
    assert "@type is odrl:Policy, not Offer" in policy.deviations
    assert "profile is http://www.w3.org/ns/tdmrep/, not http://www.w3.org/ns/tdmrep" in (
        policy.deviations
    )
    assert "tdm:mine in the slash namespace http://www.w3.org/ns/tdmrep/" in policy.deviations
    assert "0 assigners; the profile requires one" in policy.deviations


def test_the_real_itcop_policy_and_its_deviations() -> None:
    _itcop_checks(
        itcop("itcop.org_licence_0pn-mrt-1.0_tdm-policy.json"),
        "https://itcop.org/",
        (
            "duty odrl:attribute with conditions of its own",  # mrt:condition MRT-1, MRT-4
            "duty odrl:inform with conditions of its own",  # mrt:condition MRT-2, MRT-3
        ),
    )


def test_a_policy_with_the_itcop_deviations() -> None:
    _itcop_checks(
        ITCOP_LIKE, "https://terms.example/", ("duty odrl:attribute with conditions of its own",)
    )


def test_the_itcop_site_file_and_its_policy_end_to_end() -> None:
    site = itcop("itcop.org_tdmrep.json")
    origin = Origin.for_bytes(site, "tdmrep.json", url="https://itcop.org/.well-known/tdmrep.json")
    result = read_tdmrep_json(site, origin, url="https://itcop.org/page")
    assert rules_of(result) == [
        ("prohibition", "tdm", "https://itcop.org/licence/0pn-mrt-1.0.json")
    ]
    policy = itcop("itcop.org_licence_0pn-mrt-1.0_tdm-policy.json")
    result.extend(read_tdm_policy(policy, file_origin(policy)))
    for use in (None, "research", "non-commercial"):
        assert decision(result, policy="opt-out", use_type=use) == "denied"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("ex09-policy-context-fragment.json.txt", None),
        ("ex10-policy-type-fragment.json.txt", None),
        ("ex11-policy-profile-fragment.json.txt", None),
        ("ex12-policy-assigner-fragment.json.txt", None),
        ("ex13-policy-target-fragment.json.txt", None),
        ("ex14-policy-action-fragment.json.txt", {"purpose": "tdm"}),
        ("ex15-policy-duty-obtainConsent-fragment.json.txt", None),
        (
            "ex16-policy-duty-compensate-fragment.json.txt",
            {"purpose": "tdm", "duty": ["compensate"]},
        ),
        (
            "ex17-policy-constraint-research-fragment.json.txt",
            {"purpose": "tdm", "constraint": ["research"]},
        ),
    ],
)
def test_the_spec_policy_fragments(name: str, expected: dict[str, Any] | None) -> None:
    fragment = data(name)
    assert read_tdm_policy(fragment, file_origin(fragment)).unreadable  # `...` is not JSON
    repaired = repair_fragment(fragment.decode()).encode()
    result = read_tdm_policy(repaired, file_origin(repaired))
    assert not result.found
    if "@type" not in json.loads(repaired):  # ex09: only a context and a uid
        assert len(result.unreadable) == 1
        return
    if "permission" not in json.loads(repaired):
        assert not result.unreadable
        assert "no permission" in parse_tdm_policy(repaired).deviations
        return
    (offer,) = parse_tdm_policy(repaired).offers
    assert offer.rule == expected
    if name.startswith("ex13"):
        assert offer.target == "https://provider.com/research-papers"
        assert offer.not_understood == ("action missing or refined",)
    if name.startswith("ex12"):
        assert parse_tdm_policy(repaired).assigner == "https://provider.com"


def test_a_policy_with_an_unknown_remote_context_is_unreadable_offline() -> None:
    content = json.dumps(
        {"@context": "https://contexts.example/odrl.jsonld", "@type": "Offer", "permission": []}
    ).encode()
    result = read_tdm_policy(content, file_origin(content))
    assert not result.found and len(result.unreadable) == 1


def test_a_reservation_with_its_policy_offer_stays_denied() -> None:
    """§11.8: TDMRep policy offers → prohibition, whatever use type is asked about."""
    header = tdm_values("1", "https://provider.com/policies/1", page_origin(), "http-header")
    consent = data("ex18-policy-full-obtainConsent.json")
    header.extend(read_tdm_policy(consent, file_origin(consent)))
    research = write_tdm_policy(
        [
            {
                "id": "urn:uuid:1",
                "target": [{"url": f"{SITE}/p"}],
                "declaredBy": {"id": SITE, "role": "publisher"},
                "retroactive": True,
                "permission": [{"purpose": "tdm", "constraint": ["research"]}],
            }
        ],
        uid="https://provider.com/policies/2",
    ).text.encode()
    header.extend(read_tdm_policy(research, file_origin(research)))
    for use in (None, "research", "commercial"):
        for policy in ("opt-in", "opt-out", "signals-only"):
            assert decision(header, policy=policy, use_type=use, jurisdiction="DE") == "denied"


# -- TDMRep's precedence of carriers --------------------------------------------------------------


def _json_for(value: int | str, policy: str | None = None) -> ReadResult:
    rule: dict[str, Any] = {"location": "/", "tdm-reservation": value}
    if policy:
        rule["tdm-policy"] = policy
    content = json.dumps([rule]).encode()
    return read_tdmrep_json(content, json_origin(content), url=f"{SITE}/item")


def _header(value: str | None, policy: str | None = None) -> ReadResult:
    return tdm_values(value, policy, page_origin(f"{SITE}/item"), "http-header")


def _meta(value: str | None, policy: str | None = None) -> ReadResult:
    return tdm_values(value, policy, page_origin(f"{SITE}/item"), "html")


def _pdf(value: str | None) -> ReadResult:
    document = pdf(xmp(value))
    return read_pdf_xmp(document, file_origin(document))


def _epub(value: str | None) -> ReadResult:
    package = opf3(value)
    return read_epub_opf(package, file_origin(package))


def test_a_header_overrides_the_site_file() -> None:
    result = combine_tdmrep([("tdmrep.json", _json_for(1)), ("http-header", _header("0"))])
    assert rules_of(result) == [("permission", "tdm", None)]
    assert result.found[0].carrier == "http-header" and not result.unreadable
    assert decision(result, policy="signals-only", jurisdiction="DE") == "allowed"


def test_html_overrides_headers_and_embedded_metadata_overrides_html() -> None:
    result = combine_tdmrep(
        [("tdmrep.json", _json_for(0)), ("http-header", _header(None)), ("html", _meta("1"))]
    )
    assert rules_of(result) == [("prohibition", "tdm", None)]
    assert result.found[0].carrier == "html"
    for technique, part in (("pdf", _pdf("0")), ("epub", _epub("0"))):
        result = combine_tdmrep(
            [(technique, part), ("html", _meta("1")), ("http-header", _header("1"))]
        )
        assert rules_of(result) == [("permission", "tdm", None)]
        assert result.found[0].carrier == ("xmp" if technique == "pdf" else "html")


def test_an_absent_value_never_resets_a_lower_one() -> None:
    policy = "https://provider.com/policies/1"
    result = combine_tdmrep(
        [("tdmrep.json", _json_for(1, policy)), ("http-header", _header(None)), ("pdf", _pdf(None))]
    )
    assert rules_of(result) == [("prohibition", "tdm", policy)]
    assert result.found[0].carrier == "tdmrep"
    # the policy is a value of its own: a header reservation keeps the file's policy
    result = combine_tdmrep([("tdmrep.json", _json_for(1, policy)), ("http-header", _header("1"))])
    assert rules_of(result) == [("prohibition", "tdm", policy)]
    assert result.found[0].carrier == "http-header"
    # and a higher policy replaces a lower one
    newer = "https://provider.com/policies/2"
    result = combine_tdmrep(
        [("tdmrep.json", _json_for(1, policy)), ("http-header", _header(None, newer))]
    )
    assert rules_of(result) == [("prohibition", "tdm", newer)]


def test_an_unreadable_value_is_unset_for_tdmrep_but_kept_by_aiconsent() -> None:
    result = combine_tdmrep([("tdmrep.json", _json_for(1)), ("http-header", _header("2"))])
    assert rules_of(result) == [("prohibition", "tdm", None)] and len(result.unreadable) == 1
    assert decision(result, policy="signals-only") == "denied"
    result = combine_tdmrep([("tdmrep.json", _json_for(0)), ("html", _meta("yes"))])
    assert rules_of(result) == [("permission", "tdm", None)] and len(result.unreadable) == 1
    assert decision(result, policy="opt-out", jurisdiction="DE") == "denied"
    # an unreadable value below the deciding one is superseded
    result = combine_tdmrep([("tdmrep.json", _json_for("x")), ("html", _meta("0"))])
    assert rules_of(result) == [("permission", "tdm", None)] and not result.unreadable
    # nothing readable anywhere: only the markers
    result = combine_tdmrep([("tdmrep.json", _json_for("x")), ("http-header", _header("z"))])
    assert not result.found and len(result.unreadable) == 2


def test_combining_passes_other_signals_through() -> None:
    other = Found(
        {
            "@context": "https://w3id.org/aiconsent/v1",
            "id": "urn:uuid:00000000-0000-4000-8000-000000000001",
            "type": "ConsentDeclaration",
            "target": [{"url": f"{SITE}/item"}],
            "declaredBy": {"id": f"{SITE}/item", "role": "publisher"},
            "declaredAt": "2024-01-01T00:00:00Z",
            "prohibition": [{"purpose": "ai-use"}],
        },
        "headers",
        "http-header",
    )
    headers = _header("0")
    headers.found.append(other)
    headers.other.append({"license": "https://l.example/", "source": "headers"})
    result = combine_tdmrep([("http-header", headers), ("html", _meta("1"))])
    assert other in result.found and len(result.found) == 2
    assert {"license": "https://l.example/", "source": "headers"} in result.other
    assert rules_of(result) == [("prohibition", "ai-use", None), ("prohibition", "tdm", None)]


def test_combining_asks_for_one_location_and_known_techniques() -> None:
    content = data("ex02-tdmrep-three-groups.json")
    whole = read_tdmrep_json(content, json_origin(content))
    with pytest.raises(ValueError, match="url="):
        combine_tdmrep([("tdmrep.json", whole)])
    with pytest.raises(ValueError, match="technique"):
        combine_tdmrep([("robots.txt", _header("1"))])
    assert not combine_tdmrep([]).found


# -- writers --------------------------------------------------------------------------------------

NOW = "2024-01-01T00:00:00Z"


def declared(
    *,
    permission: list[dict[str, Any]] | None = None,
    prohibition: list[dict[str, Any]] | None = None,
    target: dict[str, str] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    value: dict[str, Any] = {
        "@context": "https://w3id.org/aiconsent/v1",
        "id": f"urn:uuid:{uuid.uuid4()}",
        "type": "ConsentDeclaration",
        "target": [target or {"url": f"{SITE}/item"}],
        "declaredBy": {"id": SITE + "/", "role": "publisher"},
        "declaredAt": NOW,
        "retroactive": True,
    }
    if permission:
        value["permission"] = permission
    if prohibition:
        value["prohibition"] = prohibition
    value.update(extra)
    return value


def read_back_headers(text: str) -> ReadResult:
    return from_headers("HTTP/1.1 200 OK\n" + text, page_origin(f"{SITE}/item"))


def test_writing_a_reservation_and_a_permission() -> None:
    reserve = declared(prohibition=[{"purpose": "tdm"}], policyUrl="https://p.example/p")
    written = write_tdm_headers([reserve])
    assert written.text == "tdm-reservation: 1\ntdm-policy: https://p.example/p\n"
    assert not written.losses
    meta = write_tdm_meta([reserve])
    assert meta.text == (
        '<meta name="tdm-reservation" content="1">\n'
        '<meta name="tdm-policy" content="https://p.example/p">\n'
    )
    grant = declared(
        permission=[{"purpose": "tdm"}], basis="statutory-exception", jurisdiction=["EEA"]
    )
    written = write_tdm_headers([grant])
    assert written.text == "tdm-reservation: 0\n" and not written.losses


def test_a_narrower_prohibition_is_widened() -> None:
    written = write_tdm_headers([declared(prohibition=[{"purpose": "genai-training"}])])
    assert written.text == "tdm-reservation: 1\n"
    assert [(loss.kind, loss.detail) for loss in written.losses] == [
        ("widened", "prohibition of genai-training written as all TDM")
    ]
    written = write_tdm_headers(
        [
            declared(
                prohibition=[{"purpose": "tdm", "agent": ["GPTBot"], "constraint": ["research"]}]
            )
        ]
    )
    assert written.text == "tdm-reservation: 1\n"
    assert [loss.kind for loss in written.losses] == ["widened", "widened"]
    written = write_tdm_headers([declared(prohibition=[{"purpose": "tdm"}], jurisdiction=["US"])])
    assert [(loss.kind, loss.detail) for loss in written.losses] == [
        ("widened", "jurisdiction of a prohibition")
    ]


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (declared(permission=[{"purpose": "genai-training"}]), "narrower permission"),
        (declared(permission=[{"purpose": "tdm", "agent": ["GPTBot"]}]), "agents"),
        (declared(permission=[{"purpose": "tdm"}], retroactive=False), "not retroactive"),
        (declared(permission=[{"purpose": "tdm"}], jurisdiction=["DE"]), "short of the EEA"),
        (declared(permission=[{"purpose": "tdm"}], validUntil="2030-01-01T00:00:00Z"), "time"),
        (declared(permission=[{"purpose": "tdm"}], content={"minorAtCreation": True}), "minor"),
        (declared(permission=[{"purpose": "tdm"}], content={"visibility": "private"}), "private"),
        (
            declared(permission=[{"purpose": "tdm", "constraint": ["non-commercial"]}]),
            "no TDMRep equivalent",
        ),
        (
            declared(
                permission=[{"purpose": "tdm", "duty": ["attribute"]}],
            ),
            "no TDMRep equivalent",
        ),
    ],
)
def test_a_permission_that_would_widen_is_dropped(value: dict[str, Any], reason: str) -> None:
    written = write_tdm_headers([value])
    assert written.text == ""
    dropped = [loss for loss in written.losses if loss.kind == "dropped"]
    assert len(dropped) == 1 and reason in dropped[0].detail
    assert dropped[0].declaration == value["id"]


def test_a_permission_beside_a_reservation_is_dropped() -> None:
    written = write_tdm_headers(
        [declared(permission=[{"purpose": "tdm"}], prohibition=[{"purpose": "ai-training"}])]
    )
    assert written.text == "tdm-reservation: 1\n"
    assert sorted(loss.kind for loss in written.losses) == ["dropped", "widened"]


def test_conditional_permissions_become_a_policy_offer() -> None:
    value = declared(
        permission=[{"purpose": "tdm", "constraint": ["research"], "duty": ["compensate"]}],
        policyUrl="https://provider.com/terms",
    )
    written = write_tdm_headers([value], policy_url="https://provider.com/policies/1")
    assert written.text == "tdm-reservation: 1\ntdm-policy: https://provider.com/policies/1\n"
    assert [loss.kind for loss in written.losses] == ["dropped"]
    assert "only an offer in a TDM Policy" in written.losses[0].detail
    offer = write_tdm_policy([value], uid="https://provider.com/policies/1")
    assert not offer.losses
    document = json.loads(offer.text)
    assert document["@type"] == "Offer" and document["profile"] == "http://www.w3.org/ns/tdmrep"
    assert document["assigner"] == {"uid": SITE + "/"}
    (permission,) = parse_tdm_policy(offer.text.encode()).offers
    assert permission.rule == {"purpose": "tdm", "constraint": ["research"], "duty": ["compensate"]}


def test_an_unconditional_permission_wins_over_offers_and_drops_their_duties() -> None:
    written = write_tdm_headers(
        [
            declared(permission=[{"purpose": "tdm"}], jurisdiction=["EEA"]),
            declared(
                permission=[{"purpose": "tdm", "duty": ["compensate"]}],
                policyUrl="https://t.example/",
            ),
        ]
    )
    assert written.text == "tdm-reservation: 0\n"
    assert [loss.kind for loss in written.losses] == ["dropped"]


def test_what_a_written_permission_loses() -> None:
    written = write_tdm_headers(
        [
            declared(
                permission=[{"purpose": "tdm"}],
                basis="explicit-consent",
                withdrawalUrl="https://w.example/",
                declaredBy={
                    "id": "urn:uuid:00000000-0000-4000-8000-00000000000a",
                    "role": "creator",
                },
            )
        ]
    )
    assert written.text == "tdm-reservation: 0\n"
    assert sorted(loss.detail for loss in written.losses) == [
        "basis explicit-consent",
        "jurisdiction everywhere: tdm-reservation 0 speaks for the EEA",
        "party role creator",
        "withdrawalUrl",
    ]
    assert all(loss.kind == "lost" for loss in written.losses)


def test_a_withdrawn_permission_is_written_as_a_reservation() -> None:
    written = write_tdm_headers(
        [declared(permission=[{"purpose": "tdm"}], withdrawnAt="2024-02-01T00:00:00Z")]
    )
    assert written.text == "tdm-reservation: 1\n"
    assert [(loss.kind, loss.detail) for loss in written.losses] == [
        ("lost", "withdrawal history (written as a reservation)")
    ]


def test_headers_and_meta_speak_for_one_resource() -> None:
    value = declared(prohibition=[{"purpose": "tdm"}], target={"urlPattern": "/a/"})
    for writer in (write_tdm_headers, write_tdm_meta):
        written = writer([value])
        assert written.text == "" and [loss.kind for loss in written.losses] == ["lost"]


def test_writing_tdmrep_json() -> None:
    values = [
        declared(
            permission=[{"purpose": "tdm"}],
            target={"urlPattern": "/images/*.jpg"},
            jurisdiction=["EEA"],
        ),
        declared(prohibition=[{"purpose": "tdm"}], target={"urlPattern": f"{SITE}/a/"}),
        declared(prohibition=[{"purpose": "search"}], target={"url": f"{SITE}/x*y$.html"}),
        declared(prohibition=[{"purpose": "tdm"}], target={"urlPattern": "https://other.example/"}),
        declared(prohibition=[{"purpose": "tdm"}], target={"sha256": "0" * 64}),
    ]
    written = write_tdmrep_json(values, site=SITE)
    assert json.loads(written.text) == [
        {"location": "/x%2Ay%24.html$", "tdm-reservation": 1},
        {"location": "/a/", "tdm-reservation": 1},
        {"location": "/images/*.jpg", "tdm-reservation": 0},
    ]
    assert sorted(loss.kind for loss in written.losses) == ["lost", "lost", "widened"]
    back = read_tdmrep_json(
        written.text.encode(), json_origin(written.text.encode()), url=f"{SITE}/x*y$.html"
    )
    assert rules_of(back) == [("prohibition", "tdm", None)]
    back = read_tdmrep_json(
        written.text.encode(), json_origin(written.text.encode()), url=f"{SITE}/x*y$.htmlz"
    )
    assert not back.found


def test_policy_writer_losses() -> None:
    written = write_tdm_policy(
        [
            declared(permission=[{"purpose": "tdm"}]),
            declared(permission=[{"purpose": "tdm", "duty": ["attribute"]}]),
            declared(prohibition=[{"purpose": "tdm"}]),
        ],
        uid="https://provider.com/policies/1",
    )
    assert json.loads(written.text)["permission"] == []
    assert [loss.kind for loss in written.losses] == ["dropped", "dropped"]


# -- round trips ----------------------------------------------------------------------------------

POLICY_URLS = st.sampled_from([None, "https://provider.com/policies/1", "http://p.example/a?b=c#d"])


@st.composite
def carriable(draw: st.DrawFn) -> dict[str, Any]:
    """A declaration TDMRep can carry without loss: one bit, maybe a policy."""
    if draw(st.booleans()):
        policy = draw(POLICY_URLS)
        extra = {"policyUrl": policy} if policy else {}
        return declared(prohibition=[{"purpose": "tdm"}], **extra)
    return declared(
        permission=[{"purpose": "tdm"}], basis="statutory-exception", jurisdiction=["EEA"]
    )


def same_meaning(original: dict[str, Any], back: dict[str, Any]) -> None:
    for key in ("permission", "prohibition", "policyUrl", "basis", "jurisdiction", "retroactive"):
        if key == "basis" and "prohibition" in original:
            continue
        assert original.get(key) == back.get(key), key


@given(value=carriable())
@settings(max_examples=60, deadline=None)
def test_round_trip_headers_and_meta(value: dict[str, Any]) -> None:
    written = write_tdm_headers([value])
    assert not written.losses
    (back,) = read_back_headers(written.text).found
    same_meaning(value, back.declaration)
    meta = write_tdm_meta([value])
    assert not meta.losses
    (back,) = from_meta(meta.text, page_origin(f"{SITE}/item")).found
    same_meaning(value, back.declaration)


PATHS = st.from_regex(r"/[a-z0-9_.*-]{0,12}(/[a-z0-9_.*-]{1,8}){0,2}\$?", fullmatch=True)


@given(locations=st.lists(PATHS, min_size=1, max_size=5, unique=True), data_=st.data())
@settings(max_examples=60, deadline=None)
def test_round_trip_tdmrep_json(locations: list[str], data_: st.DataObject) -> None:
    values = []
    for location in locations:
        value = data_.draw(carriable())
        value["target"] = [{"urlPattern": location}]
        values.append(value)
    written = write_tdmrep_json(values, site=SITE)
    assert not written.losses
    content = written.text.encode()
    back = read_tdmrep_json(content, json_origin(content))
    by_pattern = {
        item.declaration["target"][0]["urlPattern"]: item.declaration for item in back.found
    }
    assert set(by_pattern) == {SITE + location for location in locations}
    for value in values:
        same_meaning(value, by_pattern[SITE + value["target"][0]["urlPattern"]])
    assert_valid(back)


OFFER_RULES = st.sampled_from(
    [
        {"purpose": "tdm", "constraint": ["research"]},
        {"purpose": "tdm", "duty": ["compensate"]},
        {"purpose": "tdm", "constraint": ["research"], "duty": ["compensate"]},
    ]
)


@given(rules=st.lists(OFFER_RULES, min_size=1, max_size=3, unique_by=repr))
@settings(max_examples=20, deadline=None)
def test_round_trip_policy(rules: list[dict[str, Any]]) -> None:
    values = [declared(permission=[rule], policyUrl="https://provider.com/terms") for rule in rules]
    written = write_tdm_policy(values, uid="https://provider.com/policies/1")
    assert not written.losses
    policy = parse_tdm_policy(written.text.encode())
    assert policy.deviations == ()
    assert [offer.rule for offer in policy.offers] == rules


ANY_RULE_PURPOSE = st.sampled_from(list(purpose_tree().depth))


@st.composite
def any_rule(draw: st.DrawFn, *, permission: bool) -> dict[str, Any]:
    rule: dict[str, Any] = {"purpose": draw(ANY_RULE_PURPOSE)}
    if draw(st.integers(0, 4)) == 0:
        rule["agent"] = ["GPTBot"]
    constraints = draw(st.sets(st.sampled_from(["research", "non-commercial"]), max_size=2))
    if constraints and draw(st.booleans()):
        rule["constraint"] = sorted(constraints)
    if permission:
        duties = draw(st.sets(st.sampled_from(["attribute", "compensate", "notify"]), max_size=2))
        if duties and draw(st.booleans()):
            rule["duty"] = sorted(duties)
    return rule


@st.composite
def any_declaration(draw: st.DrawFn) -> dict[str, Any]:
    permission = draw(st.lists(any_rule(permission=True), max_size=2))
    prohibition = draw(st.lists(any_rule(permission=False), max_size=2))
    if not permission and not prohibition:
        permission = [{"purpose": "tdm"}]
    extra: dict[str, Any] = {
        "basis": draw(st.sampled_from(["unspecified", "statutory-exception", "explicit-consent"])),
        "retroactive": draw(st.booleans()),
        "declaredBy": {
            "id": draw(
                st.sampled_from([SITE + "/", "urn:uuid:00000000-0000-4000-8000-0000000000aa"])
            ),
            "role": draw(st.sampled_from(["publisher", "creator"])),
        },
        "policyUrl": "https://provider.com/terms",
    }
    places = draw(st.sampled_from([None, ["EEA"], ["DE"], ["EU"], ["EEA", "US"], ["US"]]))
    if places:
        extra["jurisdiction"] = places
    if draw(st.integers(0, 5)) == 0:
        extra["withdrawnAt"] = "2024-06-01T00:00:00Z"
    if draw(st.integers(0, 5)) == 0:
        extra["validUntil"] = "2030-01-01T00:00:00Z"
    value = declared(permission=permission, prohibition=prohibition, **extra)
    value["id"] = f"urn:uuid:00000000-0000-4000-8000-{draw(st.integers(0, 10**12)):012d}"
    return value


@given(values=st.lists(any_declaration(), min_size=1, max_size=3, unique_by=lambda v: v["id"]))
@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_writing_never_grants_more_and_never_forbids_less(values: list[dict[str, Any]]) -> None:
    """For every leaf: what the written signal allows, the declarations allowed; what they
    denied, it denies (content facts aside, which TDMRep cannot carry and are reported lost)."""
    assume(all(validate_value(value).errors == 0 for value in values))
    written = write_tdm_headers(values)
    back = read_back_headers(written.text)
    as_json = write_tdmrep_json(values, site=SITE)
    content = as_json.text.encode()
    back_json = read_tdmrep_json(content, json_origin(content), url=f"{SITE}/item")
    for place in ("DE", "US", None):
        for leaf in LEAVES:
            before = check(values, leaf, jurisdiction=place, policy="signals-only").decision
            for result in (back, back_json):
                after = decision(result, leaf, jurisdiction=place, policy="signals-only")
                if after == "allowed":
                    assert before == "allowed", (leaf, place, written.text)
                if before == "denied":
                    assert after == "denied", (leaf, place, written.text)
    if not written.text:
        assert written.losses or not values


# -- hostile input --------------------------------------------------------------------------------

JSON_SEEDS = [
    data("ex01-tdmrep-optout-all.json"),
    data("ex02-tdmrep-three-groups.json"),
    data("healsdata-ai-training-opt-out_tdmrep.json"),
    data("janpetrlik.com_tdmrep_MALFORMED-object.json"),
    b'[{"location": "/", "tdm-reservation": 0, "tdm-policy": "https://p.example/x"}]',
]
OPF_SEEDS = [
    opf2("0", "https://p.example/x"),
    opf3("0"),
    opf3("1", "https://p.example/x"),
    opf2("1"),
]
PDF_SEEDS = [
    pdf(xmp("0")),
    pdf(xmp("1", "https://p.example/x")),
    pdf(xmp("0"), flate=True),
    pdf(xmp("0", attributes=True)),
]
POLICY_SEEDS = [data("ex18-policy-full-obtainConsent.json"), ITCOP_LIKE]


def _has_bad_text(content: bytes) -> bool:
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return b"\x00" in content


def _run(reader: Any, content: bytes) -> ReadResult:
    started = time.monotonic()
    result = reader(content)
    assert time.monotonic() - started < 5, "a reader must finish quickly"
    assert isinstance(result, ReadResult)
    return result


READERS = {
    "tdmrep.json": (lambda c: read_tdmrep_json(c, json_origin(c)), JSON_SEEDS),
    "tdmrep.json/url": (
        lambda c: read_tdmrep_json(c, json_origin(c), url=f"{SITE}/x.jpg"),
        JSON_SEEDS,
    ),
    "epub": (lambda c: read_epub_opf(c, file_origin(c)), OPF_SEEDS),
    "pdf": (lambda c: read_pdf_xmp(c, file_origin(c)), PDF_SEEDS),
}


@pytest.mark.parametrize("name", list(READERS))
def test_mutants_never_raise_and_bad_text_grants_nothing(name: str) -> None:
    reader, seeds = READERS[name]
    count = 0
    for content in mutants(seeds, count=2000):
        result = _run(reader, content)
        count += 1
        if name != "pdf" and _has_bad_text(content):
            assert not permissions(result), content[:200]
        for item in result.found:
            assert set(item.declaration) >= {"id", "target", "declaredBy", "carrier"}
    assert count >= 2000


def test_mutants_of_policies_never_raise_or_grant() -> None:
    count = 0
    for content in mutants(POLICY_SEEDS, count=2000):
        result = _run(lambda c: read_tdm_policy(c, file_origin(c)), content)
        assert not result.found
        count += 1
    assert count >= 2000


def _element(packet: bytes) -> bytes:
    return packet[packet.index(b"<x:xmpmeta") : packet.index(b"</x:xmpmeta>") + 12]


def test_mutated_xmp_packets_with_bad_text_grant_nothing() -> None:
    """The XMP itself is text: NUL or bad UTF-8 inside the x:xmpmeta element grants nothing."""
    seeds = [_element(xmp("0")), _element(xmp("0", "https://p.example/x", attributes=True))]
    head, _, tail = xmp("0").partition(seeds[0])
    for element in mutants(seeds, count=2000):
        document = pdf(head + element + tail)
        result = _run(lambda c: read_pdf_xmp(c, file_origin(c)), document)
        if _has_bad_text(element):
            assert not permissions(result), element[:200]


def test_found_declarations_from_mutants_are_valid() -> None:
    """A sample: every declaration a mutant produces passes the validator."""
    checked = 0
    for reader, seeds in READERS.values():
        for content in list(mutants(seeds, count=300, seed=7))[::3]:
            result = reader(content)
            assert_valid(result)
            checked += len(result.found)
    assert checked > 20


@pytest.mark.parametrize("name", list(READERS))
def test_truncated_values_grant_nothing(name: str) -> None:
    reader, seeds = READERS[name]
    for seed in seeds:
        end = len(seed.rstrip())
        if name == "pdf" and b"FlateDecode" in seed:
            end = seed.index(b"endstream") - 1  # anywhere in the compressed stream
        elif name == "pdf":
            end = seed.index(b"</x:xmpmeta>") + len(b"</x:xmpmeta")
        for cut in range(end):
            assert not permissions(reader(seed[:cut])), seed[:cut][-80:]


@given(st.binary(max_size=2048))
@settings(max_examples=200, deadline=None)
def test_any_bytes(content: bytes) -> None:
    for reader, _ in READERS.values():
        reader(content)
    read_tdm_policy(content, file_origin(content))


@given(st.text(max_size=512))
@settings(max_examples=200, deadline=None)
def test_any_text(text: str) -> None:
    content = text.encode("utf-8", "surrogatepass")
    for reader, _ in READERS.values():
        reader(content)
    read_tdm_policy(content, file_origin(content))


@given(
    reservation=st.one_of(st.none(), st.text(max_size=20)),
    policy=st.one_of(st.none(), st.text(max_size=80)),
)
@settings(max_examples=150, deadline=None)
def test_tdm_values_for_any_text(reservation: str | None, policy: str | None) -> None:
    for carrier in ("http-header", "html"):
        result = tdm_values(reservation, policy, page_origin(), carrier)
        assert_valid(result)
        if reservation is not None and reservation.strip(" \t\r\n\f") not in ("0", "1"):
            assert not permissions(result)


@given(location=st.text(max_size=40), policy=st.text(max_size=60))
@settings(max_examples=150, deadline=None)
def test_any_rule_text_reads_to_valid_declarations(location: str, policy: str) -> None:
    content = json.dumps(
        [{"location": location, "tdm-reservation": 1, "tdm-policy": policy}]
    ).encode()
    result = read_tdmrep_json(content, json_origin(content))
    assert_valid(result)
    assert len(result.found) + len(result.unreadable) == 1


def test_oversized_input_is_refused() -> None:
    big = b"[" + b" " * (10 * 1024 * 1024) + b"]"
    result = read_tdmrep_json(big, json_origin(big))
    assert not result.found and len(result.unreadable) == 1
    result = read_tdm_policy(big, file_origin(big))
    assert len(result.unreadable) == 1


@pytest.mark.parametrize(
    "document",
    [
        b"<x:xmpmeta " * 900_000,  # start tags without end tags
        b"".join(b"<p%d:xmpmeta></p%d:xmpmeta>" % (n, n) for n in range(1000)),  # many packets
        b"<rdf:RDF " * 900_000,
        b"1 0 obj << /Type /Metadata /Filter /FlateDecode >> stream\n" * 150_000,
        pdf(*[xmp("0")] * 300),
    ],
)
def test_pathological_pdfs_finish_quickly_and_grant_nothing(document: bytes) -> None:
    result = _run(lambda c: read_pdf_xmp(c, file_origin(c)), document)
    assert not permissions(result) and len(result.unreadable) == 1


def test_mutated_epub_containers_never_raise() -> None:
    seeds = [epub(opf3("1")), epub(opf2("0", "https://p.example/x"))]
    outcomes = set()
    for content in mutants(seeds, count=2000):
        result = _run(lambda c: read_epub_opf(c, file_origin(c)), content)
        outcomes.add((bool(result.found), bool(result.unreadable)))
    assert (False, True) in outcomes and (True, False) in outcomes
