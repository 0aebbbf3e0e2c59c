"""The top-level API is what interfaces.md promises, and nothing is missing from __all__."""

from __future__ import annotations

import importlib

import aiconsent


def test_all_names_resolve() -> None:
    """Every name in __all__ can be imported from the package."""
    for name in aiconsent.__all__:
        assert getattr(aiconsent, name) is not None


def test_validate_and_check_are_exported() -> None:
    """validate, check, read and convert are at the top level, as interfaces.md says."""
    for name in ("validate", "check", "read", "convert"):
        assert name in aiconsent.__all__
        assert callable(getattr(aiconsent, name))


def test_models_are_exported() -> None:
    """The models validate() users build documents with are at the top level."""
    for name in ("ConsentDeclaration", "DatasetConsent"):
        assert name in aiconsent.__all__


def test_unknown_attribute_raises() -> None:
    """A misspelt name is an AttributeError, not a silent None."""
    try:
        aiconsent.valdate  # type: ignore[attr-defined]  # noqa: B018
    except AttributeError:
        return
    raise AssertionError("expected AttributeError")


def test_package_is_typed() -> None:
    """py.typed ships, so type checkers use our annotations."""
    package = importlib.resources.files("aiconsent")
    assert package.joinpath("py.typed").is_file()
