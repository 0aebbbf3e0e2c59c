"""`aiconsent audit`: exit codes, JSON and text output, files written, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from aiconsent.cli.app import app
from aiconsent.manifests.layout import empty_row, row_of
from aiconsent.manifests.parquet import write_manifest
from documents import declaration

AT = "2026-01-01T00:00:00Z"
runner = CliRunner()


def _key(letter: str) -> str:
    return "sha256:" + letter * 64


def _consent(letter: str) -> dict[str, object]:
    return declaration(
        id=f"urn:uuid:{letter}",
        target=[{"sha256": letter * 64}],
        basis="explicit-consent",
        prohibition=None,
        permission=[{"purpose": "genai-training"}],
        retroactive=True,
        content={"createdAt": "2019-01-01T00:00:00Z"},
    )


@pytest.fixture
def cleared(tmp_path: Path) -> Path:
    """Every item consented."""
    path = tmp_path / "cleared.parquet"
    rows = [row_of(_key(c), _consent(c), carrier="xmp", source=f"d/{c}.jpg") for c in "ab"]
    write_manifest(rows, path, dataset=None)
    return path


@pytest.fixture
def mixed(tmp_path: Path) -> Path:
    """One consented item, one objection, one with nothing found."""
    hostile = "\x1b[31m<script>alert(1)</script>"
    rows = [
        row_of(_key("a"), _consent("a"), carrier="xmp", source="d/a.jpg"),
        row_of(
            _key("b"),
            declaration(id="urn:uuid:b", target=[{"sha256": "b" * 64}]),
            carrier="sidecar",
            source=f"d/{hostile}.jpg",
        ),
        empty_row(_key("c")),
    ]
    path = tmp_path / "mixed.parquet"
    write_manifest(rows, path, dataset=None)
    return path


def _audit(*arguments: str) -> object:
    return runner.invoke(app, ["audit", *arguments])


def test_exit_0_when_everything_is_allowed(cleared: Path) -> None:
    """Every item allowed: exit 0."""
    result = runner.invoke(app, ["audit", str(cleared), "--purpose", "genai-training", "--at", AT])
    assert result.exit_code == 0, result.output
    assert "allowed" in result.stdout


def test_exit_1_when_something_is_not(mixed: Path) -> None:
    """Some item denied or unknown: exit 1, with a readable table."""
    result = runner.invoke(app, ["audit", str(mixed), "--purpose", "genai-training", "--at", AT])
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    assert any(line.split()[:2] == ["allowed", "1"] for line in lines)
    assert any(line.split()[:2] == ["denied", "2"] for line in lines)
    assert "\x1b" not in result.stdout  # terminal escapes from the manifest are neutralised


def test_signals_only_unknown_is_exit_1(mixed: Path) -> None:
    """unknown items are not cleared either."""
    result = runner.invoke(
        app,
        [
            "audit",
            str(mixed),
            "--purpose",
            "genai-training",
            "--at",
            AT,
            "--policy",
            "signals-only",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 1
    assert json.loads(result.stdout)["decisions"] == {"allowed": 1, "denied": 1, "unknown": 1}


@pytest.mark.parametrize("engine", ["python", "duckdb"])
def test_json_output(mixed: Path, engine: str) -> None:
    """--format json prints the totals document, the same for every engine but its name."""
    result = runner.invoke(
        app,
        [
            "audit",
            str(mixed),
            "--purpose",
            "genai-training",
            "--at",
            AT,
            "--engine",
            engine,
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 1, result.output
    document = json.loads(result.stdout)
    assert document["engine"] == engine
    assert document["items"] == 3
    assert document["decisions"] == {"allowed": 1, "denied": 2, "unknown": 0}
    assert document["byYear"]["2019"]["allowed"] == 1
    assert result.stdout.index('"at"') < result.stdout.index('"byBasis"')  # sorted keys


def test_out_report_and_allowed_files(mixed: Path, tmp_path: Path) -> None:
    """--out writes the JSON totals, --report the HTML, --write-allowed the cleared items."""
    out, report, allowed = tmp_path / "t.json", tmp_path / "r.html", tmp_path / "ok.parquet"
    result = runner.invoke(
        app,
        [
            "audit",
            str(mixed),
            "--purpose",
            "genai-training",
            "--at",
            AT,
            "--out",
            str(out),
            "--report",
            str(report),
            "--write-allowed",
            str(allowed),
            "--title",
            "Harbour photos",
        ],
    )
    assert result.exit_code == 1, result.output
    assert json.loads(out.read_text())["decisions"]["allowed"] == 1
    html = report.read_text()
    assert "<title>Harbour photos</title>" in html
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert pq.read_table(allowed).column("item").to_pylist() == [_key("a")]
    again = runner.invoke(app, ["audit", str(allowed), "--purpose", "genai-training", "--at", AT])
    assert again.exit_code == 0, again.output


def test_several_purposes(cleared: Path) -> None:
    """--purpose repeats; an item must be allowed for each."""
    result = runner.invoke(
        app,
        [
            "audit",
            str(cleared),
            "--purpose",
            "genai-training",
            "--purpose",
            "search",
            "--at",
            AT,
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 1
    assert json.loads(result.stdout)["purposes"] == ["genai-training", "search"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--at", "tomorrow"], "RFC 3339"),
        (["--jurisdiction", "EU"], "group"),
        (["--jurisdiction", "Germany"], "ISO 3166-1"),
        (["--policy", "missing-policy.json"], "missing-policy.json"),
        (["--write-allowed", "ok.csv"], ".parquet or .jsonl"),
        (["--engine", "excel"], "excel"),
        (["--purpose", "world-domination"], "world-domination"),
    ],
)
def test_bad_arguments_exit_2(mixed: Path, arguments: list[str], message: str) -> None:
    """Usage errors: exit 2, a message, no traceback."""
    purpose = [] if "--purpose" in arguments else ["--purpose", "genai-training"]
    result = runner.invoke(app, ["audit", str(mixed), *purpose, *arguments])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_missing_manifest_is_named(tmp_path: Path) -> None:
    """A missing file: exit 2 naming it."""
    missing = tmp_path / "nope.parquet"
    result = runner.invoke(app, ["audit", str(missing), "--purpose", "genai-training"])
    assert result.exit_code == 2
    assert f"{missing}: no such file" in result.stderr


def test_not_a_manifest_is_named(tmp_path: Path) -> None:
    """A file that is not a manifest: exit 2 naming it, and the file is unchanged."""
    path = tmp_path / "notes.txt"
    path.write_text("hello\n")
    result = runner.invoke(app, ["audit", str(path), "--purpose", "genai-training"])
    assert result.exit_code == 2
    assert str(path) in result.stderr
    assert path.read_text() == "hello\n"


def test_unwritable_out_exit_2(mixed: Path, tmp_path: Path) -> None:
    """--out into a missing folder: exit 2."""
    result = runner.invoke(
        app,
        [
            "audit",
            str(mixed),
            "--purpose",
            "genai-training",
            "--out",
            str(tmp_path / "no" / "t.json"),
        ],
    )
    assert result.exit_code == 2
    assert "does not exist" in result.stderr


@pytest.mark.parametrize("engine", ["python", "duckdb"])
def test_progress_bar_counts_what_the_engine_reports(mixed: Path, engine: str) -> None:
    """On a terminal the bar's total is items (python) or manifest rows (duckdb)."""
    from aiconsent.cli.audit_cmd import progress_bar

    with progress_bar(mixed, engine, enabled=False) as advance:
        assert advance is None
    with progress_bar(mixed, engine, enabled=True) as advance:
        assert callable(advance)
        advance(3)
