"""The command line through its real entry points: exit codes, output shapes, no tracebacks."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from documents import declaration

ROOT = Path(__file__).resolve().parents[1]
VALID = ROOT / "tests" / "vectors" / "valid"


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aiconsent", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


@pytest.fixture
def good(tmp_path: Path) -> Path:
    path = tmp_path / "good.jsonld"
    path.write_text(json.dumps(declaration()), encoding="utf-8")
    return path


@pytest.fixture
def bad(tmp_path: Path) -> Path:
    path = tmp_path / "bad.jsonld"
    path.write_text(
        '{"@context": "https://w3id.org/aiconsent/v1", "id": "urn:uuid:1",\n'
        ' "type": "ConsentDeclaration", "target": [{"url": "https://x.example/"}],\n'
        ' "declaredBy": {"id": "https://x.example/", "role": "creator"},\n'
        ' "declaredAt": "2025-01-01T00:00:00Z",\n'
        ' "prohibition": [{"purpose": "genai-trainng"}]}\n',
        encoding="utf-8",
    )
    return path


def test_valid_file_exits_0(good: Path) -> None:
    """A valid file: exit 0 and a summary line that says valid."""
    result = run("validate", str(good))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().endswith("valid")


def test_invalid_file_exits_1_with_code_and_pointer(bad: Path) -> None:
    """An invalid file: exit 1 and a `file::/pointer: error [CODE] message` line."""
    result = run("validate", str(bad))
    assert result.returncode == 1
    assert f"{bad}::/prohibition/0/purpose: error [AIC204]" in result.stdout
    assert "did you mean 'genai-training'" in result.stdout


def test_json_output_has_the_documented_shape(bad: Path, good: Path) -> None:
    """--format json prints the interfaces.md shape, one document, on stdout."""
    result = run("validate", str(good), str(bad), "--format", "json")
    assert result.returncode == 1
    document = json.loads(result.stdout)
    assert document["valid"] is False
    assert [file["valid"] for file in document["files"]] == [True, False]
    issue = document["files"][1]["issues"][0]
    assert set(issue) == {"severity", "code", "layer", "message", "path"}
    assert issue["layer"] == "schema"


def test_sarif_output_points_at_the_line(bad: Path) -> None:
    """SARIF 2.1.0 with the rule id and the line/column of the bad value."""
    result = run("validate", str(bad), "--format", "sarif")
    assert result.returncode == 1
    sarif = json.loads(result.stdout)
    assert sarif["version"] == "2.1.0"
    (finding,) = sarif["runs"][0]["results"]
    assert finding["ruleId"] == "AIC204"
    region = finding["locations"][0]["physicalLocation"]["region"]
    assert region["startLine"] == 5
    assert region["startColumn"] == 30


def test_missing_file_exits_2_without_traceback(tmp_path: Path) -> None:
    """A missing file is an input error: exit 2, a message naming it, no traceback."""
    missing = tmp_path / "nope.jsonld"
    result = run("validate", str(missing))
    assert result.returncode == 2
    assert str(missing) in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_folder_exits_2(tmp_path: Path) -> None:
    """A folder given as a file is an input error."""
    result = run("validate", str(tmp_path))
    assert result.returncode == 2
    assert "folder" in result.stderr


def test_unknown_option_exits_2(good: Path) -> None:
    """A usage error exits 2."""
    result = run("validate", str(good), "--no-such-option")
    assert result.returncode == 2


def test_unknown_layer_exits_2(good: Path) -> None:
    """A misspelt layer name is a usage error, not a silent skip."""
    result = run("validate", str(good), "--layers", "schema,shacll")
    assert result.returncode == 2
    assert "shacll" in result.stderr


def test_strict_turns_warnings_into_failure(tmp_path: Path) -> None:
    """--strict: a file with only warnings exits 1."""
    path = tmp_path / "warn.jsonld"
    document = declaration(prohibition=[{"purpose": "search"}])
    del document["@context"]  # a missing @context is a warning (AIC304)
    path.write_text(json.dumps(document), encoding="utf-8")
    assert run("validate", str(path)).returncode == 0
    assert run("validate", str(path), "--strict").returncode == 1


def test_console_script_is_installed(good: Path) -> None:
    """The `aiconsent` console script runs the same command."""
    executable = shutil.which("aiconsent")
    if executable is None:
        pytest.skip("console script not on PATH in this environment")
    result = subprocess.run(
        [executable, "validate", str(good)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0


def test_version_option() -> None:
    """--version prints the installed version."""
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("aiconsent ")


def test_input_file_is_never_modified(bad: Path) -> None:
    """Validation reads; it never writes the file it checks."""
    before = bad.read_bytes()
    run("validate", str(bad), "--format", "sarif")
    assert bad.read_bytes() == before
