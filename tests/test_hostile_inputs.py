"""Hostile and broken input gives issues, never a crash, a hang or a network call."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aiconsent.validation.validate import Options, validate_bytes
from documents import declaration

MINIMAL: dict[str, Any] = declaration()


def codes(data: bytes, options: Options | None = None) -> set[str]:
    return {issue.code for issue in validate_bytes(data, "hostile", options or Options()).issues}


def test_ten_thousand_levels_of_nesting() -> None:
    """Deep nesting is reported, not a RecursionError."""
    assert "AIC105" in codes(b"[" * 10_000 + b"]" * 10_000)
    assert "AIC105" in codes(b'{"a":' * 10_000 + b"1" + b"}" * 10_000)


def test_deep_nesting_inside_a_declaration_under_a_foreign_context() -> None:
    """Depth is checked before any JSON-LD processor sees the document."""
    deep: Any = 1
    for _ in range(200):
        deep = {"x": deep}
    document = {
        **MINIMAL,
        "@context": ["https://w3id.org/aiconsent/v1", {"x": "http://e.example/x"}],
        "x": deep,
    }
    assert "AIC105" in codes(json.dumps(document).encode())


def test_remote_context_is_refused_offline() -> None:
    """A context URL outside the package's table is an issue; the network guard proves no fetch."""
    document = {**MINIMAL, "@context": "https://evil.example/context.jsonld"}
    assert "AIC301" in codes(json.dumps(document).encode())


def test_remote_context_nested_in_a_term_definition() -> None:
    """A scoped @context pointing to a remote URL is refused too."""
    document = {
        **MINIMAL,
        "@context": [
            "https://w3id.org/aiconsent/v1",
            {"extra": {"@id": "http://e.example/p", "@context": "https://evil.example/c"}},
        ],
    }
    assert "AIC301" in codes(json.dumps(document).encode())


def test_duplicate_keys_and_huge_numbers() -> None:
    """Repeated keys and numbers that do not fit are errors with pointers."""
    text = b'{"a": 1, "a": 2, "n": 1e400, "m": ' + b"7" * 10_000 + b"}"
    report = validate_bytes(text, "dup")
    found = {(issue.code, issue.path) for issue in report.issues}
    assert {("AIC104", "/a"), ("AIC106", "/n"), ("AIC106", "/m")} <= found


def test_non_utf8_and_utf16() -> None:
    """Bytes that are not UTF-8 are an encoding error, whatever they would decode to."""
    assert codes(b'{"a": "\xff"}') == {"AIC102"}
    assert codes(json.dumps(MINIMAL).encode("utf-16")) == {"AIC102"}


def test_size_limit() -> None:
    """Past the configured limit nothing is parsed."""
    assert codes(json.dumps(MINIMAL).encode(), Options(max_bytes=100)) == {"AIC101"}


def test_ten_megabyte_line_is_read_not_choked_on() -> None:
    """A 10 MB string value is handled within the default limit."""
    document = {**MINIMAL, "junk": "x" * (9 * 1024 * 1024)}
    assert "AIC202" in codes(json.dumps(document).encode())


def test_nul_bytes() -> None:
    """NUL bytes in the text are a JSON syntax error."""
    assert "AIC103" in codes(b'{"a":\x00 1}')


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_arbitrary_bytes_never_crash(data: bytes) -> None:
    """Any bytes at all give a report."""
    validate_bytes(data, "fuzz", Options(layers=("syntax", "schema", "jsonld", "semantic")))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(
        st.sampled_from([*sorted(MINIMAL), "permission", "content", "jurisdiction", "@graph"]),
        json_values,
        max_size=8,
    )
)
def test_mutated_declarations_never_crash(changes: dict[str, Any]) -> None:
    """Declarations with any keys replaced by any JSON value give a report, never an exception."""
    document = {**MINIMAL, **changes}
    validate_bytes(
        json.dumps(document).encode(),
        "mutant",
        Options(layers=("syntax", "schema", "jsonld", "semantic")),
    )
