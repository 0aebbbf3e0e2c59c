"""Spawning ai.txt reader and writer (spec §9.7): corpus files, the Spawning plugin's grammar,
RFC 9309 group selection and matching, round trips, hostile input, and `check` answers."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.formats.mutations import mutants

from aiconsent.engine import check, prepare
from aiconsent.formats.ai_txt import CARRIER, read_ai_txt, write_ai_txt
from aiconsent.formats.common import Origin
from aiconsent.formats.patterns import matches, path_of
from aiconsent.model.found import ReadResult
from aiconsent.validation.validate import validate_value

DATA = Path(__file__).parent / "data" / "ai_txt"
AI_TXT = "https://site.example/ai.txt"
SITE = "https://site.example"
TRAINING = frozenset({"genai-training", "non-generative-training"})
NOW = datetime(2030, 1, 1, tzinfo=UTC)


def corpus(name: str) -> bytes:
    return (DATA / name).read_bytes()


def read(
    data: bytes | str, item: str | None = None, *, url: str = AI_TXT, **options: Any
) -> ReadResult:
    raw = data.encode() if isinstance(data, str) else data
    origin = Origin.for_bytes(raw, "ai.txt", url=url, target_url=item)
    result = read_ai_txt(raw, origin, **options)
    for found in result.found:
        report = validate_value(found.declaration)
        assert report.errors == 0, [issue.message for issue in report.issues]
        assert found.carrier == CARRIER == found.declaration["carrier"]
        assert found.declaration["declaredBy"] == {"id": url, "role": "publisher"}
        assert found.declaration["basis"] == "unspecified"
        assert found.declaration["retroactive"] is True
    return result


def rules(result: ReadResult, kind: str) -> list[dict[str, Any]]:
    return [rule for found in result.found for rule in found.declaration.get(kind, [])]


def decision_for(data: bytes | str, path: str, **options: Any) -> str | None:
    """What the file says about an item: "disallow", "allow" or None."""
    result = read(data, item=SITE + path, **options)
    if rules(result, "prohibition"):
        return "disallow"
    if rules(result, "permission"):
        return "allow"
    return None


# --------------------------------------------------------------------------- corpus files


def test_minimal_global_opt_out() -> None:
    result = read(corpus("ai.robots.txt_ai.txt"))
    assert len(result.found) == 1 and result.unreadable == []
    value = result.found[0].declaration
    assert value["prohibition"] == [{"purpose": "ai-training"}]
    assert "permission" not in value
    assert value["target"] == [{"urlPattern": "https://site.example/"}]
    for path in ["/", "/a.jpg", "/x/y?z=1", "/index.html"]:
        assert decision_for(corpus("ai.robots.txt_ai.txt"), path) == "disallow"


def test_spawning_generated_file_opts_everything_out() -> None:
    data = corpus("healsdata-ai-training-opt-out_ai.txt")
    result = read(data)
    assert len(result.found) == 1 and result.unreadable == []
    value = result.found[0].declaration
    assert value["prohibition"] == [{"purpose": "ai-training"}]
    assert value["target"] == [{"urlPattern": "https://site.example/"}]  # `/` covers the globs
    for path in ["/a.txt", "/b/c.PNG", "/song.mp3", "/clip.mp4", "/main.py", "/", "/x.unknown"]:
        assert decision_for(data, path) == "disallow", path
    glob_lines = [line for line in data.decode().splitlines() if line.startswith("Disallow: *.")]
    assert len(glob_lines) == 54


def test_corpus_files_identical_to_the_shared_corpus() -> None:
    shared = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "ai-txt"
    if not shared.is_dir():
        pytest.skip("shared corpus not present")
    for path in DATA.iterdir():
        if path.name != "NOTICE.md":
            assert path.read_bytes() == (shared / path.name).read_bytes()


# --------------------------------------------------------------------------- the plugin's files


def _options() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(corpus("spawning-wp-plugin_ai_txt_options.json"))
    return loaded


def plugin_file(allowed: set[str]) -> str:
    """An ai.txt as the Spawning WordPress plugin builds one from its options: every media
    group the site allows gets Allow lines, every other one Disallow lines, then a last line
    for all other paths (Allow when an allowed group has globalFlag); nothing allowed gives
    the global opt-out. Its stray "/" lines are kept."""
    options = _options()
    text = f"{options['pre']}/\n{options['userAgent']}/\n"
    if not allowed:
        return f"{text}{options['globalDisallow']}{options['post']}"
    last = options["disallow"] + "/\n"
    for group in options["options"]:
        prefix = options["allow"] if group["label"] in allowed else options["disallow"]
        for extension in (value.strip() for value in group["value"].split(",")):
            text += prefix + extension + "\n"
        if group["label"] in allowed and group["globalFlag"]:
            last = options["allow"] + "/\n"
    return f"{text}{last}{options['post']}"


def test_every_extension_glob_of_the_plugin_is_read() -> None:
    for group in _options()["options"]:
        for extension in (value.strip() for value in group["value"].split(",")):
            data = f"User-agent: *\nDisallow: {extension}\n"
            assert decision_for(data, "/media/file" + extension[1:]) == "disallow", extension


def test_plugin_file_with_everything_disallowed() -> None:
    data = plugin_file(set())
    assert "Disallow: *\nDisallow: /" in data
    assert decision_for(data, "/anything") == "disallow"


def test_plugin_file_with_some_media_allowed() -> None:
    data = plugin_file({"Images", "Text"})
    assert decision_for(data, "/photo.jpg") == "allow"
    assert decision_for(data, "/post.html") == "allow"
    assert decision_for(data, "/page") == "allow"  # Text's globalFlag: Allow: /
    assert decision_for(data, "/song.mp3") == "disallow"
    assert decision_for(data, "/clip.mp4") == "disallow"
    result = read(data)
    allowed = [f.declaration for f in result.found if "permission" in f.declaration]
    assert len(allowed) == 1 and {"urlPattern": SITE + "/*.jpg"} in allowed[0]["target"]


def test_plugin_file_without_the_global_flag_disallows_the_rest() -> None:
    data = plugin_file({"Images"})
    assert decision_for(data, "/photo.png") == "allow"
    assert decision_for(data, "/page") == "disallow"


def test_extension_in_two_groups_ties_and_allow_wins() -> None:
    """`*.ts` is both Video and Code: with video disallowed and code allowed, RFC 9309's
    tie rule makes MPEG transport streams allowed."""
    data = plugin_file({"Code"})
    assert decision_for(data, "/clip.ts") == "allow"
    assert decision_for(data, "/clip.m2ts") == "disallow"


# --------------------------------------------------------------------------- RFC 9309 semantics


@pytest.mark.parametrize(
    ("lines", "path", "expected"),
    [
        ("Disallow: /\nAllow: /public/", "/public/a", "allow"),
        ("Disallow: /\nAllow: /public/", "/private/a", "disallow"),
        ("Allow: /\nDisallow: /private/", "/private/a", "disallow"),
        ("Allow: /a\nDisallow: /a", "/a", "allow"),
        ("Disallow: /a$", "/a", "disallow"),
        ("Disallow: /a$", "/ab", None),
        ("Disallow: *.jpg", "/x.jpg?size=2", "disallow"),
        ("Disallow: *.jpg$", "/x.jpg?size=2", None),
        ("Disallow:", "/x", None),
        ("Allow: /x", "/y", None),
        ("disallow : /X", "/X", "disallow"),
        ("Disallow: /x # comment", "/x", "disallow"),
        ("Allow: /*\nDisallow: /", "/x", "allow"),
        ("Allow: /\nDisallow: /*", "/x", "disallow"),
    ],
)
def test_longest_match_and_allow_on_a_tie(lines: str, path: str, expected: str | None) -> None:
    assert decision_for(f"User-agent: *\n{lines}\n", path) == expected


AGENTS = "User-agent: *\nAllow: /\n\nUser-agent: GPTBot\nUser-agent: CCBot\nDisallow: /\n"


def test_named_groups_become_agent_scoped_rules() -> None:
    result = read(AGENTS)
    assert rules(result, "prohibition") == [
        {"purpose": "ai-training", "agent": ["GPTBot", "CCBot"]}
    ]
    # a `*` Allow would reach GPTBot too in aiconsent, which RFC 9309 does not do: not read
    assert rules(result, "permission") == []


def test_an_agent_selects_its_group_as_rfc_9309_does() -> None:
    assert decision_for(AGENTS, "/x", agent="gptbot") == "disallow"
    gpt = read(AGENTS, item=SITE + "/x", agent="GPTBot")
    assert rules(gpt, "prohibition") == [{"purpose": "ai-training", "agent": ["GPTBot"]}]
    other = read(AGENTS, item=SITE + "/x", agent="Bytespider")
    assert rules(other, "permission") == [{"purpose": "ai-training"}]
    empty = "User-agent: *\nDisallow: /\n\nUser-agent: Foo\nUser-agent: Bar\n"
    assert decision_for(empty, "/x", agent="foo") is None  # its own group is empty


def test_groups_of_the_same_agent_merge_and_rules_before_a_group_are_ignored() -> None:
    data = (
        "Disallow: /\nUser-agent: A\nDisallow: /a\n"
        "User-agent: B\nAllow: /\nUser-agent: a\nDisallow: /b\n"
    )
    assert decision_for(data, "/a", agent="A") == "disallow"
    assert decision_for(data, "/b", agent="a") == "disallow"
    assert decision_for(data, "/c", agent="A") is None
    assert decision_for(data, "/c", agent="Z") is None  # no `*` group: nothing


def test_user_agent_that_is_not_a_product_token() -> None:
    data = "User-agent: *\nAllow: /\nUser-agent: (compatible; x)\nDisallow: /p/\n"
    result = read(data)
    assert rules(result, "prohibition") == [{"purpose": "ai-training"}]  # widened to everyone
    assert rules(result, "permission") == []
    assert decision_for("User-agent: Googlebot/2.1\nDisallow: /\n", "/", agent="googlebot") == (
        "disallow"
    )


def test_a_rule_that_is_not_a_path_is_unreadable_for_training() -> None:
    result = read("User-agent: *\nDisallow: images/\nDisallow: /private/\n")
    assert [marker.purposes for marker in result.unreadable] == [TRAINING]
    assert rules(result, "prohibition") == [{"purpose": "ai-training"}]


def test_well_known_ai_txt_is_another_format() -> None:
    data = "User-agent: *\nDisallow: /\n"
    result = read(data, url="https://site.example/.well-known/ai.txt")
    assert result.found == [] and result.unreadable == []


@pytest.mark.parametrize(
    "text",
    [
        "# My site\n\nThis site is about cats. AI models may summarise it.\n",
        "Training: no\nInference: yes\n",
        "",
        "\ufeff\n\n# only comments\n",
    ],
)
def test_files_without_robots_groups_say_nothing(text: str) -> None:
    result = read(text)
    assert result.found == [] and result.unreadable == []


def test_bom_and_crlf_line_breaks() -> None:
    data = "\ufeffUser-agent: *\r\nDisallow: /a/\r\nAllow: /b/\r\n".encode()
    assert decision_for(data, "/a/x") == "disallow"
    assert decision_for(data, "/b/x") == "allow"


def test_items_on_other_sites_are_not_covered() -> None:
    result = read("User-agent: *\nDisallow: /\n", item="https://elsewhere.example/x")
    assert result.found == []


def test_a_local_file_gives_bare_patterns() -> None:
    data = b"User-agent: *\nDisallow: *.png\n"
    result = read_ai_txt(data, Origin.for_bytes(data, "ai.txt"))
    value = result.found[0].declaration
    assert value["target"] == [{"urlPattern": "/*.png"}]
    assert value["declaredBy"]["id"].startswith("ni:///sha-256;")
    site = read_ai_txt(data, Origin.for_bytes(data, "ai.txt"), site="https://img.example/x")
    assert site.found[0].declaration["target"] == [{"urlPattern": "https://img.example/*.png"}]


# --------------------------------------------------------------------------- hostile input


@pytest.mark.parametrize(
    "data",
    [
        b"User-agent: *\nAllow: /\x00\n",
        b"User-agent: *\nAllow: /caf\xe9\n",
        b"User-agent: *\nAllow: /\xed\xa0\x80\n",
        b"User-agent: *\nAllow: /\n" + b"\x00" * 10,
    ],
)
def test_binary_or_non_utf8_files_are_unreadable_for_training(data: bytes) -> None:
    result = read(data, item=SITE + "/x")
    assert result.found == []
    assert [marker.purposes for marker in result.unreadable] == [TRAINING]
    assert result.unreadable[0].carrier == CARRIER


def test_oversized_file_is_refused() -> None:
    data = b"User-agent: *\nAllow: /\n" + b"#" * (10 * 1024 * 1024)
    result = read(data)
    assert result.found == [] and "limit" in result.unreadable[0].message


def test_long_file_is_cut_at_500_kib_and_keeps_only_prohibitions() -> None:
    head = b"User-agent: *\nDisallow: /private/\nAllow: /public/\n"
    data = head + b"# filler line\n" * 40_000 + b"Disallow: /late/\n"
    assert decision_for(data, "/private/x") == "disallow"
    assert decision_for(data, "/public/x") is None  # the file was cut: no permission
    assert decision_for(data, "/late/x") is None  # beyond the cut


def test_unterminated_last_line_yields_no_permission() -> None:
    assert decision_for("User-agent: *\nAllow: /pub", "/public/x") is None
    assert decision_for("User-agent: *\nAllow: /pub\nDisallow: /public/", "/pub/x") is None
    assert decision_for("User-agent: *\nDisallow: /pub", "/pub/x") == "disallow"
    assert decision_for("User-agent: *\nAllow: /pub\n# end", "/pub/x") == "allow"


SEEDS = [
    corpus("ai.robots.txt_ai.txt"),
    corpus("healsdata-ai-training-opt-out_ai.txt"),
    plugin_file({"Images", "Text"}).encode(),
    AGENTS.encode(),
]


def test_every_cut_inside_a_line_yields_no_permission() -> None:
    for data in SEEDS:
        for cut in range(1, len(data)):
            if data[cut - 1 : cut] in b"\r\n":
                continue  # a cut at a line end is a complete file
            piece = data[:cut]
            if not piece.rstrip(b"\n").split(b"\n")[-1].split(b"#", 1)[0].strip():
                continue  # inside a comment: no rule was cut
            result = read_ai_txt(piece, Origin.for_bytes(piece, "ai.txt", url=AI_TXT))
            assert rules(result, "permission") == [], piece[-40:]


def test_mutants_never_raise_and_never_permit_from_broken_bytes() -> None:
    started = time.perf_counter()
    count = validated = 0
    for data in mutants(SEEDS, count=2500):
        count += 1
        for item in (None, SITE + "/a.jpg"):
            origin = Origin.for_bytes(data, "m.txt", url=AI_TXT, target_url=item)
            result = read_ai_txt(data, origin)
            if b"\x00" in data or not _utf8(data):
                assert result.found == []
            for found in result.found:
                assert set(found.declaration.get("permission", [{}])[0]) <= {"purpose", "agent"}
                if count % 7 == 0 and validated < 150:  # the validator is slow: a sample
                    validated += 1
                    assert validate_value(found.declaration).errors == 0, found.declaration
    assert count >= 2000 and validated == 150
    assert time.perf_counter() - started < 30


def _utf8(data: bytes) -> bool:
    try:
        data[: 500 * 1024].decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=3000))
def test_arbitrary_bytes_never_raise(data: bytes) -> None:
    read_ai_txt(data, Origin.for_bytes(data, "ai.txt", url=AI_TXT, target_url=SITE + "/x"))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(max_size=40),
            st.sampled_from(["User-agent: *", "User-agent: GPTBot", "Allow: /", "Disallow: *.jpg"]),
        ),
        max_size=12,
    ).map("\n".join)
)
def test_arbitrary_text_never_raises(text: str) -> None:
    data = text.encode("utf-8", "surrogatepass")
    for item in (None, SITE + "/x.jpg"):
        result = read_ai_txt(data, Origin.for_bytes(data, "ai.txt", url=AI_TXT, target_url=item))
        for found in result.found:
            assert validate_value(found.declaration).errors == 0


# --------------------------------------------------------------------------- writing


def declaration(**extra: Any) -> dict[str, Any]:
    value: dict[str, Any] = {
        "@context": "https://w3id.org/aiconsent/v1",
        "id": "urn:uuid:00000000-0000-4000-8000-000000000001",
        "type": "ConsentDeclaration",
        "target": [{"urlPattern": "https://site.example/"}],
        "declaredBy": {"id": "https://site.example/", "role": "publisher"},
        "declaredAt": "2024-01-01T00:00:00Z",
        "retroactive": True,
        "prohibition": [{"purpose": "ai-training"}],
    }
    value.update(extra)
    return {key: item for key, item in value.items() if item is not None}


def details(written: Any) -> list[tuple[str, str]]:
    return [(loss.kind, loss.detail.split(":", 1)[0]) for loss in written.losses]


STANDARD = {("lost", "declaredBy"), ("lost", "declaredAt")}


def test_global_opt_out_is_written_as_spawning_does() -> None:
    written = write_ai_txt([declaration()])
    assert written.text.startswith("# Spawning AI\n")
    assert "User-agent: *\nDisallow: *\nDisallow: /\n" in written.text
    assert set(details(written)) == STANDARD
    result = read(written.text)
    assert rules(result, "prohibition") == [{"purpose": "ai-training"}]
    assert result.found[0].declaration["target"] == [{"urlPattern": SITE + "/"}]


def test_per_pattern_opt_outs_and_exact_urls() -> None:
    written = write_ai_txt(
        [
            declaration(
                target=[{"urlPattern": "/*.jpg"}, {"urlPattern": "https://site.example/x/"}]
            ),
            declaration(id="urn:uuid:2", target=[{"url": "https://site.example/a.html"}]),
        ]
    )
    assert "Disallow: /*.jpg\nDisallow: /x/\nDisallow: /a.html$\n" in written.text
    assert decision_for(written.text, "/a.html") == "disallow"
    assert decision_for(written.text, "/a.html.bak") is None
    assert decision_for(written.text, "/pics/p.jpg") == "disallow"


@pytest.mark.parametrize(
    ("purpose", "kind"),
    [
        ("ai-training", None),
        ("genai-training", ("widened", "purpose")),
        ("non-generative-training", ("widened", "purpose")),
        ("ai-use", ("lost", "purpose")),
        ("tdm", ("lost", "purpose")),
    ],
)
def test_prohibitions_written_as_disallow(purpose: str, kind: tuple[str, str] | None) -> None:
    written = write_ai_txt([declaration(prohibition=[{"purpose": purpose}])])
    assert "Disallow: /" in written.text
    assert set(details(written)) == STANDARD | ({kind} if kind else set())


@pytest.mark.parametrize("purpose", ["ai-inference", "ai-index", "search"])
def test_prohibitions_beyond_training_are_lost(purpose: str) -> None:
    written = write_ai_txt([declaration(prohibition=[{"purpose": purpose}])])
    assert "Disallow:" not in written.text
    assert ("lost", "purpose") in details(written)


def test_permission_of_training_is_written_as_allow() -> None:
    value = declaration(prohibition=None, permission=[{"purpose": "ai-training"}])
    written = write_ai_txt([value])
    assert "User-agent: *\nAllow: /\n" in written.text
    assert set(details(written)) == STANDARD
    assert decision_for(written.text, "/x") == "allow"


@pytest.mark.parametrize(
    ("rule", "extra", "reason"),
    [
        ({"purpose": "genai-training"}, {}, "purpose"),
        ({"purpose": "ai-inference"}, {}, "purpose"),
        ({"purpose": "ai-training", "constraint": ["research"]}, {}, "constraint"),
        (
            {"purpose": "ai-training", "duty": ["attribute"]},
            {"policyUrl": "https://t.example/"},
            "duty",
        ),
        ({"purpose": "ai-training"}, {"jurisdiction": ["EU"]}, "jurisdiction"),
        (
            {"purpose": "ai-training"},
            {"retroactive": False},
            "retroactive false (ai.txt applies to all content)",
        ),
        ({"purpose": "ai-training"}, {"validUntil": "2031-01-01T00:00:00Z"}, "validity period"),
    ],
)
def test_permissions_ai_txt_cannot_carry_are_dropped(
    rule: dict[str, Any], extra: dict[str, Any], reason: str
) -> None:
    written = write_ai_txt([declaration(prohibition=None, permission=[rule], **extra)])
    assert "Allow" not in written.text
    assert ("dropped", reason) in details(written)


def test_permission_of_wider_purpose_keeps_only_training() -> None:
    written = write_ai_txt([declaration(prohibition=None, permission=[{"purpose": "tdm"}])])
    assert "Allow: /" in written.text
    assert ("dropped", "purpose") in details(written)


def test_agents_become_groups_and_rules_for_everyone_are_repeated_in_them() -> None:
    written = write_ai_txt(
        [
            declaration(target=[{"urlPattern": "/private/"}]),
            declaration(
                id="urn:uuid:2", prohibition=[{"purpose": "ai-training", "agent": ["GPTBot"]}]
            ),
            declaration(
                id="urn:uuid:3",
                prohibition=None,
                target=[{"urlPattern": "/open/"}],
                permission=[{"purpose": "ai-training", "agent": ["CCBot"]}],
            ),
        ]
    )
    text = written.text
    assert "User-agent: *\nDisallow: /private/\n" in text
    assert "User-agent: GPTBot\nDisallow: /private/\nDisallow: *\nDisallow: /\n" in text
    assert "User-agent: CCBot\nDisallow: /private/\nAllow: /open/\n" in text
    assert decision_for(text, "/private/x", agent="CCBot") == "disallow"
    assert decision_for(text, "/open/x", agent="CCBot") == "allow"
    assert decision_for(text, "/open/x", agent="Other") is None
    assert decision_for(text, "/open/x", agent="GPTBot") == "disallow"


def test_allow_that_would_override_a_prohibition_is_dropped() -> None:
    written = write_ai_txt(
        [
            declaration(),
            declaration(
                id="urn:uuid:2",
                prohibition=None,
                target=[{"urlPattern": "/open/"}],
                permission=[{"purpose": "ai-training"}],
            ),
        ]
    )
    assert "Allow" not in written.text
    assert ("dropped", "purpose") in details(written)


def test_deeper_permission_of_one_declaration_overrides_its_own_prohibition() -> None:
    value = declaration(
        prohibition=[{"purpose": "ai-use"}], permission=[{"purpose": "ai-training"}]
    )
    written = write_ai_txt([value])
    assert decision_for(written.text, "/x") == "allow"


def test_everything_ai_txt_cannot_carry_is_reported() -> None:
    value = declaration(
        basis="explicit-consent",
        content={"minorAtCreation": True},
        withdrawnAt="2024-02-01T00:00:00Z",
        withdrawalUrl="https://site.example/w",
        evidence="https://site.example/e",
        policyUrl="https://site.example/p",
        permission=[{"purpose": "ai-training"}],
        prohibition=None,
        target=[
            {"sha256": "0" * 64},
            {"urlPattern": "https://other.example/"},
            {"urlPattern": "/"},
        ],
    )
    written = write_ai_txt([value], site=SITE)
    kinds = details(written)
    for expected in [
        ("lost", key)
        for key in (
            "declaredBy",
            "declaredAt",
            "basis",
            "content",
            "withdrawnAt",
            "withdrawalUrl",
            "evidence",
            "policyUrl",
            "target",
        )
    ]:
        assert expected in kinds, expected
    assert kinds.count(("lost", "target")) == 2
    assert "Disallow: *\nDisallow: /" in written.text  # the withdrawal is a prohibition


# --------------------------------------------------------------------------- round trips

_TARGETS = ["/", "/a/", "/a/b.jpg", "/*.jpg", "/*.jpg$", "/c"]
_PATHS = ["/", "/a/", "/a/b.jpg", "/b.jpg", "/c", "/cd", "/a/x.png"]
_AGENT_TOKENS = ["GPTBot", "CCBot"]


@st.composite
def _declarations(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["permission", "prohibition"]))
    agent = draw(st.sampled_from([None, ["GPTBot"], ["CCBot"], ["GPTBot", "CCBot"]]))
    rule: dict[str, Any] = {"purpose": draw(st.sampled_from(["ai-training", "ai-use", "tdm"]))}
    if agent:
        rule["agent"] = agent
    targets = draw(st.lists(st.sampled_from(_TARGETS), min_size=1, max_size=2, unique=True))
    return declaration(
        id=f"urn:uuid:{draw(st.uuids(version=4))}",
        target=[{"urlPattern": SITE + t} for t in targets],
        permission=[rule] if kind == "permission" else None,
        prohibition=[rule] if kind == "prohibition" else None,
    )


def _training_answers(found: Any, agent: str | None) -> dict[str, tuple[str, tuple[str, ...]]]:
    prepared = prepare(found)
    return {
        leaf: (answer.decision, answer.duties)
        for leaf in sorted(TRAINING)
        if (answer := check(prepared, leaf, agent=agent, policy="signals-only", at=NOW))
    }


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_declarations(), min_size=1, max_size=3))
def test_round_trip_never_more_permissive_and_exact_without_loss(
    values: list[dict[str, Any]],
) -> None:
    """For training, per path and agent: the written ai.txt never answers more permissively
    than the declarations (each a different party's), and answers the same when only party,
    time and purposes beyond training were reported lost."""
    values = [
        {**value, "declaredBy": {"id": f"https://p{n}.example/", "role": "publisher"}}
        for n, value in enumerate(values)
    ]
    written = write_ai_txt(values)
    read(written.text)  # validates what is read
    exact_ok = all(
        (loss.kind, loss.detail.split(":", 1)[0]) in STANDARD
        or "beyond training" in loss.detail
        or (loss.kind == "lost" and loss.detail.startswith("purpose: prohibition of"))
        for loss in written.losses
    )
    for path in _PATHS:
        item = SITE + path
        original = [
            v
            for v in values
            if any(matches(t["urlPattern"][len(SITE) :], path_of(item)) for t in v["target"])
        ]
        for agent in ("GPTBot", "CCBot", "OtherBot", None):
            before = _training_answers(original, agent)
            origin = Origin.for_bytes(b"", "ai.txt", url=AI_TXT, target_url=item)
            back = read_ai_txt(written.text.encode(), origin, agent=agent).found
            after = _training_answers(back, agent)
            for leaf, answer in after.items():
                context = (path, agent, leaf, written.text, [str(x) for x in written.losses])
                if answer[0] == "allowed":
                    assert before[leaf][0] == "allowed", context
                if exact_ok and agent is not None:  # without one, `*` Allows are not read
                    assert answer == before[leaf], context


def test_round_trip_of_whole_file_declarations() -> None:
    values = [
        declaration(target=[{"urlPattern": SITE + "/old/"}, {"urlPattern": SITE + "/raw/"}]),
        declaration(
            id="urn:uuid:2",
            prohibition=None,
            target=[{"urlPattern": SITE + "/free/"}],
            permission=[{"purpose": "ai-training"}],
        ),
    ]
    written = write_ai_txt(values)
    back = read(written.text).found
    assert [(f.declaration.get("prohibition"), f.declaration.get("permission"),
             f.declaration["target"]) for f in back] == [
        ([{"purpose": "ai-training"}], None,
         [{"urlPattern": SITE + "/old/"}, {"urlPattern": SITE + "/raw/"}]),
        (None, [{"purpose": "ai-training"}], [{"urlPattern": SITE + "/free/"}]),
    ]  # fmt: skip
    assert set(details(written)) == STANDARD


# --------------------------------------------------------------------------- end to end


@pytest.mark.parametrize(
    ("data", "path", "purpose", "policy", "decision"),
    [
        (
            corpus("healsdata-ai-training-opt-out_ai.txt"),
            "/a.jpg",
            "genai-training",
            "opt-out",
            "denied",
        ),
        (
            corpus("healsdata-ai-training-opt-out_ai.txt"),
            "/a.jpg",
            "ai-training",
            "signals-only",
            "denied",
        ),
        (
            corpus("healsdata-ai-training-opt-out_ai.txt"),
            "/a.jpg",
            "search",
            "signals-only",
            "unknown",
        ),
        (corpus("healsdata-ai-training-opt-out_ai.txt"), "/a.jpg", "search", "opt-out", "allowed"),
        (corpus("ai.robots.txt_ai.txt"), "/x", "genai-training", "opt-in", "denied"),
        (plugin_file({"Images"}).encode(), "/p.png", "genai-training", "signals-only", "allowed"),
        (plugin_file({"Images"}).encode(), "/p.png", "genai-training", "opt-in", "denied"),
        (plugin_file({"Images"}).encode(), "/p.png", "ai-use", "signals-only", "unknown"),
        (plugin_file({"Images"}).encode(), "/p.mp3", "genai-training", "opt-out", "denied"),
        (b"User-agent: *\nAllow: /\x00\n", "/x", "genai-training", "opt-out", "denied"),
        (b"User-agent: *\nAllow: /\x00\n", "/x", "search", "opt-out", "allowed"),
    ],
)
def test_check_answers(data: bytes, path: str, purpose: str, policy: str, decision: str) -> None:
    result = read(data, item=SITE + path)
    answer = check([*result.found, *result.unreadable], purpose, policy=policy)
    assert answer.decision == decision
