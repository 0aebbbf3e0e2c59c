"""`aiconsent check`: exit codes, output shapes, bad input, policy files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aiconsent.cli.app import app
from documents import EXAMPLES, declaration

AT = ["--at", "2025-01-01T00:00:00Z"]
WITHDRAWN = str(EXAMPLES / "05-explicit-consent-withdrawn.jsonld")


def invoke(*arguments: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(arguments))
    return result.exit_code, result.stdout, result.stderr


def test_real_entry_point_exit_codes() -> None:
    """Through `python -m aiconsent`: allowed 0, denied 1, unknown 3."""

    def code(*flags: str) -> int:
        command = [
            sys.executable,
            "-m",
            "aiconsent",
            "check",
            WITHDRAWN,
            "--purpose",
            "genai-training",
            *flags,
        ]
        return subprocess.run(command, capture_output=True, timeout=120).returncode

    assert code("--at", "2024-01-01T00:00:00Z") == 0
    assert code(*AT) == 1
    assert code("--at", "2023-01-01T00:00:00Z", "--policy", "signals-only") == 3


def test_text_output_names_the_rule_the_file_and_the_declaration() -> None:
    """The person reading it learns who withdrew, when, and where that was said."""
    status, out, _ = invoke("check", WITHDRAWN, "--purpose", "genai-training", *AT)
    assert status == 1
    assert "denied: the creator withdrew consent on 2024-11-20" in out
    assert "05-explicit-consent-withdrawn.jsonld, urn:uuid:" in out


def test_json_output_has_the_documented_shape() -> None:
    """--format json: the interfaces.md shape; --explain adds leaves and trace."""
    status, out, _ = invoke(
        "check", WITHDRAWN, "--purpose", "ai-training", *AT, "--format", "json", "--explain"
    )
    document = json.loads(out)
    assert status == 1
    assert {"decision", "purpose", "jurisdiction", "at", "policy", "reasons", "duties"} <= set(
        document
    )
    assert document["at"] == "2025-01-01T00:00:00Z"
    assert set(document["leaves"]) == {"genai-training", "non-generative-training"}
    assert all("decisive" in reason for reason in document["trace"])
    reason = document["reasons"][0]
    assert {"code", "message", "declaration", "source", "carrier"} <= set(reason)


def test_explain_text_shows_overridden_declarations(tmp_path: Path) -> None:
    """--explain lists a party's older declaration as superseded by its newer one."""
    older = declaration(
        id="urn:uuid:0a000000-0000-4000-8000-000000000001", declaredAt="2024-01-01T00:00:00Z"
    )
    newer = declaration(
        id="urn:uuid:0a000000-0000-4000-8000-000000000002",
        declaredAt="2024-06-01T00:00:00Z",
        basis="explicit-consent",
        retroactive=True,
        permission=[{"purpose": "genai-training"}],
        prohibition=None,
    )
    source = tmp_path / "two.jsonl"
    source.write_text(json.dumps(older) + "\n" + json.dumps(newer) + "\n", encoding="utf-8")
    status, out, _ = invoke("check", str(source), "--purpose", "genai-training", *AT, "--explain")
    assert status == 0
    assert "- [superseded]" in out
    assert "* [permitted]" in out


@pytest.mark.parametrize(
    ("flags", "words"),
    [
        (["--purpose", "genai"], "genai"),
        (["--purpose", "search", "--at", "yesterday"], "RFC 3339"),
        (["--purpose", "search", "--at", "2025-01-01T00:00:00"], "time zone"),
        (["--purpose", "search", "--jurisdiction", "EU"], "group"),
        (["--purpose", "search", "--jurisdiction", "Germany"], "alpha-2"),
        (["--purpose", "search", "--policy", "lenient"], "lenient"),
        (["--purpose", "search", "--use-type", "personal"], "personal"),
    ],
)
def test_usage_errors_exit_2(flags: list[str], words: str) -> None:
    """Bad arguments: exit 2 and a message saying what is wrong."""
    status, out, err = invoke("check", WITHDRAWN, *flags)
    assert status == 2
    assert words in out + err


def test_missing_file_exits_2() -> None:
    """A SOURCE that does not exist is an input error."""
    status, _, err = invoke("check", "no-such-file.jsonld", "--purpose", "search")
    assert status == 2
    assert "no such file" in err


def test_invalid_policy_file_exits_2(tmp_path: Path) -> None:
    """A policy file that is not a valid EvaluationPolicy stops the check (spec §6.4 step 10)."""
    policy = tmp_path / "policy.json"
    policy.write_text(
        '{"type": "EvaluationPolicy", "name": "x", "unknownBecomes": "maybe"}', encoding="utf-8"
    )
    status, _, err = invoke("check", WITHDRAWN, "--purpose", "search", "--policy", str(policy))
    assert status == 2
    assert "unknownBecomes" in err


def test_unreadable_source_is_never_a_permission(tmp_path: Path) -> None:
    """A broken file next to a valid permission: never allowed, and a warning names it."""
    broken = tmp_path / "broken.jsonld"
    broken.write_text('{"type": "ConsentDeclaration", "id": ', encoding="utf-8")
    good = str(EXAMPLES / "04-artist-explicit-opt-in-with-duties.jsonld")
    for policy, expected in (("opt-in", 1), ("opt-out", 1), ("signals-only", 3)):
        status, out, err = invoke(
            "check", good, str(broken), "--purpose", "genai-training", *AT, "--policy", policy
        )
        assert status == expected, out
        assert "broken.jsonld" in err
        assert "unreadable" in out


def test_reads_standard_input() -> None:
    """'-' reads the declarations from stdin."""
    document = json.dumps(declaration())
    result = CliRunner().invoke(
        app, ["check", "-", "--purpose", "genai-training", *AT], input=document
    )
    assert result.exit_code == 1
    assert "<stdin>" in result.stdout
