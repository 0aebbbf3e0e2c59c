"""RFC 9309 path patterns: the RFC's examples, and no runaway time on hostile patterns."""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aiconsent.formats.patterns import matches


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("/fish", "/fish", True),
        ("/fish", "/fish.html", True),
        ("/fish", "/Fish.asp", False),
        ("/fish*", "/fishheads/yummy.html", True),
        ("/fish/", "/fish", False),
        ("/*.php", "/folder/filename.php?parameters", True),
        ("/*.php$", "/filename.php?parameters", False),
        ("/*.php$", "/filename.php", True),
        ("/fish*.php", "/fishheads/catfish.php?parameters", True),
        ("/fish*.php", "/Fish.PHP", False),
        ("/", "/anything", True),
        ("/$", "/", True),
        ("/$", "/a", False),
        ("", "/", False),
        ("/%7Ejoe", "/~joe/index.html", True),
    ],
)
def test_rfc_9309_examples(pattern: str, path: str, expected: bool) -> None:
    """The matching examples of RFC 9309 and Google's robots.txt documentation."""
    assert matches(pattern, path) is expected


def test_hostile_pattern_is_linear() -> None:
    """Many wildcards against a long path: finished in milliseconds, not minutes."""
    start = time.perf_counter()
    assert not matches("/*a*a*a*a*a*a*a*a*b", "/" + "a" * 100_000)
    assert time.perf_counter() - start < 1.0


def _reference(pattern: str, path: str) -> bool:
    anchored = pattern.endswith("$")
    body = pattern[:-1] if anchored else pattern
    regex = ".*".join(re.escape(part) for part in body.split("*")) + ("$" if anchored else "")
    return re.match(regex, path, re.DOTALL) is not None


@given(
    st.text(alphabet="/ab*$", min_size=1, max_size=8).map(
        lambda t: "/" + t.replace("$", "") + ("$" if "$" in t else "")
    ),
    st.text(alphabet="/ab", max_size=12).map(lambda t: "/" + t),
)
def test_same_answers_as_a_regular_expression(pattern: str, path: str) -> None:
    """On small inputs the linear matcher agrees with the regex definition."""
    assert matches(pattern, path) == _reference(pattern, path)
