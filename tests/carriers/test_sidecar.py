"""Sidecars: `NAME.consent.jsonld`, bound to the content by its sha256 (spec §3.4)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from tests.documents import declaration, example_files, nodes_in

from aiconsent.carriers import safe_write
from aiconsent.carriers.safe_write import SafeWriteError, UnsafeTargetError
from aiconsent.carriers.sidecar import (
    SidecarError,
    attach_sidecar,
    read_sidecar,
    sidecar_path,
)

CONTENT = b"\xff\xd8\xff\xe0 not really a photo, but bytes all the same"


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def stripped(value: dict[str, Any]) -> dict[str, Any]:
    """A declaration without what attaching adds: context, carrier, our sha256 target."""
    return {k: v for k, v in value.items() if k not in ("@context", "carrier")}


def example_declarations() -> list[dict[str, Any]]:
    return [
        node
        for path in example_files()
        for node in nodes_in(path)
        if node.get("type") == "ConsentDeclaration"
    ]


@pytest.fixture
def content(tmp_path: Path) -> Path:
    path = tmp_path / "photo.jpg"
    path.write_bytes(CONTENT)
    return path


def test_round_trip(content: Path) -> None:
    """Attach then read gives the same declarations, with our hash added and carrier sidecar."""
    given = [declaration(), declaration(id="urn:uuid:00000000-0000-4000-8000-000000000001")]
    path = attach_sidecar(content, given)
    assert path == content.with_name("photo.jpg.consent.jsonld") == sidecar_path(content)
    result = read_sidecar(content)
    assert result.unreadable == []
    assert [item.carrier for item in result.found] == ["sidecar", "sidecar"]
    for item, original in zip(result.found, given, strict=True):
        expected = stripped(original)
        expected["target"] = [*original["target"], {"sha256": digest(CONTENT)}]
        assert stripped(item.declaration) == expected
        assert item.declaration["carrier"] == "sidecar"
        assert item.source == str(path)


def test_every_example_declaration_round_trips(content: Path) -> None:
    given = example_declarations()
    assert len(given) > 10
    attach_sidecar(content, given)
    result = read_sidecar(content)
    assert result.unreadable == []
    assert len(result.found) == len(given)
    for item, original in zip(result.found, given, strict=True):
        targets = item.declaration["target"]
        assert {"sha256": digest(CONTENT)} in targets
        assert [t for t in targets if t != {"sha256": digest(CONTENT)}] == [
            t for t in original["target"] if t != {"sha256": digest(CONTENT)}
        ]
        assert {k: v for k, v in stripped(item.declaration).items() if k != "target"} == {
            k: v for k, v in stripped(original).items() if k != "target"
        }


def test_an_existing_hash_target_is_kept_not_duplicated(content: Path) -> None:
    value = declaration(target=[{"sha256": digest(CONTENT)}])
    attach_sidecar(content, [value])
    document = json.loads(sidecar_path(content).read_text("utf-8"))
    assert document["@context"] == "https://w3id.org/aiconsent/v1"
    assert document["@graph"][0]["target"] == [{"sha256": digest(CONTENT)}]
    assert "@context" not in document["@graph"][0]


def test_attaching_twice_is_byte_identical(content: Path) -> None:
    given = [declaration()]
    first = attach_sidecar(content, given).read_bytes()
    second = attach_sidecar(content, given).read_bytes()
    assert first == second
    attach_sidecar(content, [declaration(prohibition=[{"purpose": "ai-use"}])])
    replaced = read_sidecar(content)
    assert len(replaced.found) == 1, "a second attach replaces, never adds"
    assert replaced.found[0].declaration["prohibition"] == [{"purpose": "ai-use"}]
    assert sorted(p.name for p in content.parent.iterdir()) == [
        "photo.jpg",
        "photo.jpg.consent.jsonld",
    ]


def test_changed_content_is_reported_not_used(content: Path) -> None:
    """The content changed after attaching: the declarations are unreadable, not permissions."""
    attach_sidecar(content, [declaration(permission=[{"purpose": "ai-use"}], prohibition=None)])
    content.write_bytes(CONTENT + b"edited")
    result = read_sidecar(content)
    assert result.found == []
    assert len(result.unreadable) == 1
    marker = result.unreadable[0]
    assert marker.carrier == "sidecar"
    assert marker.purposes is None, "every purpose: fail closed"
    assert marker.message.startswith("sidecar does not match the content: sha256 ")
    assert digest(CONTENT + b"edited") in marker.message


def test_a_sidecar_moved_to_other_content_is_reported(tmp_path: Path, content: Path) -> None:
    attach_sidecar(content, [declaration()])
    other = tmp_path / "other.jpg"
    other.write_bytes(b"other bytes")
    sidecar_path(other).write_bytes(sidecar_path(content).read_bytes())
    result = read_sidecar(other)
    assert result.found == []
    assert "does not match" in result.unreadable[0].message


def test_a_hand_written_declaration_without_hash_is_not_used(content: Path) -> None:
    document = {
        "@context": "https://w3id.org/aiconsent/v1",
        "@graph": [
            {**declaration(), "target": [{"sha256": digest(CONTENT)}]},
            {**declaration(id="urn:uuid:00000000-0000-4000-8000-000000000002")},
        ],
    }
    sidecar_path(content).write_text(json.dumps(document), "utf-8")
    result = read_sidecar(content)
    assert len(result.found) == 1
    assert len(result.unreadable) == 1
    assert "00000000-0000-4000-8000-000000000002" in result.unreadable[0].message


def test_no_sidecar_reads_as_nothing(content: Path) -> None:
    result = read_sidecar(content)
    assert result.found == [] and result.unreadable == []


def test_a_broken_sidecar_is_unreadable(content: Path) -> None:
    sidecar_path(content).write_bytes(b'{"@context": "https://w3id.org/aiconsent/v1", "id": ')
    result = read_sidecar(content)
    assert result.found == []
    assert result.unreadable and all(m.carrier == "sidecar" for m in result.unreadable)


def test_bad_declarations_are_refused(content: Path) -> None:
    for bad in (
        [],
        [{"type": "DatasetConsent"}],
        ["not an object"],
        [declaration(target="not a list")],
        [declaration(prohibition=[{"purpose": "not-a-purpose"}])],
    ):
        with pytest.raises(SidecarError):
            attach_sidecar(content, bad)  # type: ignore[arg-type]
    assert not sidecar_path(content).exists()


def test_bad_content_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SidecarError):
        attach_sidecar(tmp_path / "missing.jpg", [declaration()])
    with pytest.raises(SidecarError):
        attach_sidecar(tmp_path, [declaration()])
    assert read_sidecar(tmp_path / "missing.jpg").found == []
    sidecar_path(tmp_path / "missing.jpg").write_text("{}", "utf-8")
    with pytest.raises(SidecarError, match="not a regular file"):
        read_sidecar(tmp_path / "missing.jpg")


def test_a_foreign_file_in_the_way_is_not_overwritten(content: Path) -> None:
    foreign = b"my own notes, not JSON"
    sidecar_path(content).write_bytes(foreign)
    with pytest.raises(SidecarError, match="not an aiconsent document"):
        attach_sidecar(content, [declaration()])
    assert sidecar_path(content).read_bytes() == foreign
    sidecar_path(content).write_text('{"@context": "https://schema.org"}', "utf-8")
    with pytest.raises(SidecarError):
        attach_sidecar(content, [declaration()])


def test_a_sidecar_symlink_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "victim.jsonld"
    secret.write_bytes(b'{"@context": "https://w3id.org/aiconsent/v1"}')
    folder = tmp_path / "photos"
    folder.mkdir()
    content = folder / "photo.jpg"
    content.write_bytes(CONTENT)
    sidecar_path(content).symlink_to(secret)
    with pytest.raises(UnsafeTargetError):
        attach_sidecar(content, [declaration()])
    assert secret.read_bytes() == b'{"@context": "https://w3id.org/aiconsent/v1"}'


def test_injected_failure_leaves_the_previous_sidecar(
    content: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    attach_sidecar(content, [declaration()])
    before = sidecar_path(content).read_bytes()

    def fail(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(safe_write.os, "fsync", fail)
    with pytest.raises(SafeWriteError):
        attach_sidecar(content, [declaration(prohibition=[{"purpose": "ai-use"}])])
    assert sidecar_path(content).read_bytes() == before
    assert content.read_bytes() == CONTENT
    assert sorted(p.name for p in content.parent.iterdir()) == [
        "photo.jpg",
        "photo.jpg.consent.jsonld",
    ]


def test_the_caller_s_declarations_are_not_changed(content: Path) -> None:
    given = declaration()
    copy = json.loads(json.dumps(given))
    attach_sidecar(content, [given])
    assert given == copy


# --------------------------------------------------------------------------- validate (AIC515)


def test_validate_accepts_a_sidecar_that_matches(content: Path) -> None:
    from aiconsent import validate

    attach_sidecar(content, [declaration(permission=[{"purpose": "ai-use"}], prohibition=None)])
    report = validate(sidecar_path(content))
    assert [i.code for i in report.files[0].issues if i.code == "AIC515"] == []


def test_validate_reports_a_sidecar_whose_content_changed(content: Path) -> None:
    from aiconsent import validate

    attach_sidecar(content, [declaration(permission=[{"purpose": "ai-use"}], prohibition=None)])
    content.write_bytes(CONTENT + b"edited")
    issues = [i for i in validate(sidecar_path(content)).files[0].issues if i.code == "AIC515"]
    assert [(i.severity, i.path) for i in issues] == [("error", "/@graph/0/target")]
    assert digest(CONTENT + b"edited") in issues[0].message


def test_validate_cli_exits_1_for_a_stale_sidecar(content: Path) -> None:
    from typer.testing import CliRunner

    from aiconsent.cli.app import app

    attach_sidecar(content, [declaration(permission=[{"purpose": "ai-use"}], prohibition=None)])
    content.write_bytes(b"other bytes")
    result = CliRunner().invoke(app, ["validate", str(sidecar_path(content)), "--format", "json"])
    assert result.exit_code == 1
    assert "AIC515" in result.stdout


def test_a_file_named_like_a_sidecar_without_content_is_not_checked(tmp_path: Path) -> None:
    from aiconsent import validate

    lonely = tmp_path / "gone.jpg.consent.jsonld"
    lonely.write_text(json.dumps(declaration()), encoding="utf-8")
    assert all(i.code != "AIC515" for i in validate(lonely).files[0].issues)
