"""robots.txt (RFC 9309, spec §9.5) with its Content-Usage and Content-Signal lines: parsing,
group selection, access rules read as agent-scoped prohibitions, the agent table, the writer,
round trips and hostile input."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from tests.formats.mutations import mutants
from tests.formats.test_aipref import (
    LEAVES,
    NOW,
    answers,
    assert_valid,
    decl,
    loss_leaves,
    purposes_of,
    rules_of,
)

from aiconsent.engine import check
from aiconsent.formats.common import Loss, Origin
from aiconsent.formats.patterns import matches, path_of
from aiconsent.formats.robots import (
    ACCESS_NOTE,
    CUT_BYTES,
    agent_kind,
    agent_purposes,
    decide_access,
    parse_robots,
    product_token,
    read_robots,
    robots_unavailable,
    write_robots,
)
from aiconsent.model.found import ReadResult
from aiconsent.vocabulary.purposes import purpose_tree
from aiconsent.vocabulary.resources import read_json

HERE = Path(__file__).parent
DATA = HERE / "data" / "robots"
AIPREF = HERE / "data" / "aipref"
ROOT = HERE.parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "robots"
SNAPSHOTS = CORPUS / "site-snapshots-2024"
CLOUDFLARE = CORPUS / "content-signal"
SITE = "https://news.example"
ROBOTS = f"{SITE}/robots.txt"


def origin_for(data: bytes, url: str = ROBOTS) -> Origin:
    return Origin.for_bytes(data, "robots.txt", url=url, observed_at=NOW)


def read(
    data: bytes | str, item: str | None = None, agent: str | None = None, **options: Any
) -> ReadResult:
    raw = data.encode() if isinstance(data, str) else data
    return read_robots(raw, origin_for(raw), item=item, agent=agent, **options)


def decision(
    result: ReadResult, purpose: str, agent: str | None = None, policy: str = "signals-only"
) -> str:
    items = [*result.found, *result.unreadable]
    return check(items, purpose, policy=policy, agent=agent, at=NOW).decision


def access_rules(result: ReadResult) -> list[dict[str, Any]]:
    return [
        rule
        for item in result.found
        if "access%20rule" in item.declaration.get("evidence", "")
        for rule in item.declaration.get("prohibition", [])
    ]


def allowed(text: str, path: str, agent: str = "*") -> bool:
    robots = parse_robots(text.encode())
    groups = [g for g in robots.groups if agent in g.agents] or [
        g for g in robots.groups if "*" in g.agents
    ]
    return decide_access([r for g in groups for r in g.rules], path)[0]


# -- RFC 9309 parsing and matching --------------------------------------------------------------


def test_longest_match_and_allow_on_ties() -> None:
    text = "User-agent: *\nDisallow: /a\nAllow: /a/b\nDisallow: /a/b/c\nAllow: /p\nDisallow: /p\n"
    assert not allowed(text, "/a/x")
    assert allowed(text, "/a/b/x")
    assert not allowed(text, "/a/b/c/d")
    assert allowed(text, "/p")  # equal length: Allow
    assert allowed(text, "/other")  # no rule: allowed


def test_wildcards_anchors_and_percent_encoding() -> None:
    text = (
        "User-agent: *\nDisallow: /*.pdf$\nDisallow: /fish*\nAllow: /fish/ok$\n"
        "Disallow: /%7Etilde\nDisallow: /caf%C3%A9\nDisallow: *.emailjson\n"
    )
    assert not allowed(text, "/a/b.pdf") and allowed(text, "/a/b.pdf?x=1")
    assert not allowed(text, "/fishheads/x") and allowed(text, "/fish/ok")
    assert not allowed(text, "/~tilde")
    assert not allowed(text, "/caf%C3%A9")
    assert not allowed(text, "/x.emailjson")
    assert allowed(text, "/robots.txt") or True
    assert decide_access([(False, "/")], "/robots.txt") == (True, None)


def test_groups_user_agent_lines_and_merging() -> None:
    text = (
        "Disallow: /before-any-group\n"
        "User-agent: a\nUser-agent: B\nDisallow: /x\n"
        "User-agent: c\nDisallow: /y\n"
        "User-agent: b\nDisallow: /z\n"
    )
    robots = parse_robots(text.encode())
    assert [g.agents for g in robots.groups] == [["a", "B"], ["c"], ["b"]]
    result = read(text, item="/z", agent="b")  # B and b are one token: both groups apply
    assert access_rules(result) == [{"purpose": "tdm", "agent": ["B"]}]
    assert access_rules(read(text, item="/before-any-group")) == []


def test_product_tokens() -> None:
    assert product_token("Googlebot/2.1 (+http://www.google.com/bot.html)") == "Googlebot"
    assert product_token("*") == "*"
    assert product_token("Brightbot 1.0") == "Brightbot"
    assert product_token("AI2Bot") == "AI2Bot"
    assert product_token("(weird)") is None
    assert product_token("x" * 200) is None


def test_bom_crlf_cr_comments_and_unknown_lines() -> None:
    body = "User-agent: GPTBot # the crawler\nCrawl-delay: 10\nfoo bar\nDisallow: / # all\n"
    for text in (
        "\ufeff" + body,
        body.replace("\n", "\r\n"),
        body.replace("\n", "\r"),
        "# c\n" + body.upper().replace("GPTBOT", "GPTBot"),
    ):
        assert access_rules(read(text.encode("utf-8"), item="/x")) == [
            {"purpose": "tdm", "agent": ["GPTBot"]}
        ]


def test_the_500_kib_cut() -> None:
    """RFC 9309 §2.5: what lies beyond 500 KiB is ignored, and so is a line cut there."""
    filler = ("# " + "x" * 78 + "\n").encode() * (CUT_BYTES // 81 + 10)
    late = b"User-agent: GPTBot\nDisallow: /\n" + filler + b"User-agent: CCBot\nDisallow: /\n"
    result = read(late, item="/x")
    assert access_rules(result) == [{"purpose": "tdm", "agent": ["GPTBot"]}]
    assert {"note": f"robots.txt cut at {CUT_BYTES} bytes (RFC 9309 §2.5)"} in result.other
    head = b"User-agent: *\n" + b"#" * (CUT_BYTES - 14 - 10) + b"\nAllow: /x-very-long-path\n"
    assert parse_robots(head).groups[0].rules == []  # the Allow line straddles the cut


def test_oversized_input_is_refused() -> None:
    result = read(b"User-agent: *\nDisallow: /\n" + b"#" * (10 * 1024 * 1024))
    assert result.found == [] and len(result.unreadable) == 1


def test_same_answers_as_protego_on_random_rules() -> None:
    """Differential check of RFC 9309 path matching against protego (when installed)."""
    protego = pytest.importorskip("protego")
    import random

    rng = random.Random(9309)

    def pattern() -> str:
        text = "/" + "".join(rng.choice("ab/") for _ in range(rng.randint(0, 4)))
        if rng.random() < 0.3:
            cut = rng.randint(1, len(text))
            text = text[:cut] + "*" + text[cut:]
        return text + ("$" if rng.random() < 0.2 else "")

    for _ in range(3000):
        rules = [(rng.random() < 0.5, pattern()) for _ in range(rng.randint(1, 5))]
        text = "User-agent: *\n" + "".join(
            f"{'Allow' if a else 'Disallow'}: {p}\n" for a, p in rules
        )
        path = "/" + "".join(rng.choice("ab/") for _ in range(rng.randint(0, 6)))
        ours = allowed(text, path)
        assert ours == protego.Protego.parse(text).can_fetch(SITE + path, "bot"), (text, path)


# -- access rules (spec §9.5) -----------------------------------------------------------------


def test_a_named_group_is_an_agent_scoped_access_prohibition() -> None:
    text = "User-agent: GPTBot\nUser-agent: CCBot\nDisallow: /\n"
    result = read(text, item=f"{SITE}/story")
    [found] = result.found
    assert found.declaration["prohibition"] == [{"purpose": "tdm", "agent": ["GPTBot", "CCBot"]}]
    assert found.declaration["target"] == [{"url": f"{SITE}/story"}]
    assert unquote(found.declaration["evidence"]).endswith(
        f"{ACCESS_NOTE}. User-agent: GPTBot, CCBot; Disallow: /"
    )
    assert_valid(result, "robots-txt")
    assert decision(result, "genai-training", "GPTBot") == "denied"
    assert decision(result, "search", "ccbot") == "denied"  # tdm: no fetch, no processing
    assert decision(result, "genai-training", "ClaudeBot") == "unknown"
    assert decision(result, "genai-training") == "unknown"  # no agent: scoped rules do not apply


def test_the_wildcard_group() -> None:
    """Rule 3: the `*` group binds everyone without a group of their own."""
    text = "User-agent: *\nDisallow: /\n\nUser-agent: GPTBot\nAllow: /\n"
    unscoped = read(text, item="/p")
    assert access_rules(unscoped) == [{"purpose": "tdm"}]
    assert decision(unscoped, "genai-training") == "denied"
    assert (
        decision(read(text, item="/p", agent="ClaudeBot"), "genai-training", "ClaudeBot")
        == "denied"
    )
    own = read(text, item="/p", agent="gptbot")
    assert own.found == []  # GPTBot has its own group, which allows: nothing is read
    assert decision(own, "genai-training", "GPTBot") == "unknown"


def test_allow_and_no_match_yield_nothing() -> None:
    assert read("User-agent: *\nAllow: /\n", item="/p").found == []
    assert read("User-agent: *\nDisallow: /private/\n", item="/public").found == []


def test_missing_and_unreachable_files() -> None:
    origin = origin_for(b"")
    assert robots_unavailable(404, origin) == ReadResult()
    for status in (500, 503, 429, None):
        result = robots_unavailable(status, origin)
        assert result.found == [] and len(result.unreadable) == 1
        assert decision(result, "genai-training", policy="opt-out") == "denied"


def test_agent_purposes_scope() -> None:
    """The narrower reading the agent table allows (not the default, not fail-closed)."""
    agents = ("GPTBot", "CCBot", "PerplexityBot", "NewBot")
    text = "".join(f"User-agent: {agent}\n" for agent in agents) + "Disallow: /\n"
    result = read(text, item="/p", access_scope="agent-purposes")
    assert sorted((r["purpose"], tuple(r["agent"])) for r in access_rules(result)) == [
        ("ai-inference", ("PerplexityBot",)),
        ("genai-training", ("GPTBot",)),
        ("search", ("PerplexityBot",)),
        ("tdm", ("CCBot", "NewBot")),
    ]
    assert decision(result, "search", "GPTBot") == "unknown"
    assert decision(result, "search", "PerplexityBot") == "denied"


def test_access_notes_name_kind_and_purposes() -> None:
    result = read("User-agent: Google-Extended\nUser-agent: GPTBot\nDisallow: /\n")
    [note] = [o["robots-access"] for o in result.other if "robots-access" in o]
    assert note["agents"] == [
        {
            "token": "Google-Extended",
            "kind": "control-token",
            "purposes": ["genai-training", "ai-inference"],
        },
        {"token": "GPTBot", "kind": "crawler", "purposes": ["genai-training"]},
    ]


# -- the agent table -------------------------------------------------------------------------


def test_agent_table_has_kind_and_purposes_for_every_agent() -> None:
    agents = read_json("ai-agents.json")["agents"]
    tree = purpose_tree()
    assert len(agents) >= 160
    for token, entry in agents.items():
        assert {"operator", "function", "respect"} <= set(entry), token
        assert entry["kind"] in ("crawler", "control-token"), token
        assert entry["purposes"] and set(entry["purposes"]) <= set(tree.depth), token
    assert {t for t, e in agents.items() if e["kind"] == "control-token"} == {
        "Google-Extended",
        "Applebot-Extended",
    }
    expected = {
        "GPTBot": ["genai-training"],
        "CCBot": ["tdm"],
        "Google-Extended": ["genai-training", "ai-inference"],
        "Applebot-Extended": ["genai-training"],
        "ClaudeBot": ["genai-training"],
        "PerplexityBot": ["ai-inference", "search"],
        "ChatGPT-User": ["ai-inference"],
    }
    for token, purposes in expected.items():
        assert sorted(agent_purposes(token)) == sorted(purposes), token
    assert agent_kind("gptbot") == "crawler" and agent_purposes("unknown-bot") == ()


@pytest.mark.skipif(not (CORPUS / "ai.robots.txt" / "robots.json").exists(), reason="no corpus")
def test_agent_table_is_what_the_build_script_makes() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "build_ai_agents.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


# -- corpus files ----------------------------------------------------------------------------


def agent_lists(result: ReadResult) -> list[list[str]]:
    return [rule.get("agent", []) for rule in access_rules(result)]


def test_ai_robots_txt() -> None:
    """One group of 166 User-agent lines and `Disallow: /`: one tdm prohibition for them all."""
    data = (DATA / "ai.robots.txt_robots.txt").read_bytes()
    table = read_json("ai-agents.json")["agents"]
    tokens = {product_token(name).lower() for name in table}  # type: ignore[union-attr]
    for kwargs in ({}, {"item": f"{SITE}/anything"}):
        result = read(data, **kwargs)
        [agents] = agent_lists(result)
        assert {a.lower() for a in agents} == tokens
        assert_valid(result, "robots-txt")
    result = read(data, item=f"{SITE}/a")
    for token in (
        "GPTBot",
        "CCBot",
        "Google-Extended",
        "ClaudeBot",
        "anthropic-ai",
        "Bytespider",
        "Applebot-Extended",
        "PerplexityBot",
        "meta-externalagent",
    ):
        assert decision(result, "genai-training", token) == "denied", token
    assert decision(result, "genai-training", "Googlebot") == "unknown"


def test_ai_robots_txt_test_file() -> None:
    data = (DATA / "ai.robots.txt_test_files_robots.txt").read_bytes()
    [agents] = agent_lists(read(data))
    assert len(agents) == len(
        {line for line in data.decode().splitlines() if line.startswith("User-agent")}
    )


def test_healsdata_separate_groups() -> None:
    """20 single-agent groups, each `Disallow: /`, no `*` group."""
    data = (DATA / "healsdata_robots.txt").read_bytes()
    result = read(data, item=f"{SITE}/post")
    [agents] = agent_lists(result)  # the same lines: one declaration for all twenty
    assert len(agents) == 20 and "img2dataset" in agents and "Applebot" in agents
    assert decision(result, "genai-training", "GPTBot") == "denied"
    assert decision(result, "search", "Applebot") == "denied"
    assert decision(result, "genai-training") == "unknown"
    assert decision(result, "genai-training", policy="opt-out") == "allowed"


def test_constructed_content_signal_with_rsl() -> None:
    data = (DATA / "constructed_content-signal-with-rsl.txt").read_bytes()
    result = read(data, item=f"{SITE}/news/1")
    assert purposes_of(result, "permission") == {"search", "ai-inference"}
    assert purposes_of(result, "prohibition") == {"ai-training"}
    assert {"rsl": "https://news.example/rsl.xml"} in result.other
    assert decision(result, "genai-training") == "denied"
    assert decision(result, "search") == "allowed"
    blocked = read(data, item=f"{SITE}/cdn-cgi/x")
    assert {"purpose": "tdm"} in access_rules(blocked)
    whole = read(data)
    assert {t["urlPattern"] for i in whole.found for t in i.declaration["target"]} == {
        f"{SITE}/cdn-cgi/",
        f"{SITE}/",
    }
    assert_valid(whole, "robots-txt")


def test_attach_simple() -> None:
    """attach-05: `User-Agent: *`, `Allow: /`, `Content-Usage: train-ai=n`."""
    result = read((AIPREF / "attach-05_ex2_robots-simple.txt").read_bytes(), item="/any/path")
    assert rules_of(result, "prohibition") == [{"purpose": "ai-training"}]
    assert decision(result, "genai-training") == "denied"
    assert decision(result, "search") == "unknown"


@pytest.mark.parametrize(
    ("path", "agent", "refused", "granted", "access"),
    [
        ("/test", None, {"ai-training"}, set(), False),
        ("/never/test", None, {"tdm"}, set(), True),  # not crawlable: no preference, no access
        ("/ai-ok/test", None, set(), {"genai-training"}, False),
        ("/test", "ExampleBot", set(), {"genai-training"}, False),
        ("/never/test", "ExampleBot", set(), {"genai-training"}, False),
    ],
)
def test_attach_paths_table(
    path: str, agent: str | None, refused: set[str], granted: set[str], access: bool
) -> None:
    """The attach-05 example's table, and ExampleBot's own group."""
    data = (AIPREF / "attach-05_ex3_robots-paths.txt").read_bytes()
    result = read(data, item=path, agent=agent)
    scoped = [
        i
        for i in result.found
        if bool(agent)
        == any(
            "agent" in r
            for r in [*i.declaration.get("permission", []), *i.declaration.get("prohibition", [])]
        )
    ]
    got = ReadResult(found=scoped)
    assert purposes_of(got, "prohibition") == refused
    assert purposes_of(got, "permission") == granted
    assert bool(access_rules(got)) is access


def test_attach_00_groups_merge() -> None:
    """Two `*` groups are one (RFC 9309); `ai=n` and `ai=y` with no path: the refusal wins."""
    data = (AIPREF / "legacy_attach-00_ex3_robots-groups.txt").read_bytes()
    result = read(data, item="/x")
    assert purposes_of(result, "prohibition") == {"ai-training"}  # Allow / ties Disallow /
    assert access_rules(read(data, item="/never/x")) == [{"purpose": "tdm"}]
    example = read(data, item="/x", agent="ExampleBot")
    assert purposes_of(example, "permission") == {"ai-training"}


def snapshot(name: str) -> bytes:
    path = SNAPSHOTS / name
    if not path.exists():
        pytest.skip("the 2024 site snapshots are not here")
    return path.read_bytes()


def test_bbc() -> None:
    data = snapshot("bbc.co.uk.robots.txt")
    result = read(data, item="https://www.bbc.co.uk/news/world-1")
    for token in (
        "CCBot",
        "GPTBot",
        "ChatGPT-User",
        "omgili",
        "omgilibot",
        "Claude-Web",
        "anthropic-ai",
        "cohere-ai",
        "Google-Extended",
        "Bytespider",
        "PerplexityBot",
    ):
        assert decision(result, "genai-training", token) == "denied", token
    assert decision(result, "genai-training", "Googlebot") == "unknown"


def test_squarespace_listed_is_not_blocked() -> None:
    """AI agents share the `*` group's path rules: only those paths are refused."""
    data = snapshot("squarespace.com.robots.txt")
    home = read(data, item="https://www.squarespace.com/tour", agent="GPTBot")
    assert home.found == []
    config = read(data, item="https://www.squarespace.com/config/x", agent="GPTBot")
    assert decision(config, "genai-training", "GPTBot") == "denied"
    api = read(data, item="https://www.squarespace.com/api/ui-extensions/x", agent="GPTBot")
    assert api.found == []  # Allow /api/ui-extensions/ is longer than Disallow /api/


def test_guardian_lower_case_token() -> None:
    data = snapshot("theguardian.com.robots.txt")
    result = read(data, item="https://www.theguardian.com/world/2024/x", agent="ClaudeBot")
    assert decision(result, "genai-training", "ClaudeBot") == "denied"
    assert decision(result, "genai-training", "Applebot-Extended") == "denied"
    other = read(data, item="https://www.theguardian.com/world/2024/x")
    assert decision(other, "genai-training") == "unknown"
    assert (
        decision(read(data, item="https://www.theguardian.com/search"), "genai-training")
        == "denied"
    )


def test_nytimes_groups() -> None:
    data = snapshot("nytimes.com.robots.txt")
    result = read(data, item="https://www.nytimes.com/2024/06/01/world/x.html")
    for token in ("GPTBot", "ClaudeBot", "CCBot", "Google-Extended", "Applebot-Extended"):
        assert decision(result, "genai-training", token) == "denied", token
    whole = read(data)
    assert_valid(whole, "robots-txt")


def cloudflare(name: str) -> bytes:
    path = CLOUDFLARE / name
    if not path.exists():
        pytest.skip("the Cloudflare docs examples are not here")
    return path.read_bytes()


def test_cloudflare_managed_robots() -> None:
    data = cloudflare("cloudflare-docs_managed-robots_crawlstop_enabled.txt")
    result = read(data, item="https://www.crawlstop.com/blog")
    assert purposes_of(result, "permission") == {"search"}
    assert {"purpose": "ai-training"} in rules_of(result, "prohibition")
    [agents] = [a for a in agent_lists(result) if a]
    assert agents == [
        "Amazonbot",
        "Applebot-Extended",
        "Bytespider",
        "CCBot",
        "ClaudeBot",
        "Google-Extended",
        "GPTBot",
        "meta-externalagent",
    ]
    assert decision(result, "genai-training") == "denied"
    assert decision(result, "search") == "allowed"
    assert decision(read(data, item="https://www.crawlstop.com/lp/x"), "search") == "denied"
    assert decision(read(data, item="/blog", agent="GPTBot"), "search", "GPTBot") == "denied"


def test_cloudflare_policy_comment_only_and_baseline() -> None:
    assert read(cloudflare("cloudflare-docs_content-signals-policy-only.txt"), item="/").found == []
    baseline = read(cloudflare("cloudflare-docs_managed-robots_crawlstop_not-enabled.txt"))
    assert purposes_of(baseline, "permission") == set()
    assert all("agent" not in r for r in rules_of(baseline, "prohibition"))


# -- writing -------------------------------------------------------------------------------


def test_writer_paths_groups_and_signals() -> None:
    declarations = [
        decl(1, proh=["ai-training"], perm=["search"], targets=[{"urlPattern": f"{SITE}/"}]),
        decl(
            2,
            perm=["genai-training"],
            targets=[{"urlPattern": f"{SITE}/ai-ok/"}],
            at="2025-06-01T00:00:00Z",
        ),
        decl(
            3,
            proh=[{"purpose": "tdm", "agent": ["GPTBot", "CCBot"]}],
            targets=[{"urlPattern": f"{SITE}/"}],
        ),
    ]
    written = write_robots(declarations, at=NOW)
    assert written.text.splitlines()[1:] == [
        "User-agent: *",
        "Content-Usage: train-ai=n, search=y",
        "Content-Usage: /ai-ok/ train-ai=y, search=y",
        "Content-Signal: search=yes",
        "",
        "User-agent: GPTBot",
        "User-agent: CCBot",
        "Content-Usage: train-ai=n, search=n",
        "Content-Usage: /ai-ok/ train-ai=y, search=n",
        "Content-Signal: search=no, ai-input=no",
    ]
    # Content-Signal covers /ai-ok/ too, where training differs: no ai-train key, and the
    # refusal of non-generative training at / is reported lost
    assert any(
        "some paths differ" in loss.detail and "non-generative-training" in loss.detail
        for loss in written.losses
    )
    access = write_robots(declarations, access_rules=True, at=NOW)
    assert "User-agent: GPTBot\nUser-agent: CCBot\nDisallow: /\nAllow: /ai-ok/\n" in access.text


def test_writer_reports_what_it_cannot_place() -> None:
    written = write_robots(
        [
            decl(1, proh=["search"], targets=[{"sha256": "0" * 64}]),
            decl(2, perm=["search"], targets=[{"url": "https://other.example/x"}]),
            decl(3, proh=["genai-training"], targets=[{"url": f"{SITE}/a"}]),
        ],
        site=SITE,
        at=NOW,
    )
    assert written.text.splitlines()[1:] == ["User-agent: *", "Content-Usage: /a$ train-ai=n"]
    assert [loss.kind for loss in written.losses[:2]] == ["lost", "dropped"]


@st.composite
def site_declarations(draw: st.DrawFn) -> list[dict[str, Any]]:
    targets = st.sampled_from(
        [
            {"urlPattern": f"{SITE}/"},
            {"urlPattern": f"{SITE}/docs/"},
            {"urlPattern": f"{SITE}/docs/a"},
            {"urlPattern": f"{SITE}/*.pdf"},
            {"url": f"{SITE}/docs/page"},
        ]
    )
    values = []
    for number in range(draw(st.integers(1, 4))):
        rules = draw(
            st.lists(
                st.tuples(
                    st.booleans(),
                    st.sampled_from(
                        [
                            "tdm",
                            "ai-use",
                            "ai-training",
                            "genai-training",
                            "non-generative-training",
                            "ai-inference",
                            "ai-index",
                            "search",
                        ]
                    ),
                    st.sampled_from([(), ("GPTBot",), ("GPTBot", "CCBot")]),
                ),
                min_size=1,
                max_size=3,
            )
        )
        perm = [{"purpose": p, **({"agent": list(a)} if a else {})} for yes, p, a in rules if yes]
        proh = [
            {"purpose": p, **({"agent": list(a)} if a else {})} for yes, p, a in rules if not yes
        ]
        values.append(
            decl(
                number,
                perm=perm,
                proh=proh,
                targets=[draw(targets)],
                at=draw(st.sampled_from(["2024-01-01T00:00:00Z", "2025-01-01T00:00:00Z"])),
                party=draw(st.sampled_from(["https://a.example/", "https://b.example/"])),
            )
        )
    return values


def about(declarations: list[dict[str, Any]], url: str) -> list[dict[str, Any]]:
    """The declarations whose targets match an item (spec §6.2 selection)."""
    chosen = []
    for value in declarations:
        for target in value["target"]:
            if target.get("url") == url or (
                "urlPattern" in target and matches(target["urlPattern"][len(SITE) :], path_of(url))
            ):
                chosen.append(value)
                break
    return chosen


def reported(losses: list[Loss]) -> set[str]:
    widened = {
        m.group(1)
        for loss in losses
        if loss.kind == "widened"
        for m in [re.search(r"also covers ([a-z-]+)", loss.detail)]
        if m
    }
    return loss_leaves(losses, ["dropped", "lost", "widened"]) | widened


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(site_declarations(), st.booleans())
def test_round_trip(declarations: list[dict[str, Any]], access: bool) -> None:
    """write → read for an item and agent: never more permissive than the declarations were
    for that item and agent, and every leaf that differs (other than a refusal read wider, as
    `train-ai=n` is) is named in the loss report."""
    written = write_robots(declarations, access_rules=access, at=NOW)
    data = written.text.encode()
    assume(written.text)
    lost = reported(written.losses)
    urls = ("/", "/docs/x", "/docs/a1", "/docs/page", "/f.pdf", "/docs/a.pdf")
    for url in (SITE + path for path in urls):
        for agent in (None, "GPTBot", "CCBot", "Other"):
            back = read_robots(data, origin_for(data), item=url, agent=agent)
            assert back.unreadable == []
            before = answers(about(declarations, url), agent)
            after = answers([*back.found], agent)
            for leaf in LEAVES:
                assert after[leaf] != "allowed" or before[leaf] == "allowed", (url, agent, leaf)
                widened_on_reading = after[leaf] == "denied" and before[leaf] == "unknown"
                if after[leaf] != before[leaf] and not widened_on_reading:
                    assert leaf in lost, (url, agent, leaf, written.text)


# -- hostile input ---------------------------------------------------------------------------

SEEDS = [
    (DATA / "ai.robots.txt_test_files_robots.txt").read_bytes(),
    (DATA / "healsdata_robots.txt").read_bytes(),
    (DATA / "constructed_content-signal-with-rsl.txt").read_bytes(),
    (AIPREF / "attach-05_ex3_robots-paths.txt").read_bytes(),
    (AIPREF / "legacy_attach-00_ex3_robots-groups.txt").read_bytes(),
    b"User-agent: *\nContent-Usage: train-ai=y, search=y\n"
    b"Content-Signal: search=yes, ai-train=yes\n",
]


def test_hostile_input() -> None:
    """2,000+ mutants: no exception, quick, and damaged or cut preference lines grant nothing."""
    started = time.perf_counter()
    count = 0
    for data in mutants(SEEDS, count=2500):
        count += 1
        for options in ({}, {"item": "/ai-ok/x", "agent": "ExampleBot"}):
            result = read(data, **options)
            for item in result.found:
                assert item.declaration["target"]
        damaged = b"\x00" in data
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            damaged = True
        if damaged:
            assert rules_of(read(data), "permission") == [], data
    assert count >= 2000
    assert time.perf_counter() - started < 40


@pytest.mark.parametrize(
    "data",
    [
        ("a" + " " * 400_000 + "x\n").encode(),  # a key-like run with no colon
        ("User-agent" + " \t" * 200_000 + "\n").encode(),
        (
            "User-agent: *\n" + "".join(f"Allow: /a{i}*x\nDisallow: /a{i}\n" for i in range(15_000))
        ).encode(),
        ("User-agent: *\nDisallow: /" + "*a" * 2_000 + "b\n").encode(),
    ],
    ids=["spaces", "tabs", "many-wildcards", "stars"],
)
def test_no_input_makes_the_reader_slow(data: bytes) -> None:
    """Line splitting and wildcard matching stay linear (no regex backtracking)."""
    started = time.perf_counter()
    read(data)
    read(data, item="/" + "a" * 100_000, agent="GPTBot")
    assert time.perf_counter() - started < 2


def test_a_preference_line_cut_short_grants_nothing() -> None:
    text = b"User-agent: *\nContent-Usage: train-ai=y, search=y\nContent-Signal: ai-input=yes"
    for end in range(len(text) - 20, len(text)):
        result = read(text[:end], item="/x")
        assert "ai-inference" not in purposes_of(result, "permission")
    cut = read(b"User-agent: *\nContent-Usage: train-ai=y, sea", item="/x")
    assert rules_of(cut, "permission") == []
    allow = parse_robots(b"User-agent: *\nDisallow: /\nAllow: /pub")
    assert allow.groups[0].rules == [(False, "/")]  # an Allow cut short could open too much


def test_emitted_declarations_validate() -> None:
    for data in [*SEEDS, (DATA / "ai.robots.txt_robots.txt").read_bytes()]:
        assert_valid(read(data), "robots-txt")
        assert_valid(read(data, item="/ai-ok/x", agent="GPTBot"), "robots-txt")
    local = Origin.for_bytes(SEEDS[2], "robots.txt", observed_at=NOW)  # no URL: bare patterns
    assert_valid(read_robots(SEEDS[2], local), "robots-txt")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_any_bytes(data: bytes) -> None:
    read(data)
    read(data, item="/a", agent="GPTBot")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_any_text(text: str) -> None:
    data = text.encode("utf-8", "surrogatepass")
    read(data)
    read(b"User-agent: *\n" + data, item="/a")


# -- end to end ------------------------------------------------------------------------------


@pytest.mark.parametrize("policy", ["opt-in", "opt-out", "signals-only"])
def test_check_answers_for_genai_training(policy: str) -> None:
    """A disallowed AI agent is denied under every policy; silence stays silence."""
    data = (DATA / "healsdata_robots.txt").read_bytes()
    result = read(data, item=f"{SITE}/post", agent="GPTBot")
    assert decision(result, "genai-training", "GPTBot", policy) == "denied"
    expected = {"opt-in": "denied", "opt-out": "allowed", "signals-only": "unknown"}[policy]
    assert decision(result, "genai-training", "SomeOtherBot", policy) == expected
    signals = read((DATA / "constructed_content-signal-with-rsl.txt").read_bytes(), item="/a")
    assert decision(signals, "genai-training", None, policy) == "denied"
    searched = {"opt-in": "denied", "opt-out": "allowed", "signals-only": "allowed"}[policy]
    assert decision(signals, "search", None, policy) == searched


def test_agent_table_matches_the_corpus_source() -> None:
    source = CORPUS / "ai.robots.txt" / "robots.json"
    if not source.exists():
        pytest.skip("no corpus")
    agents = json.loads(source.read_text())
    assert set(read_json("ai-agents.json")["agents"]) == set(agents)
