"""Attaching to HTML pages: our block in <head>, all other bytes left alone (§3.4, §9.4, §9.6)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.documents import declaration, example_files, nodes_in
from tests.formats.mutations import mutants

from aiconsent.carriers import safe_write
from aiconsent.carriers.html_page import (
    HtmlAttachError,
    attach_html,
    attach_html_file,
    attach_html_report,
)
from aiconsent.carriers.safe_write import SafeWriteError, UnsafeTargetError
from aiconsent.formats.common import Origin
from aiconsent.formats.html import read_html
from aiconsent.model.found import ReadResult

URL = "https://x.example/a"
PAGE = (
    b"<!DOCTYPE html>\r\n<html lang=en>\r\n<HEAD>\r\n  <meta charset=utf-8>\r\n"
    b"  <title>Caf\xc3\xa9 \xe2\x98\x83</title>\r\n"
    b'  <script type="application/ld+json">{"@context": "https://schema.org", "@type": "Thing"}'
    b"</script>\r\n  <meta name=robots content=noindex>\r\n</HEAD>\r\n"
    b"<body><p>Odd   spacing <b>kept<i></b></i> &amp; entities &nbsp;</p></body></html>\r\n"
)
SEEDS = [
    PAGE,
    b"<html><head><title>x</title></head><body>text</body></html>",
    b"<html><body>no head</body></html>",
    b"<!doctype html><p>no html element",
    b"just text, no markup at all",
    b"<head><title>never closed",
    b"<!-- <head> in a comment --><html><head></head></html>",
    b"<html><head><script>var s = '</head><head>';</script></head></html>",
    b'<html><head><meta content="\xe9t\xe9" name=description></head></html>',  # latin-1
    b"\xef\xbb\xbf<html><head></head><body></body></html>",
    b"<html><head><style>head { color: red }</style><title a='" + b"x" * 5000 + b"'></head>",
]


def prohibiting() -> dict[str, Any]:
    return declaration(
        prohibition=[{"purpose": "genai-training"}, {"purpose": "ai-use", "agent": ["GPTBot"]}],
        permission=[{"purpose": "search"}],
        policyUrl="https://x.example/terms?a=1&b=2",
    )


def read(page: bytes) -> ReadResult:
    return read_html(page, Origin.for_bytes(page, "page.html", url=URL))


def ours(result: ReadResult, given: list[dict[str, Any]]) -> list[dict[str, Any]]:
    ids = {value["id"] for value in given}
    return [item.declaration for item in result.found if item.declaration.get("id") in ids]


def plain(value: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in value.items() if k not in ("@context", "carrier")}


def inserted(page: bytes, out: bytes) -> bytes:
    """The bytes added to `page`, asserting that nothing else changed."""
    prefix = 0
    limit = min(len(page), len(out))
    while prefix < limit and page[prefix] == out[prefix]:
        prefix += 1
    suffix = 0
    while (
        suffix < len(page) - prefix
        and suffix < len(out) - prefix
        and page[-1 - suffix] == out[-1 - suffix]
    ):
        suffix += 1
    assert prefix + suffix == len(page), "bytes outside the inserted block changed"
    return out[prefix : len(out) - suffix]


def test_round_trip_with_meta_signals() -> None:
    given = [prohibiting()]
    out = attach_html(PAGE, given)
    block = inserted(PAGE, out)
    assert block.isascii()
    result = read(out)
    assert [plain(v) for v in ours(result, given)] == [plain(v) for v in given]
    assert all(item.carrier == "html" for item in result.found)
    assert ours(result, given)[0]["carrier"] == "html"
    assert result.unreadable == []
    prohibitions = [
        rule
        for item in result.found
        if item.declaration["id"] != given[0]["id"]
        for rule in item.declaration.get("prohibition", [])
    ]
    assert {"purpose": "ai-use"} in prohibitions  # meta robots noai
    assert {"purpose": "tdm"} in prohibitions  # tdm-reservation 1
    tdm = [
        item.declaration
        for item in result.found
        if {"purpose": "tdm"} in item.declaration.get("prohibition", [])
    ]
    assert tdm[0]["policyUrl"] == "https://x.example/terms?a=1&b=2"
    text = out.decode("utf-8")
    assert '<meta name="tdm-reservation" content="1" data-aiconsent="v1">' in text
    assert '<meta name="robots" content="noai, noimageai" data-aiconsent="v1">' in text
    assert '<meta name="GPTBot" content="noai, noimageai" data-aiconsent="v1">' in text
    assert text.index("data-aiconsent") > text.index("noindex")  # just before </HEAD>
    assert text.index("</HEAD>") > text.rindex("</script>")


def test_every_example_declaration_round_trips() -> None:
    given = [
        node
        for path in example_files()
        for node in nodes_in(path)
        if node.get("type") == "ConsentDeclaration"
    ]
    out = attach_html(PAGE, given)
    inserted(PAGE, out)
    assert [plain(v) for v in ours(read(out), given)] == [plain(v) for v in given]


def test_a_permission_only_declaration_writes_no_robots_meta() -> None:
    given = [declaration(prohibition=None, permission=[{"purpose": "search"}])]
    text = attach_html(PAGE, given).decode("utf-8")
    assert 'content="noai' not in text
    assert "tdm-reservation" not in text
    assert 'application/ld+json" data-aiconsent' in text


def test_hostile_strings_cannot_leave_the_script() -> None:
    given = [
        declaration(
            declaredBy={
                "id": "https://x.example/u/1",
                "role": "creator",
                "name": "</script><script>alert(1)</script><!-- & \u2028 ☃",
            }
        )
    ]
    out = attach_html(PAGE, given)
    block = inserted(PAGE, out)
    assert block.count(b"<script") == 1 and block.count(b"</script>") == 1
    assert b"<!--" not in block
    assert [plain(v) for v in ours(read(out), given)] == [plain(v) for v in given]


def test_second_attach_replaces_and_is_idempotent() -> None:
    first = attach_html(PAGE, [prohibiting()])
    assert attach_html(first, [prohibiting()]) == first
    other = declaration(id="urn:uuid:00000000-0000-4000-8000-000000000009")
    second = attach_html(first, [other])
    assert second == attach_html(PAGE, [other])
    assert second.count(b"data-aiconsent") == attach_html(PAGE, [other]).count(b"data-aiconsent")
    assert b"tdm-policy" not in second
    assert attach_html(second, []) == PAGE, "an empty list removes the block"


def test_a_hand_placed_block_of_ours_is_replaced() -> None:
    hand = json.dumps(declaration()).encode()
    page = (
        b'<html><head><title>t</title></head><body><script type="application/ld+json">'
        + hand
        + b"</script></body></html>"
    )
    out = attach_html(page, [declaration()])
    assert out.count(b"application/ld+json") == 1
    assert len(ours(read(out), [declaration()])) == 1


def test_pages_without_head_or_html() -> None:
    for page, where in (
        (b"<html><body>x</body></html>", b"<html><head>"),
        (b"<!doctype html><p>x", b"<!doctype html><head>"),
        (b"plain text", b"<head>"),
        (b"\xef\xbb\xbfplain", b"\xef\xbb\xbf<head>"),
    ):
        out = attach_html(page, [declaration()])
        assert out.startswith(where)
        inserted(page, out)
        assert attach_html(out, [declaration()]) == out
        assert len(ours(read(out), [declaration()])) == 1


def test_head_not_found_inside_comments_or_scripts() -> None:
    page = (
        b"<!-- <head></head> --><html><head><script>'</head>'</script>"
        b"<title>t</title></head><body></body></html>"
    )
    out = attach_html(page, [declaration()])
    assert inserted(page, out)
    assert out.index(b"data-aiconsent") > out.index(b"<title>")


def test_encodings_are_kept() -> None:
    latin = '<html><head><meta charset="iso-8859-1"><title>Café</title></head></html>'.encode(
        "latin-1"
    )
    out = attach_html(latin, [declaration()])
    assert inserted(latin, out).isascii()
    with pytest.raises(HtmlAttachError, match="UTF-16"):
        attach_html("<html><head></head></html>".encode("utf-16"), [declaration()])


def test_bad_input_raises_our_error() -> None:
    for bad in ([{"type": "Thing"}], [declaration(prohibition=[{"purpose": "x"}])], ["text"]):
        with pytest.raises(HtmlAttachError):
            attach_html(PAGE, bad)  # type: ignore[arg-type]
    with pytest.raises(HtmlAttachError):
        attach_html("text", [declaration()])  # type: ignore[arg-type]
    unclosed = b'<html><head><script type="application/ld+json" data-aiconsent="v1">{'
    with pytest.raises(HtmlAttachError, match="never closed"):
        attach_html(unclosed, [declaration()])
    assert issubclass(HtmlAttachError, ValueError)


def test_meta_losses_are_reported() -> None:
    report = attach_html_report(PAGE, [prohibiting()])
    assert report.page == attach_html(PAGE, [prohibiting()])
    assert any(loss.kind == "widened" for loss in report.meta_losses)


def test_hostile_pages_never_crash_or_damage_bytes() -> None:
    given = [prohibiting()]
    attached = refused = 0
    for page in mutants(SEEDS, 2000):
        try:
            out = attach_html(page, given)
        except HtmlAttachError:
            refused += 1
            continue
        attached += 1
        block = inserted(page, out)
        assert b"data-aiconsent" in block
        assert attach_html(out, given) == out
        assert len(ours(read(out), given)) == 1, "a reader finds what was attached"
    assert attached > 1900, (attached, refused)


def test_markup_left_open_before_head_is_refused() -> None:
    """An unclosed quote would swallow the block; refused rather than written unreadable."""
    page = b'<html><head><script type="application/ld+jpt></head></html>'
    with pytest.raises(HtmlAttachError, match="not closed"):
        attach_html(page, [declaration()])


def test_extreme_pages() -> None:
    for page in (
        b"<html><head>" + b"<div " + b"a" * 200_000 + b"=" + b'"' * 3,
        b"\x00" * 5000 + b"<head>\x00</head>\x00",
        b"<" * 10_000,
        b"<head>" * 5000,
        b"<html><head><title>" + b"x" * 1_000_000,
    ):
        out = attach_html(page, [declaration()])
        inserted(page, out)


# -- files ----------------------------------------------------------------------------------------


def test_attach_file_in_place(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_bytes(PAGE)
    losses = attach_html_file(path, [prohibiting()])
    assert losses
    out = path.read_bytes()
    inserted(PAGE, out)
    attach_html_file(path, [prohibiting()])
    assert path.read_bytes() == out


def test_a_file_that_is_not_html_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "photo.html"
    original = b"\xff\xd8\xff\xe0 a JPEG with the wrong name"
    path.write_bytes(original)
    with pytest.raises(HtmlAttachError, match="not an HTML page"):
        attach_html_file(path, [declaration()])
    assert path.read_bytes() == original


def test_file_symlink_escape_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside.html"
    outside.write_bytes(PAGE)
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").symlink_to(outside)
    with pytest.raises(UnsafeTargetError):
        attach_html_file(site / "index.html", [declaration()])
    assert outside.read_bytes() == PAGE


def test_injected_failure_leaves_the_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "page.html"
    path.write_bytes(PAGE)

    def fail(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(safe_write.os, "fsync", fail)
    with pytest.raises(SafeWriteError):
        attach_html_file(path, [declaration()])
    assert path.read_bytes() == PAGE
    assert [p.name for p in tmp_path.iterdir()] == ["page.html"]
