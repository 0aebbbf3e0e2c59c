"""Building manifests from folders of content files and from declaration files."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from aiconsent.carriers.html_page import attach_html_file
from aiconsent.carriers.image_xmp import attach_image
from aiconsent.carriers.sidecar import attach_sidecar
from aiconsent.manifests.build import BuildError, build_manifest
from aiconsent.manifests.jsonl import read_jsonl_manifest
from aiconsent.manifests.layout import declaration_of, entry_of, is_unreadable_row
from aiconsent.manifests.parquet import iter_items, read_metadata
from aiconsent.model.found import Found, Unreadable
from documents import declaration

CARRIER_DATA = Path(__file__).resolve().parents[1] / "carriers" / "data"
PAGE = "<!doctype html><html><head><title>A post</title></head><body><p>Hi</p></body></html>"


def _uuid(n: int) -> str:
    return f"urn:uuid:3f2e1d0c-9b8a-4776-8554-4332211{n:05d}"


def _key(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A dataset folder: a JPEG with XMP, an HTML page, a PNG with a sidecar, a text file."""
    root = tmp_path / "data"
    (root / "img").mkdir(parents=True)
    photo = root / "img" / "photo.jpg"
    shutil.copy(CARRIER_DATA / "A.jpg", photo)
    attach_image(photo, [declaration(id=_uuid(1), target=[{"url": "https://x.example/photo"}])])
    page = root / "page.html"
    page.write_text(PAGE, encoding="utf-8")
    attach_html_file(page, [declaration(id=_uuid(2), prohibition=[{"purpose": "ai-training"}])])
    png = root / "img" / "small.png"
    shutil.copy(CARRIER_DATA / "small.png", png)
    attach_sidecar(
        png, [declaration(id=_uuid(3), prohibition=None, permission=[{"purpose": "search"}])]
    )
    (root / "notes.txt").write_text("nothing to see", encoding="utf-8")
    (root / ".hidden").write_text("skipped", encoding="utf-8")
    outside = tmp_path / "secret.txt"
    outside.write_text("outside", encoding="utf-8")
    (root / "link.txt").symlink_to(outside)
    return root


def _by_item(path: Path) -> dict[str, list[dict[str, Any]]]:
    return dict(iter_items(path))


def test_a_folder_is_read_with_every_carrier(folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "m.parquet"
    summary = build_manifest([folder], out, dataset="https://data.example/set", progress=False)
    rows = _by_item(out)
    photo, page = folder / "img" / "photo.jpg", folder / "page.html"
    png, notes = folder / "img" / "small.png", folder / "notes.txt"
    assert set(rows) == {_key(photo), _key(page), _key(png), _key(notes)}  # no link, no hidden
    found = {
        item: {(r["carrier"], declaration_of(r)["id"]) for r in item_rows if r["declaration_id"]}
        for item, item_rows in rows.items()
    }
    assert ("xmp", _uuid(1)) in found[_key(photo)]
    assert ("html", _uuid(2)) in found[_key(page)]
    assert found[_key(png)] == {("sidecar", _uuid(3))}
    assert rows[_key(notes)] == [{**dict.fromkeys(rows[_key(notes)][0]), "item": _key(notes)}]
    assert summary.items == 4 and summary.empty_items == 1 and summary.unreadable == 0
    assert {"xmp", "html", "sidecar"} <= set(summary.carriers)
    assert summary.sha256 == hashlib.sha256(out.read_bytes()).hexdigest()
    assert read_metadata(out)["aiconsent.dataset"] == "https://data.example/set"


def test_a_damaged_content_file_is_an_unreadable_item(tmp_path: Path) -> None:
    root = tmp_path / "data"
    root.mkdir()
    (root / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe1" + b"\x00garbage" * 20)
    png = root / "a.png"
    shutil.copy(CARRIER_DATA / "small.png", png)
    (root / "a.png.consent.jsonld").write_text('{"not": "a sidecar"', encoding="utf-8")
    out = tmp_path / "m.parquet"
    summary = build_manifest([root], out, progress=False)
    rows = _by_item(out)
    assert summary.unreadable >= 2
    for path in (root / "broken.jpg", png):
        entries = [entry_of(r) for r in rows[_key(path)]]
        assert entries and all(isinstance(e, Unreadable) for e in entries)
        assert all(is_unreadable_row(r) for r in rows[_key(path)])


def test_declaration_files_are_filed_by_target(tmp_path: Path) -> None:
    hexed = "ab" * 32
    lines = [
        declaration(id=_uuid(10), target=[{"url": "https://x.example/a"}]),
        declaration(id=_uuid(11), target=[{"sha256": hexed}, {"url": "https://x.example/c"}]),
        declaration(
            id=_uuid(12),
            target=[{"urlPattern": "https://x.example/a*"}],
            permission=[{"purpose": "search"}],
        ),
        declaration(
            id=_uuid(13),
            target=[{"collection": "https://data.example/set"}],
            permission=[{"purpose": "ai-index"}],
        ),
        declaration(
            id=_uuid(14),
            target=[{"collection": "https://other.example/set"}],
            permission=[{"purpose": "ai-index"}],
        ),
    ]
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(json.dumps(d) for d in lines) + "\n", encoding="utf-8")
    standalone = tmp_path / "more.jsonld"
    standalone.write_text(
        json.dumps(declaration(id=_uuid(15), target=[{"url": "https://x.example/b"}])),
        encoding="utf-8",
    )
    out = tmp_path / "m.parquet"
    build_manifest([source, standalone], out, dataset="https://data.example/set", progress=False)
    rows = _by_item(out)
    ids = {item: [r["declaration_id"] for r in item_rows] for item, item_rows in rows.items()}
    assert set(ids) == {"https://x.example/a", "https://x.example/b", f"sha256:{hexed}"}
    # the pattern matches /a only; the dataset's collection covers all; another collection's
    # permission never counts, its prohibition would (§6.2 rule 1)
    assert sorted(ids["https://x.example/a"]) == [_uuid(n) for n in (10, 12, 13, 14)]
    assert sorted(ids["https://x.example/b"]) == [_uuid(n) for n in (13, 14, 15)]
    assert sorted(ids[f"sha256:{hexed}"]) == [_uuid(n) for n in (11, 12, 13, 14)]
    other = next(r for r in rows["https://x.example/b"] if r["declaration_id"] == _uuid(14))
    assert other["permission"] is None and other["prohibition"] is not None
    assert "permission" not in declaration_of(other)


def test_a_broken_line_marks_every_item(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(
        json.dumps(declaration(id=_uuid(1), target=[{"url": "https://x.example/a"}]))
        + "\n{broken\n"
        + json.dumps(declaration(id=_uuid(2), target=[{"url": "https://x.example/b"}]))
        + "\n",
        encoding="utf-8",
    )
    out = tmp_path / "m.parquet"
    summary = build_manifest([source], out, progress=False)
    assert summary.unreadable == 2
    for item_rows in _by_item(out).values():
        assert sum(is_unreadable_row(r) for r in item_rows) == 1
        marker = entry_of(next(r for r in item_rows if is_unreadable_row(r)))
        assert isinstance(marker, Unreadable) and marker.purposes is None
        assert marker.source == f"{source}:2"


def test_jsonl_output_and_unreadable_lines(folder: Path, tmp_path: Path) -> None:
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe1" + b"\x00garbage" * 20)
    out = tmp_path / "m.jsonl"
    summary = build_manifest([folder], out, progress=False)
    manifest = read_jsonl_manifest(out)
    assert summary.format == "jsonl" and summary.unreadable >= 1
    assert manifest.unreadable  # in JSON Lines a marker concerns every item (§10.4.1)
    assert "every item" in summary.notes[0]
    ids = {f.declaration["id"] for founds in manifest.items.values() for f in founds}
    assert {_uuid(1), _uuid(2), _uuid(3)} <= ids
    assert all(isinstance(f, Found) for fs in manifest.items.values() for f in fs)


def test_a_parquet_manifest_is_a_source(folder: Path, tmp_path: Path) -> None:
    first = tmp_path / "a.parquet"
    build_manifest([folder], first, progress=False)
    second = tmp_path / "b.parquet"
    build_manifest([first], second, progress=False)
    assert _by_item(first).keys() == _by_item(second).keys()
    one = {i: sorted(str(r["declaration_id"]) for r in rs) for i, rs in _by_item(first).items()}
    two = {i: sorted(str(r["declaration_id"]) for r in rs) for i, rs in _by_item(second).items()}
    assert one == two


@pytest.mark.parametrize(
    "sources,out,dataset,message",
    [
        (["missing"], "m.parquet", None, "no such file"),
        ([], "m.parquet", None, "no sources"),
        (["data"], "m.csv", None, "must end in .parquet or .jsonl"),
        (["data"], "m.parquet", "not an iri", "not an absolute IRI"),
        (["data"], "nowhere/m.parquet", None, "does not exist"),
    ],
)
def test_bad_input(
    sources: list[str], out: str, dataset: str | None, message: str, tmp_path: Path
) -> None:
    (tmp_path / "data").mkdir()
    with pytest.raises(BuildError, match=message):
        build_manifest(
            [tmp_path / s for s in sources], tmp_path / out, dataset=dataset, progress=False
        )
    assert not (tmp_path / out).exists()


def test_a_declaration_outside_the_timestamp_range_is_an_unreadable_row(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    early = declaration(id=_uuid(1), declaredAt="0001-01-01T00:00:00+05:00")
    source.write_text(json.dumps(early) + "\n", encoding="utf-8")
    out = tmp_path / "m.parquet"
    summary = build_manifest([source], out, progress=False)
    rows = _by_item(out)["https://x.example/a"]
    assert summary.unreadable == 1 and summary.declarations == 0
    marker = entry_of(rows[0])
    assert isinstance(marker, Unreadable) and "cannot be stored" in marker.message
