"""`aiconsent manifest build` on the command line: summaries, exit codes, no half-written files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aiconsent.carriers.image_xmp import attach_image
from aiconsent.cli.app import app
from aiconsent.manifests.parquet import iter_items
from documents import EXAMPLES, declaration

CARRIER_DATA = Path(__file__).resolve().parents[1] / "carriers" / "data"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    root.mkdir()
    photo = root / "photo.jpg"
    shutil.copy(CARRIER_DATA / "A.jpg", photo)
    attach_image(photo, [declaration()])
    (root / "empty.txt").write_text("nothing", encoding="utf-8")
    return root


def test_build_parquet_with_a_json_summary(folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "m.parquet"
    result = CliRunner().invoke(
        app,
        [
            "manifest",
            "build",
            str(folder),
            str(EXAMPLES / "13-several-posts.jsonl"),
            "--out",
            str(out),
            "--dataset",
            "https://data.example/set",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["format"] == "parquet" and summary["emptyItems"] == 1
    assert summary["carriers"]["xmp"] >= 1 and summary["carriers"]["jsonld"] >= 1
    assert summary["items"] == len(dict(iter_items(out)))


def test_build_jsonl_with_a_text_summary(folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "m.jsonl"
    result = CliRunner().invoke(app, ["manifest", "build", str(folder), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"wrote {out} (jsonl, sha256 ")
    assert "items: 2 (1 with no declaration)" in result.stdout
    assert all(line.startswith('{"@context"') for line in out.read_text().splitlines())


def test_the_progress_bar_goes_to_stderr_only(folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "m.parquet"
    result = CliRunner().invoke(
        app, ["manifest", "build", str(folder), "-o", str(out), "--format", "json", "--progress"]
    )
    assert result.exit_code == 0, result.output
    json.loads(result.stdout)  # nothing but the summary on stdout


@pytest.mark.parametrize(
    "arguments,message",
    [
        (["missing-folder", "--out", "m.parquet"], "no such file or folder"),
        (["data", "--out", "m.txt"], "must end in .parquet or .jsonl"),
        (["data", "--out", "m.parquet", "--dataset", "no iri"], "not an absolute IRI"),
        (["data", "--out", "nowhere/m.parquet"], "does not exist"),
        (["bad.parquet", "--out", "m.parquet"], "not a readable Parquet file"),
    ],
)
def test_bad_input_exits_2_without_a_traceback_or_output(
    arguments: list[str],
    message: str,
    folder: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.parquet").write_text("not parquet", encoding="utf-8")
    result = CliRunner().invoke(app, ["manifest", "build", *arguments])
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert not (tmp_path / "m.parquet").exists() and not (tmp_path / "m.txt").exists()


def test_a_failed_build_keeps_the_existing_manifest(folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "m.parquet"
    out.write_bytes(b"previous manifest")
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"PAR1 truncated")
    result = CliRunner().invoke(app, ["manifest", "build", str(folder), str(bad), "-o", str(out)])
    assert result.exit_code == 2
    assert out.read_bytes() == b"previous manifest"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.parquet", "data", "m.parquet"]
