"""JSON Lines manifests (spec §10.4.1): per-item declarations, broken lines, sorted writing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aiconsent.manifests.jsonl import (
    JsonlError,
    iter_jsonl,
    read_jsonl_manifest,
    write_jsonl_manifest,
)
from aiconsent.manifests.layout import V1_CONTEXT
from aiconsent.model.found import Found
from documents import EXAMPLES, declaration


def _line(**changes: object) -> str:
    return json.dumps(declaration(**changes))


def test_the_example_manifest_is_read_by_item() -> None:
    manifest = read_jsonl_manifest(EXAMPLES / "13-several-posts.jsonl")
    assert manifest.unreadable == []
    assert manifest.declarations == manifest.lines
    hashed = [key for key in manifest.items if key.startswith("sha256:")]
    assert hashed and all(len(key) == 7 + 64 for key in hashed)
    for key, founds in manifest.items.items():
        for found in founds:
            assert found.carrier == "jsonld"
            assert found.source is not None and found.source.startswith(str(EXAMPLES))
            assert "@context" not in found.declaration
            assert key.startswith(("sha256:", "https://"))


def test_broken_lines_are_markers_for_every_item(tmp_path: Path) -> None:
    path = tmp_path / "m.jsonl"
    path.write_text(
        "\n".join(
            [
                _line(),
                '{"@context": "https://w3id.org/aiconsent/v1", "id": ',  # does not parse
                _line(id="not an iri"),  # schema error
                json.dumps(
                    {
                        "@context": V1_CONTEXT,
                        "id": "https://d.example/c",
                        "type": "DatasetConsent",
                        "dataset": "https://d.example/",
                        "purposeAssessed": ["genai-training"],
                        "policy": "opt-in",
                    }
                ),
                "",
                "   ",
                _line(target=[{"urlPattern": "https://x.example/a/*"}]),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    manifest = read_jsonl_manifest(path)
    assert list(manifest.items) == ["https://x.example/a"]
    assert len(manifest.unfiled) == 1
    assert [m.source for m in manifest.unreadable] == [f"{path}:2", f"{path}:3", f"{path}:4"]
    assert all(m.purposes is None for m in manifest.unreadable)
    assert "not a ConsentDeclaration" in manifest.unreadable[2].message
    assert manifest.lines == 7


def test_a_line_over_the_limit_is_unreadable_and_the_next_is_read(tmp_path: Path) -> None:
    path = tmp_path / "m.jsonl"
    long_name = "x" * 5000
    path.write_text(
        _line(declaredBy={"id": "https://x.example/u", "role": "creator", "name": long_name})
        + "\n"
        + _line(id="urn:uuid:3f2e1d0c-9b8a-4776-8554-433221100aaa")
        + "\n",
        encoding="utf-8",
    )
    lines = list(iter_jsonl(path, max_line_bytes=1000))
    assert "longer than 1000 bytes" in lines[0].unreadable[0].message
    assert lines[1].found[0].declaration["id"].endswith("0aaa")


def test_a_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(JsonlError, match="no such file"):
        read_jsonl_manifest(tmp_path / "none.jsonl")
    with pytest.raises(JsonlError, match="folder"):
        read_jsonl_manifest(tmp_path)


def test_writing_sorts_lines_and_adds_context_and_carrier(tmp_path: Path) -> None:
    founds = [
        Found(
            declaration(
                id="urn:uuid:3f2e1d0c-9b8a-4776-8554-433221100002",
                target=[{"url": "https://x.example/b"}],
            ),
            "s",
            "html",
        ),
        Found(
            declaration(
                id="urn:uuid:3f2e1d0c-9b8a-4776-8554-433221100003",
                declaredAt="2024-01-01T00:00:00+05:00",
            ),
            "s",
            "xmp",
        ),
        Found(
            declaration(
                id="urn:uuid:3f2e1d0c-9b8a-4776-8554-433221100001",
                declaredAt="2023-12-31T23:00:00-05:00",
            ),
            "s",
            "xmp",
        ),
    ]
    founds.append(founds[0])  # found twice (filed under two items): written once
    out = tmp_path / "out.jsonl"
    assert write_jsonl_manifest(founds, out) == 3
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [line["id"][-1] for line in lines] == ["3", "1", "2"]
    assert all(next(iter(line)) == "@context" for line in lines)
    assert [line["carrier"] for line in lines] == ["xmp", "xmp", "html"]
    again = read_jsonl_manifest(out)
    assert again.unreadable == [] and again.declarations == 3
    assert again.items["https://x.example/a"][0].carrier == "xmp"
