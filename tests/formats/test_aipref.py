"""IETF aipref Content-Usage (spec §9.2): every label of drafts -01 to -07, strict RFC 9651
parsing, the asymmetric mapping, the writer and its loss report, hostile input."""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.formats.mutations import mutants

from aiconsent.engine import check
from aiconsent.formats.aipref import (
    LABELS,
    aipref_rules,
    combine,
    evidence,
    parse_content_usage,
    read_content_usage,
    read_content_usage_header,
    write_content_usage,
)
from aiconsent.formats.common import PURPOSES, Loss, Origin, evidence_iri
from aiconsent.model.found import ReadResult
from aiconsent.validation.validate import validate_value

DATA = Path(__file__).parent / "data" / "aipref"
PAGE = "https://news.example/article"
LEAVES = (
    "genai-training",
    "non-generative-training",
    "ai-inference",
    "ai-index",
    "search",
)
NOW = datetime(2026, 11, 24, tzinfo=UTC)


# -- helpers shared with the Content-Signal and robots.txt tests ----------------------------


def origin_for(data: bytes = b"", name: str = "response", url: str = PAGE) -> Origin:
    return Origin.for_bytes(data, name, url=url, observed_at=NOW)


def decl(
    number: int,
    *,
    perm: Iterable[str | dict[str, Any]] = (),
    proh: Iterable[str | dict[str, Any]] = (),
    targets: Sequence[dict[str, str]] | None = None,
    at: str = "2025-01-01T00:00:00Z",
    party: str = "https://publisher.example/",
    **extra: Any,
) -> dict[str, Any]:
    """A compact declaration for writer tests (retroactive, from a publisher, unless told)."""

    def rule(item: str | dict[str, Any]) -> dict[str, Any]:
        return {"purpose": item} if isinstance(item, str) else item

    value: dict[str, Any] = {
        "@context": "https://w3id.org/aiconsent/v1",
        "id": f"urn:uuid:00000000-0000-4000-8000-{number:012d}",
        "type": "ConsentDeclaration",
        "target": list(targets or [{"url": PAGE}]),
        "declaredBy": {"id": party, "role": "publisher"},
        "declaredAt": at,
        "retroactive": True,
    }
    if perm:
        value["permission"] = [rule(p) for p in perm]
    if proh:
        value["prohibition"] = [rule(p) for p in proh]
    value.update(extra)
    return value


def answers(items: Iterable[Any], agent: str | None = None) -> dict[str, str]:
    """The decision for every leaf purpose under signals-only (the policy that shows signals)."""
    items = list(items)
    return {
        leaf: check(items, leaf, policy="signals-only", agent=agent, at=NOW).decision
        for leaf in LEAVES
    }


def rules_of(result: ReadResult, kind: str) -> list[dict[str, Any]]:
    return [rule for item in result.found for rule in item.declaration.get(kind, [])]


def purposes_of(result: ReadResult, kind: str) -> set[str]:
    return {rule["purpose"] for rule in rules_of(result, kind)}


def loss_leaves(losses: Iterable[Loss], kinds: Iterable[str] = ("dropped", "lost")) -> set[str]:
    """The purposes a loss report names as not carried."""
    named = set()
    for loss in losses:
        if loss.kind in kinds:
            match = re.match(r"(?:permission|prohibition) of ([a-z-]+)", loss.detail)
            if match:
                named.add(match.group(1))
    return named


def assert_valid(result: ReadResult, carrier: str) -> None:
    for item in result.found:
        assert item.carrier == carrier
        value = item.declaration
        assert value["carrier"] == carrier
        assert value["basis"] == "unspecified"
        if "permission" in value:  # (without permissions the flag means nothing)
            assert value["retroactive"] is True
        assert value["declaredBy"]["role"] == "publisher"
        assert value["evidence"].startswith("data:text/plain;charset=utf-8,")
        report = validate_value(value)
        assert report.errors == 0, [issue.message for issue in report.issues]


# -- labels of every draft -------------------------------------------------------------------

# (label, read n as, read y as): spec §9.2 table
SPEC_TABLE = [
    ("tdm", {"tdm"}, {"tdm"}),
    ("ai", {"ai-training"}, {"ai-training"}),
    ("genai", {"genai-training"}, {"genai-training"}),
    ("inference", {"ai-inference"}, {"ai-inference"}),
    ("all", {"tdm"}, {"tdm"}),
    ("bots", {"tdm"}, {"tdm"}),
    ("train-genai", {"genai-training"}, {"genai-training"}),
    ("ai-use", {"ai-use"}, {"ai-inference"}),
    ("ai-output", {"ai-inference", "search"}, {"ai-inference"}),
    ("train-ai", {"ai-training"}, {"genai-training"}),
    ("search", {"search"}, {"search"}),
]


def test_the_label_table_is_the_spec_table() -> None:
    assert set(LABELS) == {label for label, _, _ in SPEC_TABLE}


@pytest.mark.parametrize(("label", "refused", "granted"), SPEC_TABLE)
def test_every_label_of_every_draft_is_read(
    label: str, refused: set[str], granted: set[str]
) -> None:
    """n → the widest meaning the label had, y → the narrowest (spec §9.1 rule 2)."""
    assert aipref_rules(parse_content_usage(f"{label}=n")) == (
        [],
        sorted(refused, key=PURPOSES.index),
        [],
    )
    assert aipref_rules(parse_content_usage(f"{label}=y")) == (
        sorted(granted, key=PURPOSES.index),
        [],
        [],
    )


def test_train_ai_yes_does_not_grant_non_generative_training() -> None:
    """The trap of §9.2: -06/-07 `train-ai` is generative training only."""
    result = read_content_usage_header("train-ai=y", origin_for())
    decided = answers(result.found)
    assert decided["genai-training"] == "allowed"
    assert decided["non-generative-training"] == "unknown"
    assert check(result.found, "ai-training", policy="signals-only", at=NOW).decision == "unknown"


def test_train_ai_no_refuses_all_training() -> None:
    result = read_content_usage_header("train-ai=n", origin_for())
    decided = answers(result.found)
    assert decided["genai-training"] == decided["non-generative-training"] == "denied"
    assert decided["search"] == "unknown"  # -07 has no hierarchy: search is not implied


def test_ai_output_leaves_search_to_an_explicit_search_label() -> None:
    """-04: search is inside ai-output, so `ai-output=n, search=y` allows search."""
    assert aipref_rules(parse_content_usage("ai-output=n, search=y")) == (
        ["search"],
        ["ai-inference"],
        [],
    )


def test_synonyms_of_different_drafts_combine_most_restrictively() -> None:
    assert aipref_rules(parse_content_usage("ai=y, train-ai=n")) == ([], ["ai-training"], [])
    assert aipref_rules(parse_content_usage("bots=y, train-ai=n")) == (["tdm"], ["ai-training"], [])


# -- the specs' own examples -----------------------------------------------------------------


def sf(name: str) -> bytes:
    return (DATA / name).read_bytes().rstrip(b"\n")


def test_vocab_07_basic() -> None:
    parse = parse_content_usage(sf("vocab-07_ex1_basic.sf.txt"))
    assert parse.preferences == {"train-ai": True, "search": False}
    assert aipref_rules(parse) == (["genai-training"], ["search"], [])


def test_vocab_07_duplicate_keys_last_wins_and_are_not_tokens() -> None:
    """`train-ai=y, train-ai, search=n, search="n"`: the last of each is a Boolean / a String."""
    parse = parse_content_usage(sf("vocab-07_ex2_duplicate-keys.sf.txt"))
    assert parse.ok and parse.preferences == {}
    assert parse.unknown == ("train-ai", "search")
    result = read_content_usage_header(
        sf("vocab-07_ex2_duplicate-keys.sf.txt").decode(), origin_for()
    )
    assert result.found == []
    assert {u.purposes for u in result.unreadable} == {
        frozenset({"genai-training", "non-generative-training", "search"})
    }


def test_vocab_07_parameters_last_wins() -> None:
    parse = parse_content_usage(sf("vocab-07_ex3_params-last-wins.sf.txt"))
    assert parse.preferences == {"train-ai": True} and parse.parameters == {}


def test_vocab_07_trailing_semicolon_is_a_parse_failure() -> None:
    """The draft calls it 'unknown, has parameters'; RFC 9651 says the field does not parse."""
    result = read_content_usage_header(
        sf("vocab-07_ex4_params-trailing-semicolon.sf.txt").decode(), origin_for()
    )
    assert result.found == []
    assert [u.purposes for u in result.unreadable] == [None]  # None: every purpose


def test_vocab_04_bots_and_train_ai() -> None:
    parse = parse_content_usage(sf("legacy_vocab-04_ex1_bots.sf.txt"))
    assert aipref_rules(parse) == (["tdm"], ["ai-training"], [])
    decided = answers(read_content_usage_header("bots=y, train-ai=n", origin_for()).found)
    assert decided == {
        "genai-training": "denied",
        "non-generative-training": "denied",
        "ai-inference": "allowed",  # bots=y: automated processing, inherited (§9.2)
        "ai-index": "allowed",
        "search": "allowed",
    }


def test_vocab_04_duplicates_make_everything_unknown() -> None:
    result = read_content_usage_header(
        sf("legacy_vocab-04_ex2_duplicates.sf.txt").decode(), origin_for()
    )
    assert result.found == []
    assert set().union(*(u.purposes or set() for u in result.unreadable)) == set(LEAVES)
    assert all(v == "unknown" for v in answers(result.unreadable).values())


def test_vocab_03_train_genai() -> None:
    """-03 `train-ai=y, train-genai=n`: generative training refused, the rest not granted."""
    assert aipref_rules(parse_content_usage(sf("legacy_vocab-03_ex1_train-genai.sf.txt"))) == (
        [],
        ["genai-training"],
        [],
    )


@pytest.mark.parametrize(
    "name", ["attach-05_ex1_http-response.http", "legacy_attach-00_ex1_http-response.http"]
)
def test_attach_http_examples(name: str) -> None:
    """`Content-Usage: train-ai=n` (-05) and `ai=n` (attach-00): AI training refused."""
    data = (DATA / name).read_bytes()
    result = read_content_usage(data, origin_for(data, name))
    assert rules_of(result, "prohibition") == [{"purpose": "ai-training"}]
    assert rules_of(result, "permission") == [] and result.unreadable == []
    assert_valid(result, "http-header")
    assert "Content-Usage" in result.found[0].declaration["evidence"]
    for policy in ("opt-in", "opt-out", "signals-only"):
        assert check(result.found, "genai-training", policy=policy, at=NOW).decision == "denied"
    assert check(result.found, "search", policy="signals-only", at=NOW).decision == "unknown"


# -- parsing rules -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        'train-ai="n"',
        "train-ai=?0",
        "train-ai",
        "train-ai=no",
        "train-ai=1",
        "train-ai=(n)",
        "train-ai=:bg==:",
        "train-ai=N",
        "train-ai=1.5",
        "train-ai=@1700000000",
    ],
)
def test_only_the_tokens_y_and_n_count(value: str) -> None:
    result = read_content_usage_header(f"{value}, search=y", origin_for())
    assert rules_of(result, "permission") == [{"purpose": "search"}]
    assert rules_of(result, "prohibition") == []
    assert [u.purposes for u in result.unreadable] == [
        frozenset({"genai-training", "non-generative-training"})
    ]


@pytest.mark.parametrize(
    "value",
    [
        "Train-ai=y",
        "TRAIN-AI=n",
        "train-ai=y;",
        "train-ai=y,",
        "train-ai=y search=n",
        "train-ai=y, \u00e9=n",
        "train-ai=y\x00",
        "=y",
        "train-ai==y",
    ],
)
def test_a_parse_failure_makes_everything_unknown(value: str) -> None:
    result = read_content_usage_header(value, origin_for())
    assert result.found == []
    assert [u.purposes for u in result.unreadable] == [None]  # None: every purpose
    assert all(v == "unknown" for v in answers(result.unreadable).values())
    assert all(
        check(result.unreadable, leaf, policy="opt-out", at=NOW).decision == "denied"
        for leaf in LEAVES
    )


def test_several_field_lines_form_one_dictionary() -> None:
    """RFC 9651 §4.2: lines are joined; a later member wins."""
    assert parse_content_usage(["train-ai=y", "train-ai=n"]).preferences == {"train-ai": False}
    result = read_content_usage_header(["train-ai=y", "search=n"], origin_for())
    assert purposes_of(result, "permission") == {"genai-training"}
    assert purposes_of(result, "prohibition") == {"search"}
    # one broken line breaks the whole field
    assert not parse_content_usage(["train-ai=y", "Search=n"]).ok


def test_duplicates_last_one_wins() -> None:
    assert parse_content_usage("train-ai=n, train-ai=y").preferences == {"train-ai": True}


def test_parameters_are_kept_but_not_interpreted() -> None:
    """CC signals: `train-genai=n;exceptions=cc-cr` is a plain refusal; the parameter is kept."""
    result = read_content_usage_header("train-genai=n;exceptions=cc-cr", origin_for())
    assert rules_of(result, "prohibition") == [{"purpose": "genai-training"}]
    assert {"aipref-parameters": {"train-genai": ";exceptions=cc-cr"}} in result.other
    assert "exceptions%3Dcc-cr" in result.found[0].declaration["evidence"]


def test_unknown_labels_are_ignored_and_noted() -> None:
    result = read_content_usage_header("foo=n, train-ai=n, x.y=?1", origin_for())
    assert rules_of(result, "prohibition") == [{"purpose": "ai-training"}]
    assert {"ignored": {"format": "aipref", "labels": ["foo", "x.y"]}} in result.other
    assert result.unreadable == []


def test_empty_and_absent_fields_say_nothing() -> None:
    assert read_content_usage_header([], origin_for()) == ReadResult()
    assert read_content_usage_header("", origin_for()) == ReadResult()
    assert (
        read_content_usage(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n", origin_for())
        == ReadResult()
    )


def test_most_restrictive_per_category_across_statements() -> None:
    combined = combine(
        [parse_content_usage("train-ai=y, search=y"), parse_content_usage("train-ai=n")]
    )
    assert combined.preferences == {"train-ai": False, "search": True}
    broken = combine([parse_content_usage("train-ai=y"), parse_content_usage("Train-ai=y")])
    assert not broken.ok  # the broken statement still makes everything unreadable in aiconsent
    assert aipref_rules(broken) == ([], [], ["tdm"])


def test_http_message_head_rules() -> None:
    head = b"HTTP/1.1 200 OK\r\ncontent-usage: train-ai=y\r\nContent-Usage: search=n\r\n\r\nbody"
    result = read_content_usage(head, origin_for(head))
    assert purposes_of(result, "permission") == {"genai-training"}
    assert purposes_of(result, "prohibition") == {"search"}
    cut = b"HTTP/1.1 200 OK\r\nContent-Usage: train-ai=y, search=n\r\nContent-Usage: tr"
    result = read_content_usage(cut, origin_for(cut))
    assert rules_of(result, "permission") == []  # a head with no end may be missing lines
    folded = b"HTTP/1.1 200 OK\r\nContent-Usage: train-ai=y,\r\n search=n\r\n\r\n"
    result = read_content_usage(folded, origin_for(folded))
    assert rules_of(result, "permission") == [] and result.unreadable


def test_evidence_encoding_matches_the_common_one() -> None:
    for raw in ["Content-Usage: train-ai=n", 'a%b c\n"d"', "é", "x" * 5000, "~_.-"]:
        assert evidence(raw) == evidence_iri(raw)


# -- writing ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("perm", "proh", "written", "dropped", "lost"),
    [
        (["genai-training"], [], "train-ai=y", set(), set()),
        ([], ["genai-training"], "train-ai=n", set(), set()),
        (["ai-training"], [], "train-ai=y", {"non-generative-training"}, set()),
        (
            ["ai-use"],
            [],
            "train-ai=y",
            {"non-generative-training", "ai-inference", "ai-index"},
            set(),
        ),
        (
            ["tdm"],
            [],
            "train-ai=y, search=y",
            {"non-generative-training", "ai-inference", "ai-index"},
            set(),
        ),
        ([], ["ai-training"], "train-ai=n", set(), {"non-generative-training"}),
        (
            [],
            ["ai-use"],
            "train-ai=n",
            set(),
            {"non-generative-training", "ai-inference", "ai-index"},
        ),
        (
            [],
            ["tdm"],
            "train-ai=n, search=n",
            set(),
            {"non-generative-training", "ai-inference", "ai-index"},
        ),
        (["search"], [], "search=y", set(), set()),
        ([], ["search"], "search=n", set(), set()),
        (
            ["non-generative-training", "ai-inference", "ai-index"],
            [],
            "",
            {"non-generative-training", "ai-inference", "ai-index"},
            set(),
        ),
        (
            [],
            ["non-generative-training", "ai-inference", "ai-index"],
            "",
            set(),
            {"non-generative-training", "ai-inference", "ai-index"},
        ),
        (
            ["genai-training"],
            ["tdm"],
            "train-ai=y, search=n",
            set(),
            {"non-generative-training", "ai-inference", "ai-index"},
        ),
    ],
)
def test_writing_table(
    perm: list[str], proh: list[str], written: str, dropped: set[str], lost: set[str]
) -> None:
    """Spec §9.2 writing table: only -07 `train-ai` and `search`, losses named exactly."""
    result = write_content_usage([decl(1, perm=perm, proh=proh)], at=NOW)
    assert result.text == written
    assert loss_leaves(result.losses, ["dropped"]) == dropped
    assert loss_leaves(result.losses, ["lost"]) == lost
    assert not any(loss.kind == "widened" for loss in result.losses)


def test_agent_rules_cannot_be_written_in_the_field() -> None:
    """A prohibition for some agents is widened to everyone; a permission is dropped."""
    result = write_content_usage(
        [
            decl(1, proh=[{"purpose": "genai-training", "agent": ["GPTBot"]}]),
            decl(2, perm=[{"purpose": "search", "agent": ["Bingbot"]}]),
        ],
        at=NOW,
    )
    assert result.text == "train-ai=n"
    assert [loss.kind for loss in result.losses] == ["widened", "dropped"]


@pytest.mark.parametrize(
    ("extra", "rule", "kind"),
    [
        ({}, {"purpose": "genai-training", "constraint": ["research"]}, "dropped"),
        ({}, {"purpose": "genai-training", "duty": ["attribute"]}, "dropped"),
        ({"jurisdiction": ["EEA"]}, {"purpose": "genai-training"}, "dropped"),
        ({"validUntil": "2099-01-01T00:00:00Z"}, {"purpose": "genai-training"}, "dropped"),
        ({"validFrom": "2099-01-01T00:00:00Z"}, {"purpose": "genai-training"}, "dropped"),
        ({"retroactive": False}, {"purpose": "genai-training"}, "dropped"),
        ({"content": {"minorAtCreation": True}}, {"purpose": "genai-training"}, "dropped"),
        ({"content": {"visibility": "private"}}, {"purpose": "genai-training"}, "dropped"),
        ({"withdrawnAt": "2099-01-01T00:00:00Z"}, {"purpose": "genai-training"}, "dropped"),
    ],
)
def test_conditional_permissions_are_dropped(
    extra: dict[str, Any], rule: dict[str, Any], kind: str
) -> None:
    result = write_content_usage([decl(1, perm=[rule], **extra)], at=NOW)
    assert result.text == ""
    assert [loss.kind for loss in result.losses] == [kind]


@pytest.mark.parametrize(
    "extra",
    [
        {"jurisdiction": ["EEA"]},
        {"validUntil": "2099-01-01T00:00:00Z"},
        {"validFrom": "2099-01-01T00:00:00Z"},
    ],
)
def test_conditional_prohibitions_are_widened(extra: dict[str, Any]) -> None:
    result = write_content_usage([decl(1, proh=["genai-training"], **extra)], at=NOW)
    assert result.text == "train-ai=n"
    assert [loss.kind for loss in result.losses] == ["widened"]
    constrained = write_content_usage(
        [decl(1, proh=[{"purpose": "search", "constraint": ["non-commercial"]}])], at=NOW
    )
    assert constrained.text == "search=n" and constrained.losses[0].kind == "widened"


def test_withdrawn_and_expired_declarations() -> None:
    """A withdrawn permission is an objection; an expired declaration says nothing now."""
    withdrawn = decl(1, perm=["genai-training"], withdrawnAt="2025-06-01T00:00:00Z")
    assert write_content_usage([withdrawn], at=NOW).text == "train-ai=n"
    expired = decl(1, proh=["search"], validUntil="2025-06-01T00:00:00Z")
    result = write_content_usage([expired], at=NOW)
    assert result.text == "" and result.losses[0].kind == "dropped"


def test_newest_declaration_of_a_party_decides_and_refusals_win_across_parties() -> None:
    old = decl(1, proh=["tdm"], at="2024-01-01T00:00:00Z")
    new = decl(2, perm=["genai-training"], at="2025-01-01T00:00:00Z")
    assert write_content_usage([old, new], at=NOW).text == "train-ai=y, search=n"
    other = decl(3, proh=["genai-training"], party="https://creator.example/")
    assert write_content_usage([old, new, other], at=NOW).text == "train-ai=n, search=n"


# -- round trips -------------------------------------------------------------------------------

PURPOSE = st.sampled_from(PURPOSES)
TIMES = st.sampled_from(["2024-01-01T00:00:00Z", "2025-01-01T00:00:00Z", "2025-06-01T00:00:00Z"])
PARTIES = st.sampled_from(["https://a.example/", "https://b.example/"])


@st.composite
def plain_declarations(draw: st.DrawFn, agents: Sequence[str] = ()) -> list[dict[str, Any]]:
    """1-3 declarations with unconditional rules: what a now-only format might carry."""
    values = []
    for number in range(draw(st.integers(1, 3))):
        rules = draw(
            st.lists(
                st.tuples(st.booleans(), PURPOSE, st.sampled_from([(), *([a] for a in agents)])),
                min_size=1,
                max_size=4,
            )
        )
        perm = [{"purpose": p, **({"agent": list(a)} if a else {})} for yes, p, a in rules if yes]
        proh = [
            {"purpose": p, **({"agent": list(a)} if a else {})} for yes, p, a in rules if not yes
        ]
        values.append(decl(number, perm=perm, proh=proh, at=draw(TIMES), party=draw(PARTIES)))
    return values


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plain_declarations())
def test_round_trip(declarations: list[dict[str, Any]]) -> None:
    """write → read gives the same answer for generative training and search, never a
    more permissive one for anything, and the loss report names exactly the other leaves."""
    written = write_content_usage(declarations, at=NOW)
    back = read_content_usage_header(written.text, origin_for()) if written.text else ReadResult()
    assert back.unreadable == []
    before, after = answers(declarations), answers(back.found)
    for leaf in ("genai-training", "search"):
        assert after[leaf] == before[leaf], leaf
    for leaf in LEAVES:
        assert after[leaf] != "allowed" or before[leaf] == "allowed", leaf
    decided = {leaf for leaf in LEAVES if before[leaf] != "unknown"}
    assert loss_leaves(written.losses) == decided - {"genai-training", "search"}


# -- hostile input ---------------------------------------------------------------------------

SEEDS = (
    [p.read_bytes() for p in sorted(DATA.glob("*.sf.txt"))]
    + [
        (DATA / name).read_bytes()
        for name in ("attach-05_ex1_http-response.http", "legacy_attach-00_ex1_http-response.http")
    ]
    + [b"train-ai=y, search=y", b"train-genai=y;exceptions=cc-cr, ai-use=y, bots=y"]
)


def test_hostile_input() -> None:
    """2,000+ mutants: never an exception, quickly, and no permission from damaged bytes."""
    started = time.perf_counter()
    count = 0
    for data in mutants(SEEDS, count=2500):
        count += 1
        parse = parse_content_usage(data)
        granted, _, _ = aipref_rules(parse)
        if b"\x00" in data or not data.isascii():
            assert granted == [], data
        result = read_content_usage(data, origin_for(data))
        head_ended = b"\n\n" in data or b"\r\n\r\n" in data
        if not head_ended or b"\x00" in data.split(b"\n\n")[0]:
            assert rules_of(result, "permission") == [], data
    assert count >= 2000
    assert time.perf_counter() - started < 30


def test_truncated_values_give_no_permission() -> None:
    message = (
        (DATA / "attach-05_ex1_http-response.http")
        .read_bytes()
        .replace(b"train-ai=n", b"train-ai=y, search=y")
    )
    for end in range(len(message)):
        cut = message[:end]
        if b"\n\n" not in cut and b"\r\n\r\n" not in cut:
            assert rules_of(read_content_usage(cut, origin_for(cut)), "permission") == []


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes(data: bytes) -> None:
    parse_content_usage(data)
    read_content_usage(data, origin_for(data))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200), st.lists(st.text(max_size=40), max_size=4))
def test_any_text(value: str, lines: list[str]) -> None:
    result = read_content_usage_header(value, origin_for())
    read_content_usage_header(lines, origin_for())
    if not value.isascii():
        assert rules_of(result, "permission") == []


# -- end to end --------------------------------------------------------------------------------


def test_check_answers_as_the_spec_implies() -> None:
    """`train-ai=y, search=n` from a publisher: allowed only where signals count as stated."""
    result = read_content_usage_header("train-ai=y, search=n", origin_for())
    assert_valid(result, "http-header")
    found = result.found
    assert check(found, "genai-training", policy="signals-only", at=NOW).decision == "allowed"
    assert check(found, "genai-training", policy="opt-out", at=NOW).decision == "allowed"
    # opt-in: a publisher's unspecified-basis permission does not count for possible personal data
    assert check(found, "genai-training", policy="opt-in", at=NOW).decision == "denied"
    assert check(found, "search", policy="signals-only", at=NOW).decision == "denied"
    assert check(found, "ai-training", policy="signals-only", at=NOW).decision == "unknown"
    assert check(found, "ai-training", policy="opt-out", at=NOW).decision == "allowed"
