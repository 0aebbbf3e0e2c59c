"""Every bundled example validates with zero errors, and the README lists each of them."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiconsent.validation.validate import validate_file
from documents import EXAMPLES, example_files

FILES = example_files()


def test_there_are_enough_examples() -> None:
    """The issue asks for at least twelve realistic documents."""
    assert len(FILES) >= 12


@pytest.mark.parametrize("path", FILES, ids=[path.name for path in FILES])
def test_example_validates_without_errors(path: Path) -> None:
    """The full validator (every layer) finds no error in the example."""
    report = validate_file(path)
    errors = [issue.to_dict() for issue in report.issues if issue.severity == "error"]
    assert not errors


@pytest.mark.parametrize("path", FILES, ids=[path.name for path in FILES])
def test_example_is_described_in_the_readme(path: Path) -> None:
    """examples/README.md says what each example shows."""
    assert path.name in (EXAMPLES / "README.md").read_text(encoding="utf-8")
