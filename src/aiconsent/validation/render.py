"""Validation reports as text, JSON or SARIF 2.1.0 (strings only; printing is the CLI's job)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

from aiconsent.validation.codes import CODES
from aiconsent.validation.issues import FileReport, ValidationReport
from aiconsent.validation.positions import PositionIndex
from aiconsent.validation.syntax import parse_bytes

SPEC_URL: Final = "https://w3id.org/aiconsent/spec"
_SARIF_LEVELS: Final = {"error": "error", "warning": "warning", "info": "note"}


def render_text(report: ValidationReport) -> str:
    """One line per issue (`file::/pointer: severity [CODE] message`), then a summary line."""
    lines = []
    for file in report.files:
        for issue in file.issues:
            lines.append(
                f"{file.path}::{issue.path or '/'}: {issue.severity} [{issue.code}] {issue.message}"
            )
    errors = sum(file.errors for file in report.files)
    warnings = sum(file.warnings for file in report.files)
    verdict = "valid" if report.valid else "invalid"
    count = len(report.files)
    lines.append(
        f"{_plural(count, 'file')} checked: {_plural(errors, 'error')}, "
        f"{_plural(warnings, 'warning')}: {verdict}"
    )
    return "\n".join(lines) + "\n"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def render_json(report: ValidationReport) -> str:
    """The shape documented in interfaces.md."""
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"


def render_sarif(report: ValidationReport, version: str) -> str:
    """SARIF 2.1.0, with a line and column for each issue so code scanning can show it."""
    used = sorted({issue.code for issue in report.issues})
    rules = [
        {
            "id": code,
            "name": CODES[code].title,
            "shortDescription": {"text": CODES[code].title},
            "defaultConfiguration": {"level": _SARIF_LEVELS[CODES[code].severity]},
            "helpUri": f"{SPEC_URL}#{code.lower()}",
            "properties": {"layer": CODES[code].layer},
        }
        for code in used
    ]
    rule_index = {code: index for index, code in enumerate(used)}
    results: list[dict[str, Any]] = []
    for file in report.files:
        index = _positions(file)
        for issue in file.issues:
            line, column = index.locate(issue.path) if index else (1, 1)
            results.append(
                {
                    "ruleId": issue.code,
                    "ruleIndex": rule_index[issue.code],
                    "level": _SARIF_LEVELS[issue.severity],
                    "message": {"text": issue.message},
                    "locations": [
                        {
                            "physicalLocation": {
                                "artifactLocation": {"uri": Path(file.path).as_posix()},
                                "region": {"startLine": line, "startColumn": column},
                            },
                            "logicalLocations": [
                                {"fullyQualifiedName": issue.path or "/", "kind": "element"}
                            ],
                        }
                    ],
                    "properties": {"layer": issue.layer, "pointer": issue.path},
                }
            )
    sarif = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "aiconsent",
                        "version": version,
                        "informationUri": SPEC_URL,
                        "rules": rules,
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(sarif, indent=2, ensure_ascii=False) + "\n"


def _positions(file: FileReport) -> PositionIndex | None:
    try:
        data = Path(file.path).read_bytes()
    except OSError:
        return None
    parsed = parse_bytes(data, max_bytes=len(data) + 1)
    if parsed.text is None:
        return None
    index = PositionIndex(parsed.text)
    for document in parsed.documents:
        index.add_document(document.offset, document.prefix)
    return index
