"""HTTP headers, HTML pages and noai (spec §9.6 and §9.1): corpus files, agent scope, hostility."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.formats.mutations import mutants

from aiconsent.engine import check
from aiconsent.formats.common import Origin
from aiconsent.formats.headers import parse_header_lines, read_headers, read_response
from aiconsent.formats.html import read_html
from aiconsent.formats.noai import noai_rules, parse_directives, write_x_robots_tag
from aiconsent.readers.detect import detect
from aiconsent.validation.validate import validate_value

DATA = Path(__file__).parent / "data" / "healsdata"
CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
PAGE = "https://healsdata.example/post"


def origin_for(data: bytes, name: str) -> Origin:
    return Origin.for_bytes(data, name, url=PAGE)


def rules(result: object, kind: str) -> list[dict[str, object]]:
    return [rule for item in result.found for rule in item.declaration.get(kind, [])]  # type: ignore[attr-defined]


def test_directives_with_and_without_agent() -> None:
    """`img2dataset: noai` is scoped to that agent; plain `noai` binds everyone."""
    assert parse_directives("img2dataset: noai, noimageai") == (
        "img2dataset",
        ["noai", "noimageai"],
    )
    assert parse_directives("noai") == (None, ["noai"])
    assert parse_directives("unavailable_after: 2025-01-01") == (
        None,
        ["unavailable_after:", "2025-01-01"],
    )
    assert noai_rules(["img2dataset: noai"], image=False) == [
        {"purpose": "ai-use", "agent": ["img2dataset"]}
    ]


def test_noimageai_binds_images_only() -> None:
    """noimageai prohibits AI use of an image response, not of a page's text."""
    assert noai_rules(["noimageai"], image=False) == []
    assert noai_rules(["noimageai"], image=True) == [{"purpose": "ai-use"}]


def test_noindex_is_not_an_ai_signal() -> None:
    """noindex / none are search matters and never read as AI prohibitions."""
    assert noai_rules(["noindex, nofollow", "none"], image=True) == []


def test_healsdata_headers() -> None:
    """Two X-Robots-Tag fields and tdm-reservation: noai (ai-use) and a TDM reservation."""
    data = (DATA / "headers.txt").read_bytes()
    assert detect(data, "headers.txt") == "http-response"
    result = read_response(data, origin_for(data, "headers.txt"))
    prohibited = {rule["purpose"] for rule in rules(result, "prohibition")}
    assert prohibited == {"ai-use", "tdm"}
    assert {item.carrier for item in result.found} == {"http-header"}
    for item in result.found:
        assert validate_value(item.declaration).errors == 0


def test_healsdata_meta_tags() -> None:
    """meta robots noai, noimageai and tdm-reservation; CCBot nofollow is not an AI signal."""
    data = (DATA / "meta-tags.html").read_bytes()
    assert detect(data, "meta-tags.html") == "html"
    result = read_html(data, origin_for(data, "meta-tags.html"), known_agents=frozenset({"ccbot"}))
    prohibited = {rule["purpose"] for rule in rules(result, "prohibition")}
    assert prohibited == {"ai-use", "tdm"}
    assert {item.carrier for item in result.found} == {"html"}
    decision = check(result.found, "genai-training", policy="opt-out")
    assert decision.decision == "denied"


def test_aipref_http_response_example() -> None:
    """The attach draft's response: Content-Usage train-ai=n, search unknown."""
    data = (CORPUS / "aipref" / "attach-05_ex1_http-response.http").read_bytes()
    result = read_response(data, origin_for(data, "response.http"))
    assert check(result.found, "genai-training", policy="signals-only").decision == "denied"
    assert check(result.found, "search", policy="signals-only").decision == "unknown"


def test_link_license_header_is_noted() -> None:
    """Link rel=license (RSL discovery) is reported, not fetched."""
    pairs = parse_header_lines(
        ['Link: <https://news.example/license.xml>; rel="license"; type="application/rsl+xml"']
    )
    result = read_headers(pairs, origin_for(b"", "h"))
    assert result.other == [{"license": "https://news.example/license.xml", "source": "h"}]


def test_our_json_ld_in_a_page() -> None:
    """An aiconsent JSON-LD script is read (carrier html); schema.org markup is ignored."""
    page = (
        b'<html><head><script type="application/ld+json">{"@context": "https://schema.org", '
        b'"@type": "Article"}</script><script type="application/ld+json">'
        b'{"@context": "https://w3id.org/aiconsent/v1", '
        b'"id": "urn:uuid:6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", '
        b'"type": "ConsentDeclaration", "target": [{"url": "https://x.example/a"}], '
        b'"declaredBy": {"id": "https://x.example/u/1", "role": "creator"}, '
        b'"declaredAt": "2025-01-01T00:00:00Z", "prohibition": [{"purpose": "genai-training"}]}'
        b"</script></head></html>"
    )
    result = read_html(page, origin_for(page, "page.html"))
    assert [item.carrier for item in result.found] == ["html"]
    assert result.found[0].declaration["declaredBy"]["role"] == "creator"


def test_writer_widens_and_reports() -> None:
    """A genai-training prohibition is written as noai (widened); a permission is lost."""
    written = write_x_robots_tag(
        [
            {
                "id": "urn:uuid:1",
                "prohibition": [{"purpose": "genai-training", "agent": ["GPTBot"]}],
                "permission": [{"purpose": "search"}],
            }
        ]
    )
    assert written.text == "X-Robots-Tag: GPTBot: noai\n"
    assert {loss.kind for loss in written.losses} == {"widened", "lost"}


def test_write_then_read_round_trip() -> None:
    """What the writer states is what the reader reads back."""
    written = write_x_robots_tag([{"id": "urn:uuid:1", "prohibition": [{"purpose": "ai-use"}]}])
    lines = written.text.splitlines()
    result = read_headers(parse_header_lines(lines), origin_for(b"", "h"))
    assert rules(result, "prohibition") == [{"purpose": "ai-use"}]


def test_hostile_headers_and_pages_never_raise_or_permit() -> None:
    """2,000+ mutants of the corpus headers and pages: no exception, never a permission."""
    seeds = [(DATA / "headers.txt").read_bytes(), (DATA / "meta-tags.html").read_bytes()]
    for data in mutants(seeds, count=2000):
        for result in (
            read_response(data, origin_for(data, "m")),
            read_html(data, origin_for(data, "m")),
        ):
            assert not rules(result, "permission")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_arbitrary_text_never_raises(text: str) -> None:
    """Any text as headers or HTML gives a result."""
    data = text.encode("utf-8", "surrogatepass")
    read_response(data, origin_for(data, "t"))
    read_html(data, origin_for(data, "t"))


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "purpose": st.sampled_from(
                    ["ai-use", "ai-training", "genai-training", "ai-inference"]
                )
            },
            optional={
                "agent": st.lists(
                    st.sampled_from(["GPTBot", "img2dataset"]), min_size=1, max_size=1
                )
            },
        ),
        min_size=1,
        max_size=3,
    )
)
def test_x_robots_tag_round_trip_never_permits_more(prohibitions: list[dict[str, object]]) -> None:
    """Any AI prohibitions written as X-Robots-Tag read back as refusals for the same agents."""
    value = {"id": "urn:uuid:1", "prohibition": prohibitions}
    written = write_x_robots_tag([value])
    result = read_headers(parse_header_lines(written.text.splitlines()), origin_for(b"", "h"))
    for rule in prohibitions:
        agent = rule["agent"][0] if "agent" in rule else None  # type: ignore[index]
        decision = check(result.found, str(rule["purpose"]), agent=agent, policy="opt-out")
        assert decision.decision == "denied"
    narrower = [rule for rule in prohibitions if rule["purpose"] != "ai-use"]
    assert bool(narrower) == any(loss.kind == "widened" for loss in written.losses)
