"""Issues and reports as data: frozen records in a deterministic order, never exceptions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiconsent.validation.codes import LAYERS, Layer, Severity, lookup
from aiconsent.validation.pointer import is_index

_SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
_LAYER_ORDER = {layer: index for index, layer in enumerate(LAYERS)}


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem found in a document: where it is, how bad it is, and what it is."""

    code: str
    message: str
    path: str = ""
    severity: Severity = "error"
    layer: Layer = "syntax"

    @classmethod
    def make(
        cls, code: str, message: str, path: str = "", severity: Severity | None = None
    ) -> Issue:
        """Build an issue whose layer (and default severity) come from the code table."""
        entry = lookup(code)
        return cls(code, message, path, severity or entry.severity, entry.layer)

    def to_dict(self) -> dict[str, str]:
        """The JSON shape documented in interfaces.md."""
        return {
            "severity": self.severity,
            "code": self.code,
            "layer": self.layer,
            "message": self.message,
            "path": self.path,
        }

    def sort_key(self) -> tuple[int, tuple[Any, ...], int, str, str]:
        """Order by layer, then by position in the document, then severity and code."""
        return (
            _LAYER_ORDER[self.layer],
            _pointer_sort_key(self.path),
            _SEVERITY_ORDER[self.severity],
            self.code,
            self.message,
        )


def _pointer_sort_key(pointer: str) -> tuple[Any, ...]:
    parts: list[tuple[int, int | str]] = []
    for token in pointer.split("/")[1:]:
        parts.append((0, int(token)) if is_index(token) else (1, token))
    return tuple(parts)


@dataclass(frozen=True, slots=True)
class FileReport:
    """Every issue found in one input file."""

    path: str
    issues: tuple[Issue, ...] = ()
    documents: int = 0

    @property
    def errors(self) -> int:
        return sum(1 for issue in self.issues if issue.severity == "error")

    @property
    def warnings(self) -> int:
        return sum(1 for issue in self.issues if issue.severity == "warning")

    def is_valid(self, *, strict: bool = False) -> bool:
        """No errors; with strict, no warnings either."""
        return self.errors == 0 and not (strict and self.warnings)

    @property
    def valid(self) -> bool:
        return self.is_valid()

    def to_dict(self, *, strict: bool = False) -> dict[str, Any]:
        return {
            "path": self.path,
            "valid": self.is_valid(strict=strict),
            "issues": [issue.to_dict() for issue in self.issues],
        }


@dataclass(frozen=True, slots=True)
class ValidationReport:
    """The result of validating one or more files."""

    files: tuple[FileReport, ...] = ()
    strict: bool = field(default=False)

    @property
    def valid(self) -> bool:
        return all(report.is_valid(strict=self.strict) for report in self.files)

    @property
    def issues(self) -> tuple[Issue, ...]:
        return tuple(issue for report in self.files for issue in report.issues)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape documented in interfaces.md."""
        return {
            "valid": self.valid,
            "files": [report.to_dict(strict=self.strict) for report in self.files],
        }

    def model_dump(self) -> dict[str, Any]:
        """Alias of to_dict, for callers used to pydantic's name."""
        return self.to_dict()
