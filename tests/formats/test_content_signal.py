"""Cloudflare Content Signals (spec §9.3): yes/no per key, the writer, round trips, hostility."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.formats.mutations import mutants
from tests.formats.test_aipref import (
    LEAVES,
    NOW,
    answers,
    assert_valid,
    decl,
    loss_leaves,
    origin_for,
    plain_declarations,
    purposes_of,
    rules_of,
)

from aiconsent.engine import check
from aiconsent.formats.content_signal import (
    KEYS,
    combine,
    parse_content_signal,
    read_content_signal,
    signal_rules,
    write_content_signal,
)
from aiconsent.model.found import ReadResult

DATA = Path(__file__).parent / "data"
ROBOTS = "https://news.example/robots.txt"
CONSTRUCTED = DATA / "robots" / "constructed_content-signal-with-rsl.txt"


def read(text: str | bytes) -> ReadResult:
    data = text.encode() if isinstance(text, str) else text
    return read_content_signal(data, origin_for(data, "robots.txt", ROBOTS))


def test_the_keys_are_those_of_the_draft() -> None:
    """draft-romm-aipref-contentsignals's label table names exactly search, ai-input, ai-train."""
    draft = (DATA / "aipref" / "draft-romm-aipref-contentsignals.md").read_text()
    labels = re.findall(r"^\|[^|]+\| `([a-z-]+)` +\|", draft, re.MULTILINE)
    assert labels == list(KEYS)


@pytest.mark.parametrize(
    ("value", "granted", "refused"),
    [
        ("search=yes, ai-train=no", ["search"], ["ai-training"]),
        ("search=yes, ai-input=yes, ai-train=no", ["search", "ai-inference"], ["ai-training"]),
        ("ai-input=no", [], ["ai-inference"]),
        ("ai-train=yes", ["ai-training"], []),
        ("  search = no ,ai-train=no,", [], ["search", "ai-training"]),
        ("", [], []),
    ],
)
def test_yes_and_no(value: str, granted: list[str], refused: list[str]) -> None:
    """Spec §9.3 table: no → prohibition, yes → permission; an omitted key says nothing."""
    assert signal_rules(parse_content_signal(value)) == (granted, refused, [])


@pytest.mark.parametrize(
    ("value", "unclear"),
    [
        ("search=n", ["search"]),
        ("ai-train=false", ["ai-training"]),
        ("ai-input=conditional", ["ai-inference"]),
        ("ai-train=Yes", ["ai-training"]),
        ("AI-TRAIN=yes", ["ai-training"]),  # a key in other case is not silently ignored
        ("ai-train=", ["ai-training"]),
    ],
)
def test_any_other_value_is_unreadable(value: str, unclear: list[str]) -> None:
    granted, refused, unreadable = signal_rules(parse_content_signal(value))
    assert (granted, refused, unreadable) == ([], [], unclear)
    result = read(
        f"Content-Signal: {value}, search=yes\n"
        if "search" not in value
        else f"Content-Signal: {value}\n"
    )
    assert {u.message.split(":")[0] for u in result.unreadable} == {"Content-Signal"}


def test_a_line_that_is_not_a_list_makes_every_key_unreadable() -> None:
    parse = parse_content_signal("search=yes ai-train=no")
    assert not parse.ok
    assert signal_rules(parse) == ([], [], ["search", "ai-inference", "ai-training"])


def test_unknown_keys_are_ignored_and_noted() -> None:
    result = read("Content-Signal: search-ai=no, use=immediate, ai-train=no\n")
    assert purposes_of(result, "prohibition") == {"ai-training"}
    assert {"ignored": {"format": "content-signal", "keys": ["search-ai", "use"]}} in result.other


def test_several_lines_and_repeated_keys_are_most_restrictive() -> None:
    combined = combine(
        [parse_content_signal("search=yes, ai-train=yes"), parse_content_signal("ai-train=no")]
    )
    assert combined.values == {"search": True, "ai-train": False}
    assert parse_content_signal("ai-train=yes, ai-train=no").values == {"ai-train": False}
    result = read("Content-Signal: ai-train=yes\ncontent-signal: ai-train=no\n")
    assert purposes_of(result, "prohibition") == {"ai-training"}
    assert purposes_of(result, "permission") == set()


def test_constructed_corpus_file() -> None:
    """MANIFEST: `Content-Signal: search=yes, ai-input=yes, ai-train=no`."""
    result = read(CONSTRUCTED.read_bytes())
    assert purposes_of(result, "permission") == {"search", "ai-inference"}
    assert purposes_of(result, "prohibition") == {"ai-training"}
    assert_valid(result, "robots-txt")
    decided = answers(result.found)
    assert decided == {
        "genai-training": "denied",
        "non-generative-training": "denied",
        "ai-inference": "allowed",
        "ai-index": "unknown",
        "search": "allowed",
    }
    assert check(result.found, "genai-training", policy="opt-out", at=NOW).decision == "denied"
    assert check(result.found, "search", policy="opt-in", at=NOW).decision == "denied"


# -- writing -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("perm", "proh", "written", "widened", "dropped", "lost"),
    [
        (["ai-training"], [], "ai-train=yes", set(), set(), set()),
        ([], ["ai-training"], "ai-train=no", set(), set(), set()),
        ([], ["genai-training"], "ai-train=no", {"non-generative-training"}, set(), set()),
        ([], ["non-generative-training"], "ai-train=no", {"genai-training"}, set(), set()),
        (["genai-training"], [], "", set(), {"genai-training"}, set()),
        ([], ["ai-use"], "ai-input=no, ai-train=no", set(), set(), {"ai-index"}),
        ([], ["tdm"], "search=no, ai-input=no, ai-train=no", set(), set(), {"ai-index"}),
        (["tdm"], [], "search=yes, ai-input=yes, ai-train=yes", set(), {"ai-index"}, set()),
        (["search", "ai-inference"], [], "search=yes, ai-input=yes", set(), set(), set()),
        ([], ["ai-index"], "", set(), set(), {"ai-index"}),
        (
            ["genai-training"],
            ["non-generative-training"],
            "",
            set(),
            {"genai-training"},
            {"non-generative-training"},
        ),
    ],
)
def test_writing_rules(
    perm: list[str],
    proh: list[str],
    written: str,
    widened: set[str],
    dropped: set[str],
    lost: set[str],
) -> None:
    """Spec §9.3 writing: ai-training ↔ ai-train; narrower refusals widen, narrower grants drop."""
    result = write_content_signal([decl(1, perm=perm, proh=proh)], at=NOW)
    assert result.text == (f"Content-Signal: {written}\n" if written else "")
    widened_leaves = {
        m.group(1)
        for loss in result.losses
        if loss.kind == "widened"
        for m in [re.search(r"also covers ([a-z-]+)", loss.detail)]
        if m
    }
    assert widened_leaves == widened
    assert loss_leaves(result.losses, ["dropped"]) == dropped
    assert loss_leaves(result.losses, ["lost"]) == lost


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plain_declarations())
def test_round_trip(declarations: list[dict[str, Any]]) -> None:
    """write → read: never more permissive; exact for search, ai-inference, and for training
    where both kinds are decided alike; every leaf not carried exactly is reported."""
    written = write_content_signal(declarations, at=NOW)
    back = read(written.text) if written.text else ReadResult()
    before, after = answers(declarations), answers(back.found)
    for leaf in LEAVES:
        assert after[leaf] != "allowed" or before[leaf] == "allowed", leaf
    for leaf in ("search", "ai-inference"):
        assert after[leaf] == before[leaf]
    training = ("genai-training", "non-generative-training")
    if before[training[0]] == before[training[1]]:
        assert after[training[0]] == after[training[1]] == before[training[0]]
    reported = loss_leaves(written.losses) | {
        m.group(1)
        for loss in written.losses
        if loss.kind == "widened"
        for m in [re.search(r"also covers ([a-z-]+)", loss.detail)]
        if m
    }
    differs = {leaf for leaf in LEAVES if after[leaf] != before[leaf]}
    assert differs <= reported


# -- hostile input ---------------------------------------------------------------------------

SEEDS = [
    CONSTRUCTED.read_bytes(),
    b"Content-Signal: search=yes, ai-train=no\n",
    b"User-Agent: *\nContent-signal: search=yes, ai-input=yes, ai-train=yes\nAllow: /\n",
]


def test_hostile_input() -> None:
    started = time.perf_counter()
    count = 0
    for data in mutants(SEEDS, count=2500):
        count += 1
        result = read(data)
        bad_text = b"\x00" in data
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            bad_text = True
        last_line = data.replace(b"\r", b"\n").split(b"\n")[-1]
        cut_signal = b"content-signal" in last_line.lower() and b"#" not in last_line
        if bad_text or cut_signal:  # damaged, or cut inside a Content-Signal value
            assert rules_of(result, "permission") == [], data
    assert count >= 2000
    assert time.perf_counter() - started < 30


def test_a_line_cut_short_grants_nothing() -> None:
    line = b"Content-Signal: search=yes, ai-input=yes, ai-train=yes\n"
    for end in range(len(line) - 1):
        assert rules_of(read(line[:end]), "permission") == []
    assert purposes_of(read(line), "permission") == {"search", "ai-inference", "ai-training"}


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes(data: bytes) -> None:
    read(data)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_any_text(value: str) -> None:
    parse_content_signal(value)
    read(("Content-Signal: " + value + "\n").encode("utf-8", "surrogatepass"))
