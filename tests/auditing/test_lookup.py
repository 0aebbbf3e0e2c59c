"""lookup: a creator finds their work by URL or by file, with its declarations and decision."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aiconsent.auditing.lookup import lookup
from aiconsent.auditing.question import AuditError
from aiconsent.cli.app import app
from aiconsent.manifests.layout import empty_row, row_of
from aiconsent.manifests.parquet import write_manifest
from documents import declaration

AT = "2026-01-01T00:00:00Z"
PHOTO = b"\xff\xd8\xff\xe0 a photograph's bytes"
PHOTO_HEX = hashlib.sha256(PHOTO).hexdigest()
PAGE = "https://blog.example/posts/1"


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    """A photo filed by hash (its declaration also names its URL), a page, a pattern, an empty."""
    photo = declaration(
        id="urn:uuid:photo", target=[{"sha256": PHOTO_HEX}, {"url": "https://pics.example/p.jpg"}]
    )
    page = declaration(
        id="urn:uuid:page",
        target=[{"url": PAGE}],
        basis="explicit-consent",
        prohibition=None,
        permission=[{"purpose": "ai-training", "duty": ["attribute"]}],
        retroactive=True,
    )
    site = declaration(
        id="urn:uuid:site",
        target=[{"urlPattern": "https://blog.example/*"}],
        declaredBy={"id": "https://blog.example", "role": "publisher"},
        prohibition=[{"purpose": "ai-inference"}],
    )
    rows = [
        row_of(f"sha256:{PHOTO_HEX}", photo, carrier="xmp", source="d/p.jpg"),
        row_of(PAGE, page, carrier="html", source=PAGE),
        row_of(PAGE, site, carrier="robots-txt", source="https://blog.example/robots.txt"),
        empty_row("https://blog.example/posts/2"),
    ]
    path = tmp_path / "items.parquet"
    write_manifest(rows, path, dataset=None)
    return path


def test_by_url_item_key(manifest: Path) -> None:
    """The URL is an item: its declarations and the reference engine's decision."""
    result = lookup(manifest, url=PAGE, at=AT)
    assert result.found
    [match] = result.items
    assert match.item == PAGE
    assert match.matched_by == ("item",)
    assert {f.declaration["id"] for f in match.found} == {"urn:uuid:page", "urn:uuid:site"}
    assert match.decision["decision"] == "allowed"
    assert match.decision["duties"] == ["attribute"]
    assert match.purposes["genai-training"]["decision"] == "allowed"


def test_by_url_is_normalised(manifest: Path) -> None:
    """Case of scheme and host and the default port do not hide the work."""
    assert lookup(manifest, url="HTTPS://Blog.Example:443/posts/1", at=AT).found


def test_by_url_target_of_a_hashed_item(manifest: Path) -> None:
    """A URL named by a declaration's target finds the item it is filed under."""
    result = lookup(manifest, url="https://pics.example/p.jpg", at=AT)
    [match] = result.items
    assert match.item == f"sha256:{PHOTO_HEX}"
    assert match.matched_by == ("url",)
    assert match.decision["decision"] == "denied"
    assert "prohibited-by-standing-party" in match.decision["reasons"]


def test_by_file(manifest: Path, tmp_path: Path) -> None:
    """A file is found by the SHA-256 of its bytes."""
    photo = tmp_path / "mine.jpg"
    photo.write_bytes(PHOTO)
    result = lookup(manifest, file=photo, at=AT)
    assert [m.item for m in result.items] == [f"sha256:{PHOTO_HEX}"]
    assert result.items[0].matched_by == ("item",)
    assert result.sha256 == PHOTO_HEX


def test_not_in_the_dataset(manifest: Path, tmp_path: Path) -> None:
    """Another file, another URL: not found."""
    other = tmp_path / "other.jpg"
    other.write_bytes(b"something else")
    assert not lookup(manifest, file=other, at=AT).found
    assert not lookup(manifest, url="https://elsewhere.example/", at=AT).found


def test_a_pattern_covers_but_does_not_include(manifest: Path) -> None:
    """A urlPattern that covers the URL is reported, but does not put the URL in the dataset."""
    result = lookup(manifest, url="https://blog.example/drafts/7", at=AT)
    assert not result.found
    assert [f.declaration["id"] for f in result.covering] == ["urn:uuid:site"]


def test_question_is_applied(manifest: Path) -> None:
    """Purposes and policy change the decision shown."""
    result = lookup(manifest, url="https://blog.example/posts/2", at=AT, policy="opt-out")
    assert result.items[0].decision["decision"] == "allowed"
    result = lookup(manifest, url="https://blog.example/posts/2", at=AT)
    assert result.items[0].decision["decision"] == "denied"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"url": "not a url"}, "not an absolute URL"),
        ({"sha256": "xyz"}, "not a SHA-256"),
        ({}, "exactly one"),
        ({"url": PAGE, "sha256": PHOTO_HEX}, "exactly one"),
        ({"file": "missing.jpg"}, "no such file"),
    ],
)
def test_bad_queries(manifest: Path, arguments: dict[str, str], message: str) -> None:
    """Each bad query is an AuditError saying what is wrong."""
    with pytest.raises(AuditError, match=message):
        lookup(manifest, at=AT, **arguments)  # type: ignore[arg-type]


def test_hostile_url_is_data(manifest: Path) -> None:
    """Quotes and SQL in the URL are parameters, never SQL."""
    assert not lookup(manifest, url="https://x.example/'); DROP TABLE t; --", at=AT).found


runner = CliRunner()


def test_cli_found_by_url(manifest: Path) -> None:
    """Exit 0, with the item, its decision and its declarations in words."""
    result = runner.invoke(app, ["lookup", str(manifest), "--url", PAGE, "--at", AT])
    assert result.exit_code == 0, result.output
    assert f"item {PAGE} (matched by item)" in result.stdout
    assert "ALLOWED" in result.stdout
    assert "[html]" in result.stdout


def test_cli_found_by_file_json(manifest: Path, tmp_path: Path) -> None:
    """--format json: the LookupResult document."""
    photo = tmp_path / "mine.jpg"
    photo.write_bytes(PHOTO)
    result = runner.invoke(
        app, ["lookup", str(manifest), "--file", str(photo), "--at", AT, "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["found"] is True
    assert document["query"] == {"sha256": PHOTO_HEX, "url": None}
    assert document["items"][0]["decision"] == "denied"
    assert document["items"][0]["declarations"][0]["carrier"] == "xmp"


def test_cli_not_found(manifest: Path) -> None:
    """Exit 1 when the work is not in the dataset."""
    result = runner.invoke(app, ["lookup", str(manifest), "--url", "https://no.example/"])
    assert result.exit_code == 1
    assert "not in the dataset" in result.stdout


@pytest.mark.parametrize(
    "arguments",
    [
        ["--url", PAGE, "--file", "x.jpg"],
        [],
        ["--url", PAGE, "--at", "soon"],
        ["--url", PAGE, "--policy", "nope"],
        ["--file", "missing.jpg"],
    ],
)
def test_cli_bad_input(manifest: Path, arguments: list[str]) -> None:
    """Exit 2 with a message, never a traceback."""
    result = runner.invoke(app, ["lookup", str(manifest), *arguments])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_cli_missing_manifest(tmp_path: Path) -> None:
    """A missing manifest is named."""
    result = runner.invoke(app, ["lookup", str(tmp_path / "nope.parquet"), "--url", PAGE])
    assert result.exit_code == 2
    assert "nope.parquet: no such file" in result.stderr
