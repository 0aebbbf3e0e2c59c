"""PDF XMP carrier: attach and read back, page content and other metadata untouched, safe
writes, hostile input unreadable (spec §3.4, §9.4, §9.11, §11.3)."""

from __future__ import annotations

import io
import json
import random
import shutil
import subprocess
import zlib
from pathlib import Path
from typing import Any

import pytest

pikepdf = pytest.importorskip("pikepdf")

from aiconsent.carriers import safe_write  # noqa: E402
from aiconsent.carriers.pdf_xmp import (  # noqa: E402
    DECLARATIONS,
    POLICY,
    RESERVATION,
    PdfXmpError,
    attach_pdf,
    read_pdf,
)
from aiconsent.formats.common import Origin  # noqa: E402
from aiconsent.formats.tdmrep import read_pdf_xmp  # noqa: E402

EXAMPLES = Path(__file__).parents[2] / "examples"
TEXT = b"BT /F1 12 Tf 72 700 Td (Hello, world) Tj ET"


def publisher() -> dict[str, Any]:
    value: dict[str, Any] = json.loads(
        (EXAMPLES / "07-news-publisher-tdm-reservation-search-allowed.jsonld").read_text("utf-8")
    )
    return value


def photographer() -> dict[str, Any]:
    value: dict[str, Any] = json.loads(
        (EXAMPLES / "08-photographer-image-search-yes-genai-no.jsonld").read_text("utf-8")
    )
    return value


def make_pdf(*, title: str | None = None, pages: int = 2, compress: bool = False) -> bytes:
    pdf = pikepdf.new()
    font = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont="/Helvetica"
        )
    )
    for number in range(pages):
        pdf.add_blank_page()
        page = pdf.pages[number]
        page.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
        body = TEXT + b" % page " + str(number).encode()
        if compress:
            page.Contents = pdf.make_stream(zlib.compress(body), Filter=pikepdf.Name.FlateDecode)
        else:
            page.Contents = pdf.make_stream(body)
    if title is not None:
        with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
            meta["dc:title"] = title
            meta["dc:creator"] = ["Ada"]
    buffer = io.BytesIO()
    pdf.save(buffer, compress_streams=False)
    return buffer.getvalue()


def page_streams(data: bytes) -> list[bytes]:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        return [bytes(page.obj.Contents.read_raw_bytes()) for page in pdf.pages]


def xmp(data: bytes) -> dict[str, Any]:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        return {key: str(value) for key, value in pdf.open_metadata().items()}


def write(tmp_path: Path, data: bytes, name: str = "doc.pdf") -> Path:
    target = tmp_path / name
    target.write_bytes(data)
    return target


@pytest.mark.parametrize("compress", [False, True])
def test_attach_then_read(tmp_path: Path, compress: bool) -> None:
    original = make_pdf(compress=compress)
    target = write(tmp_path, original)
    losses = attach_pdf(target, [photographer()])
    assert isinstance(losses, list)
    updated = target.read_bytes()
    assert page_streams(updated) == page_streams(original)
    result = read_pdf(target)
    assert not result.unreadable
    ours = [f for f in result.found if f.declaration["id"] == photographer()["id"]]
    assert ours and ours[0].carrier == "xmp"
    assert ours[0].declaration == photographer()
    assert xmp(updated)[RESERVATION] == "1"
    assert xmp(updated)[POLICY] == "https://ingrid-solheim.example.net/licensing"
    assert {"widened", "dropped"} <= {loss.kind for loss in losses}
    assert any(f.declaration.get("evidence", "").find("reservation") >= 0 for f in result.found)


def test_raw_scan_sees_what_was_written(tmp_path: Path) -> None:
    target = write(tmp_path, make_pdf(), "other.pdf")
    attach_pdf(target, [photographer()])
    data = target.read_bytes()
    result = read_pdf_xmp(data, Origin.for_bytes(data, "other.pdf"))
    assert result.found and not result.unreadable


def test_page_count_and_content_unchanged(tmp_path: Path) -> None:
    original = make_pdf(pages=3, compress=True)
    target = write(tmp_path, original)
    attach_pdf(target, [photographer()])
    with pikepdf.open(target) as pdf:
        assert len(pdf.pages) == 3
    assert page_streams(target.read_bytes()) == page_streams(original)


def test_other_metadata_preserved(tmp_path: Path) -> None:
    original = make_pdf(title="Annual report")
    target = write(tmp_path, original)
    before = xmp(original)
    attach_pdf(target, [publisher()])
    after = xmp(target.read_bytes())
    assert {k: v for k, v in after.items() if k in before} == before
    assert "Annual report" in after["{http://purl.org/dc/elements/1.1/}title"]


def test_second_attach_replaces(tmp_path: Path) -> None:
    target = write(tmp_path, make_pdf(title="T"))
    attach_pdf(target, [photographer()])
    attach_pdf(target, [photographer()])
    data = target.read_bytes()
    assert data.count(b"<aic:declarations") == 1
    assert data.count(b"<tdm:reservation") == 1
    losses = attach_pdf(target, [publisher()])
    assert [loss.kind for loss in losses] == ["lost"]
    data = target.read_bytes()
    assert data.count(b"<aic:declarations") == 1
    values = xmp(data)
    assert RESERVATION not in values and POLICY not in values
    assert values[DECLARATIONS].count('"ConsentDeclaration"') == 1
    result = read_pdf(target)
    assert [f.declaration["id"] for f in result.found] == [publisher()["id"]]
    assert "T" in values["{http://purl.org/dc/elements/1.1/}title"]


def test_out_leaves_source(tmp_path: Path) -> None:
    original = make_pdf()
    source = write(tmp_path, original)
    out = tmp_path / "out.pdf"
    attach_pdf(source, [publisher()], out=out)
    assert source.read_bytes() == original
    assert read_pdf(out).found


def test_refuses_non_pdf(tmp_path: Path) -> None:
    target = write(tmp_path, b"\x89PNG\r\n\x1a\nnot a pdf")
    with pytest.raises(PdfXmpError):
        attach_pdf(target, [publisher()])
    assert target.read_bytes() == b"\x89PNG\r\n\x1a\nnot a pdf"


def test_refuses_invalid_declarations(tmp_path: Path) -> None:
    original = make_pdf()
    target = write(tmp_path, original)
    with pytest.raises(PdfXmpError):
        attach_pdf(target, [{"type": "ConsentDeclaration"}])
    with pytest.raises(PdfXmpError):
        attach_pdf(target, [])
    assert target.read_bytes() == original


def test_failure_leaves_original(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    original = make_pdf(title="T")
    target = write(tmp_path, original)

    def broken(descriptor: int) -> None:
        raise OSError(5, "injected failure")

    monkeypatch.setattr(safe_write.os, "fsync", broken)
    with pytest.raises(PdfXmpError):
        attach_pdf(target, [publisher()])
    assert target.read_bytes() == original
    assert [item.name for item in tmp_path.iterdir()] == ["doc.pdf"]


def test_symlink_out_of_folder_refused(tmp_path: Path) -> None:
    inner = tmp_path / "inner"
    inner.mkdir()
    elsewhere = write(tmp_path, make_pdf(), "elsewhere.pdf")
    link = inner / "link.pdf"
    link.symlink_to(elsewhere)
    with pytest.raises(ValueError):
        attach_pdf(link, [publisher()])


def test_encrypted_refused_and_unreadable(tmp_path: Path) -> None:
    pdf = pikepdf.open(io.BytesIO(make_pdf(title="T")))
    buffer = io.BytesIO()
    pdf.save(buffer, encryption=pikepdf.Encryption(owner="o", user="secret"))
    data = buffer.getvalue()
    target = write(tmp_path, data)
    with pytest.raises(PdfXmpError):
        attach_pdf(target, [publisher()])
    assert target.read_bytes() == data
    result = read_pdf(data)
    assert result.unreadable and not result.found


BOMB = (
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
    b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" '
    b'xmlns:tdm="http://www.w3.org/ns/tdmrep/"><tdm:reservation>0</tdm:reservation>'
    b"<tdm:policy>&c;</tdm:policy></rdf:Description></rdf:RDF></x:xmpmeta>"
)


def with_metadata(packet: bytes, **extra: Any) -> bytes:
    pdf = pikepdf.open(io.BytesIO(make_pdf()))
    pdf.Root.Metadata = pdf.make_stream(packet, Type=pikepdf.Name.Metadata, **extra)
    buffer = io.BytesIO()
    pdf.save(buffer, compress_streams=False)
    return buffer.getvalue()


def hostile() -> list[bytes]:
    good = make_pdf(title="T")
    return [
        good[: len(good) // 2],
        good[:20],
        b"%PDF-1.7\n" + random.Random(5).randbytes(2000),
        b"%PDF-",
        b"not a pdf at all",
        b"",
        with_metadata(BOMB),
        with_metadata(zlib.compress(BOMB), Filter=pikepdf.Name.FlateDecode),
        with_metadata(zlib.compress(b"\0" * 50_000_000), Filter=pikepdf.Name.FlateDecode),
        with_metadata(b"<x:xmpmeta xmlns:x='adobe:ns:meta/'><unclosed"),
        with_metadata(
            b"<?xpacket?><aic:declarations xmlns:aic='https://w3id.org/aiconsent#'>"
            b'{"permission": []}</aic:declarations>'
        ),
    ]


@pytest.mark.parametrize("index", range(11))
def test_hostile_never_raises_never_grants(index: int) -> None:
    data = hostile()[index]
    result = read_pdf(data, "hostile.pdf")
    assert not any(f.declaration.get("permission") for f in result.found)


def test_entity_bomb_unreadable_and_attach_refused(tmp_path: Path) -> None:
    data = with_metadata(BOMB)
    assert read_pdf(data).unreadable
    target = write(tmp_path, data)
    with pytest.raises(PdfXmpError):
        attach_pdf(target, [publisher()])
    assert target.read_bytes() == data


def test_reservation_written_as_tdm_values(tmp_path: Path) -> None:
    target = write(tmp_path, make_pdf())
    attach_pdf(target, [photographer()])
    values = xmp(target.read_bytes())
    assert values.get(RESERVATION) in {"0", "1", None}
    assert POLICY not in values or values[POLICY].startswith("http")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        attach_pdf(tmp_path / "nope.pdf", [publisher()])
    assert read_pdf(tmp_path / "nope.pdf").unreadable


def test_compressed_metadata_is_read(tmp_path: Path) -> None:
    target = write(tmp_path, make_pdf(title="T"))
    attach_pdf(target, [photographer()])
    with pikepdf.open(target) as pdf:
        packet = bytes(pdf.Root.Metadata.read_bytes())
    data = with_metadata(zlib.compress(packet), Filter=pikepdf.Name.FlateDecode)
    result = read_pdf(data)
    assert not result.unreadable
    assert photographer()["id"] in [f.declaration["id"] for f in result.found]
    assert any("evidence" in f.declaration for f in result.found)  # the tdm:reservation


def test_hash_namespace_reservation_replaced(tmp_path: Path) -> None:
    packet = (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" '
        b'xmlns:tdm="http://www.w3.org/ns/tdmrep#"><tdm:reservation>0</tdm:reservation>'
        b"</rdf:Description></rdf:RDF></x:xmpmeta>"
    )
    target = write(tmp_path, with_metadata(packet))
    attach_pdf(target, [photographer()])
    data = target.read_bytes()
    assert b"reservation>0<" not in data
    assert not read_pdf(data).unreadable


# --------------------------------------------------------------------------- signed PDFs


def signed_pdf(kind: str) -> bytes:
    """A PDF shaped like a signed one (a signature field with a value, or DocMDP /Perms)."""
    pdf = pikepdf.open(io.BytesIO(make_pdf()))
    signature = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Sig,
            Filter=pikepdf.Name("/Adobe.PPKLite"),
            ByteRange=pikepdf.Array([0, 10, 20, 30]),
            Contents=pikepdf.String(b"\x00" * 32),
        )
    )
    if kind == "perms":
        pdf.Root.Perms = pikepdf.Dictionary(DocMDP=signature)
    else:
        field = pdf.make_indirect(
            pikepdf.Dictionary(FT=pikepdf.Name.Sig, T=pikepdf.String("Signature1"), V=signature)
        )
        flags = 3 if kind == "sigflags" else 0
        parent = pikepdf.Dictionary(T=pikepdf.String("group"), Kids=pikepdf.Array([field]))
        fields = [field] if kind == "sigflags" else [pdf.make_indirect(parent)]
        pdf.Root.AcroForm = pikepdf.Dictionary(Fields=pikepdf.Array(fields), SigFlags=flags)
    buffer = io.BytesIO()
    pdf.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("kind", ["sigflags", "nested-field", "perms"])
def test_a_signed_pdf_is_refused_and_left_byte_identical(tmp_path: Path, kind: str) -> None:
    data = signed_pdf(kind)
    target = write(tmp_path, data)
    with pytest.raises(PdfXmpError, match="signed"):
        attach_pdf(target, [publisher()])
    assert target.read_bytes() == data
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name]


def test_an_unsigned_signature_field_does_not_block(tmp_path: Path) -> None:
    pdf = pikepdf.open(io.BytesIO(make_pdf()))
    empty = pdf.make_indirect(pikepdf.Dictionary(FT=pikepdf.Name.Sig, T=pikepdf.String("s")))
    pdf.Root.AcroForm = pikepdf.Dictionary(Fields=pikepdf.Array([empty]))
    buffer = io.BytesIO()
    pdf.save(buffer)
    target = write(tmp_path, buffer.getvalue())
    attach_pdf(target, [publisher()])
    assert xmp(target.read_bytes())


@pytest.mark.skipif(shutil.which("exiftool") is None, reason="exiftool is not installed")
def test_exiftool_reads_back_the_declaration_and_tdmrep(tmp_path: Path) -> None:
    """An independent XMP reader sees our aic:declarations and TDMRep values in the PDF."""
    target = write(tmp_path, make_pdf())
    attach_pdf(target, [photographer()])
    config = Path(__file__).parent / "data" / "exiftool-aic.config"
    printed = subprocess.run(
        ["exiftool", "-config", str(config), "-j", "-XMP-aic:all", "-XMP-tdm:all", str(target)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    row = json.loads(printed)[0]
    assert json.loads(row["Declarations"]) == photographer()
    assert row["Reservation"] == 1
