"""Every answer examples/README.md promises is what `aiconsent check` says, through the CLI."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aiconsent.cli.app import app
from documents import EXAMPLES, declaration

ROW = re.compile(
    r"^\| `(?P<file>[^`]+)` \|[^|]*\| `(?P<flags>[^`]+)` \| "
    r"(?P<answer>\w+)[^|]*\| `(?P<reason>[^`]+)` \|"
)
ROWS = [
    match.groupdict()
    for line in (EXAMPLES / "README.md").read_text("utf-8").splitlines()
    if (match := ROW.match(line))
]
EXIT = {"allowed": 0, "denied": 1, "unknown": 3}


def test_every_example_file_has_an_answer() -> None:
    """Each bundled declaration file has at least one asserted answer."""
    asked = {row["file"] for row in ROWS}
    files = {p.name for p in EXAMPLES.iterdir() if p.suffix in {".jsonld", ".jsonl"}}
    assert files <= asked


@pytest.mark.parametrize("row", ROWS, ids=[f"{r['file'][:2]}:{r['flags']}" for r in ROWS])
def test_example_answer(row: dict[str, str]) -> None:
    """Decision, exit code and the deciding reason code are as the README says."""
    arguments = [
        "check",
        str(EXAMPLES / row["file"]),
        *shlex.split(row["flags"]),
        "--format",
        "json",
    ]
    result = CliRunner().invoke(app, arguments)
    output = json.loads(result.stdout)
    assert output["decision"] == row["answer"], output
    assert result.exit_code == EXIT[row["answer"]]
    assert row["reason"] in {reason["code"] for reason in output["reasons"]}, output


def test_policy_file_example_validates_and_decides(tmp_path: Path) -> None:
    """The example policy file is valid, and accepts a publisher's licence that opt-in does not."""
    policy = EXAMPLES / "policies" / "news-publisher-policy.jsonld"
    runner = CliRunner()
    assert runner.invoke(app, ["validate", str(policy)]).exit_code == 0
    licence = declaration(
        declaredBy={"id": "https://news.example/", "role": "publisher"},
        basis="license",
        retroactive=True,
        permission=[{"purpose": "genai-training"}],
        prohibition=None,
    )
    source = tmp_path / "licence.jsonld"
    source.write_text(json.dumps(licence), encoding="utf-8")
    ask = ["check", str(source), "--purpose", "genai-training", "--at", "2025-06-01T00:00:00Z"]
    named = runner.invoke(app, [*ask, "--format", "json"])
    filed = runner.invoke(app, [*ask, "--policy", str(policy), "--format", "json"])
    assert json.loads(named.stdout)["decision"] == "denied"
    assert json.loads(filed.stdout)["decision"] == "allowed"
    assert filed.exit_code == 0
