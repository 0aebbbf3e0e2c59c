"""RSL 1.0 reader and writer (spec §9.8): corpus files, the spec's tables, round trips,
hostile input, and what `check` answers for what was read."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.formats.mutations import XML_BOMB, XML_EXTERNAL, mutants

from aiconsent.engine import check, prepare
from aiconsent.formats.common import Origin
from aiconsent.formats.patterns import matches, path_of
from aiconsent.formats.rsl import CARRIER, read_rsl, write_rsl
from aiconsent.model.found import ReadResult
from aiconsent.validation.validate import validate_value
from aiconsent.vocabulary.purposes import purpose_tree

DATA = Path(__file__).parent / "data" / "rsl"
RSL_URL = "https://news.example/license.xml"
SITE = "https://news.example"
ALL_LEAVES = frozenset(purpose_tree().leaves["tdm"])
NOW = datetime(2030, 1, 1, tzinfo=UTC)


def corpus(name: str) -> bytes:
    return (DATA / name).read_bytes()


def read(data: bytes | str, item: str | None = None, **options: Any) -> ReadResult:
    raw = data.encode() if isinstance(data, str) else data
    origin = Origin.for_bytes(raw, "license.xml", url=RSL_URL, target_url=item)
    result = read_rsl(raw, origin, **options)
    for found in result.found:
        report = validate_value(found.declaration)
        assert report.errors == 0, [issue.message for issue in report.issues]
        assert found.carrier == CARRIER == found.declaration["carrier"]
        assert found.declaration["declaredBy"] == {"id": RSL_URL, "role": "publisher"}
        assert found.declaration["retroactive"] is True
        assert found.declaration["evidence"].startswith("data:text/plain")
    return result


def doc(*contents: str) -> str:
    return '<rsl xmlns="https://rslstandard.org/rsl">' + "".join(contents) + "</rsl>"


def content(*licences: str, url: str = "/", attrs: str = "") -> str:
    return f'<content url="{url}"{attrs}>' + "".join(licences) + "</content>"


def licence(*parts: str) -> str:
    return "<license>" + "".join(parts) + "</license>"


def permits(tokens: str, kind: str = "usage") -> str:
    return f'<permits type="{kind}">{tokens}</permits>'


def prohibits(tokens: str, kind: str = "usage") -> str:
    return f'<prohibits type="{kind}">{tokens}</prohibits>'


def rules(result: ReadResult, kind: str) -> list[dict[str, Any]]:
    return [rule for found in result.found for rule in found.declaration.get(kind, [])]


def purposes(result: ReadResult, kind: str) -> set[str]:
    return {rule["purpose"] for rule in rules(result, kind)}


def one(result: ReadResult) -> dict[str, Any]:
    assert len(result.found) == 1, result.found
    return result.found[0].declaration


# --------------------------------------------------------------------------- corpus files


def test_two_licences_read_as_one_declaration_with_payments() -> None:
    result = read(corpus("constructed_two-licences.xml"))
    value = one(result)
    assert result.unreadable == []
    assert value["target"] == [{"urlPattern": "https://news.example/"}]
    assert value["basis"] == "license"
    assert value["permission"] == [
        {"purpose": "search", "duty": ["attribute"]},
        {"purpose": "ai-inference", "duty": ["attribute"]},
        {"purpose": "ai-training", "duty": ["compensate"]},
    ]
    assert "prohibition" not in value
    assert value["policyUrl"] == "https://news.example/licensing"  # the training price list
    assert "jurisdiction" not in value


def test_licence_server_removes_the_permission() -> None:
    data = corpus("constructed_license-server.xml")
    assert not data.startswith(b"<?xml") and not data.endswith(b"\n")
    result = read(data)
    assert result.found == [] and result.unreadable == []


def test_prohibit_all_prohibits_everything() -> None:
    value = one(read(corpus("constructed_prohibit-all.xml")))
    assert [rule["purpose"] for rule in value["prohibition"]] == ["tdm", "ai-use", "search"]
    assert "permission" not in value
    assert value["target"] == [{"urlPattern": "https://news.example/"}]


def test_nonconforming_real_file_is_read_tolerantly() -> None:
    result = read(corpus("ireneburresi.dev_rsl_NONCONFORMING-extras.xml"))
    assert [found.declaration["target"] for found in result.found] == [
        [{"urlPattern": "https://news.example/"}],
        [{"urlPattern": "https://news.example/blog/"}],
    ]
    for found in result.found:
        value = found.declaration
        assert value["permission"] == [
            {"purpose": p, "duty": ["attribute"]} for p in ("search", "ai-inference", "ai-index")
        ]
        assert value["prohibition"] == [{"purpose": "ai-training"}]
        assert value["policyUrl"] == "https://creativecommons.org/licenses/by/4.0/"
    # quote and excerpt are not RSL usages: unreadable, for every purpose
    assert sorted(marker.message.split("'")[1] for marker in result.unreadable) == [
        "excerpt",
        "quote",
    ]
    assert all(marker.purposes is None for marker in result.unreadable)


def test_nonconforming_file_for_one_item_reads_only_the_longest_content() -> None:
    data = corpus("ireneburresi.dev_rsl_NONCONFORMING-extras.xml")
    about = read(data, item="https://news.example/about/")
    assert one(about)["target"] == [{"url": "https://news.example/about/"}]
    assert about.unreadable == []  # the /blog/ content does not concern this item
    post = read(data, item="https://news.example/blog/post")
    assert one(post)["target"] == [{"url": "https://news.example/blog/post"}]
    assert len(post.unreadable) == 2


def test_corpus_files_identical_to_the_shared_corpus() -> None:
    shared = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "rsl"
    if not shared.is_dir():
        pytest.skip("shared corpus not present")
    for path in DATA.glob("*.xml"):
        assert path.read_bytes() == (shared / path.name).read_bytes()


# --------------------------------------------------------------------------- usage tokens


@pytest.mark.parametrize(
    ("token", "purpose"),
    [
        ("all", "tdm"),
        ("ai-all", "ai-use"),
        ("ai-train", "ai-training"),
        ("ai-input", "ai-inference"),
        ("ai-index", "ai-index"),
        ("search", "search"),
    ],
)
def test_each_usage_token_maps_to_its_purpose(token: str, purpose: str) -> None:
    allowed = one(read(doc(content(licence(permits(token))))))
    assert allowed["permission"] == [{"purpose": purpose}]
    denied = one(read(doc(content(licence(prohibits(token))))))
    assert denied["prohibition"] == [{"purpose": purpose}]


@pytest.mark.parametrize("token", ["ai-include", "ai-search", "train-ai", "AI-TRAIN", "ai_train"])
def test_tokens_outside_rsl_are_unreadable_for_every_purpose(token: str) -> None:
    result = read(doc(content(licence(prohibits(f"{token} search")))))
    assert purposes(result, "prohibition") == {"search"}
    assert len(result.unreadable) == 1
    assert result.unreadable[0].purposes is None
    assert token in result.unreadable[0].message
    permitted = read(doc(content(licence(permits(token)))))
    assert permitted.found == [] and len(permitted.unreadable) == 1


@pytest.mark.parametrize("separator", [",", ", ", " ", "\n\t", " , "])
def test_token_lists_separated_by_commas_or_spaces(separator: str) -> None:
    value = one(read(doc(content(licence(prohibits(separator.join(["ai-train", "ai-input"])))))))
    assert value["prohibition"] == [{"purpose": "ai-training"}, {"purpose": "ai-inference"}]


def test_usage_both_permitted_and_prohibited_is_prohibited() -> None:
    value = one(read(doc(content(licence(permits("ai-train search"), prohibits("ai-train"))))))
    assert value["permission"] == [{"purpose": "search"}]
    assert value["prohibition"] == [{"purpose": "ai-training"}]


def test_umbrella_prohibition_removes_narrower_permission() -> None:
    """permits ai-train with prohibits ai-all: ai-train is listed in both, so prohibited."""
    value = one(read(doc(content(licence(permits("ai-train"), prohibits("ai-all"))))))
    assert "permission" not in value
    assert value["prohibition"] == [{"purpose": "ai-use"}]


def test_umbrella_permission_keeps_what_is_not_prohibited() -> None:
    value = one(read(doc(content(licence(permits("all"), prohibits("ai-train"))))))
    assert value["permission"] == [
        {"purpose": "ai-inference"},
        {"purpose": "ai-index"},
        {"purpose": "search"},
    ]
    assert value["prohibition"] == [{"purpose": "ai-training"}]
    decision = check(
        read(doc(content(licence(permits("all"), prohibits("ai-train"))))).found,
        "tdm",
        policy="signals-only",
    )
    assert decision.decision == "denied"


def test_prohibition_in_one_licence_wins_over_permission_in_another_at_equal_depth() -> None:
    result = read(doc(content(licence(permits("ai-train")), licence(prohibits("ai-train")))))
    assert len(result.found) == 1
    assert check(result.found, "ai-training", policy="signals-only").decision == "denied"


# --------------------------------------------------------------------------- conditions


@pytest.mark.parametrize(
    ("parts", "constraint"),
    [
        ((permits("commercial non-commercial", "user"),), None),
        ((permits("commercial, non-commercial, education, government, personal", "user"),), None),
        ((permits("non-commercial", "user"),), ["non-commercial"]),
        ((prohibits("commercial", "user"),), ["non-commercial"]),
        (
            (permits("commercial non-commercial", "user"), prohibits("commercial", "user")),
            ["non-commercial"],
        ),
    ],
)
def test_user_types_that_aiconsent_can_carry(parts: tuple[str, ...], constraint: Any) -> None:
    value = one(read(doc(content(licence(permits("ai-train"), *parts)))))
    expected: dict[str, Any] = {"purpose": "ai-training"}
    if constraint:
        expected["constraint"] = constraint
    assert value["permission"] == [expected]


@pytest.mark.parametrize(
    "parts",
    [
        (permits("education", "user"),),
        (permits("government", "user"),),
        (permits("personal", "user"),),
        (permits("commercial", "user"),),
        (permits("non-commercial education", "user"),),
        (prohibits("education", "user"),),
        (prohibits("non-commercial", "user"),),
        (permits("commercial", "user"), prohibits("commercial", "user")),
    ],
)
def test_user_types_aiconsent_cannot_carry_drop_permissions_only(parts: tuple[str, ...]) -> None:
    result = read(doc(content(licence(permits("ai-train"), prohibits("search"), *parts))))
    assert purposes(result, "permission") == set()
    assert purposes(result, "prohibition") == {"search"}
    assert result.unreadable == []


def test_unknown_user_type_is_unreadable_for_the_permitted_purposes() -> None:
    result = read(doc(content(licence(permits("ai-input"), permits("robots", "user")))))
    assert result.found == []
    assert [marker.purposes for marker in result.unreadable] == [frozenset({"ai-inference"})]


def test_geo_permits_become_a_jurisdiction_for_permissions_only() -> None:
    result = read(
        doc(
            content(
                licence(permits("ai-train"), permits("US, ca uk", "geo"), prohibits("search")),
                licence(permits("ai-input")),
            )
        )
    )
    unscoped, scoped = (found.declaration for found in result.found)
    assert "jurisdiction" not in unscoped
    assert unscoped["prohibition"] == [{"purpose": "search"}]  # geo never narrows a prohibition
    assert unscoped["permission"] == [{"purpose": "ai-inference"}]
    assert scoped["jurisdiction"] == ["CA", "GB", "US"]
    assert scoped["permission"] == [{"purpose": "ai-training"}, {"purpose": "ai-inference"}]
    assert "prohibition" not in scoped
    found = result.found
    assert (
        check(found, "ai-training", jurisdiction="US", policy="signals-only").decision == "allowed"
    )
    assert (
        check(found, "ai-training", jurisdiction="DE", policy="signals-only").decision == "unknown"
    )
    assert check(found, "ai-training", policy="signals-only").decision == "unknown"
    assert check(found, "search", jurisdiction="DE", policy="opt-out").decision == "denied"


def test_geo_prohibits_drops_permissions_and_keeps_prohibitions() -> None:
    result = read(
        doc(content(licence(permits("ai-train"), prohibits("search"), prohibits("CN", "geo"))))
    )
    assert purposes(result, "permission") == set()
    assert purposes(result, "prohibition") == {"search"}
    assert "jurisdiction" not in one(result)


@pytest.mark.parametrize("place", ["USA", "worldwide", "1", "*"])
def test_unknown_place_is_unreadable_and_drops_the_permission(place: str) -> None:
    result = read(doc(content(licence(permits("search"), permits(place, "geo")))))
    assert result.found == []
    assert [marker.purposes for marker in result.unreadable] == [frozenset({"search"})]


def test_free_payment_adds_nothing() -> None:
    value = one(read(doc(content(licence(permits("search"), '<payment type="free"/>')))))
    assert value["permission"] == [{"purpose": "search"}]
    assert "policyUrl" not in value


def test_attribution_payment_is_the_attribute_duty() -> None:
    value = one(read(doc(content(licence(permits("search"), '<payment type="attribution"/>')))))
    assert value["permission"] == [{"purpose": "search", "duty": ["attribute"]}]


@pytest.mark.parametrize(
    "kind", ["purchase", "subscription", "training", "crawl", "use", "contribution"]
)
@pytest.mark.parametrize("element", ["standard", "custom"])
def test_paying_types_are_compensate_with_their_terms(kind: str, element: str) -> None:
    payment = (
        f'<payment type="{kind}"><{element}>https://news.example/rates</{element}>'
        '<amount currency="USD">10</amount></payment>'
    )
    value = one(read(doc(content(licence(permits("ai-train"), payment)))))
    assert value["permission"] == [{"purpose": "ai-training", "duty": ["compensate"]}]
    assert value["policyUrl"] == "https://news.example/rates"


def test_compensate_without_a_url_points_at_the_terms_then_the_rsl_document() -> None:
    bare = '<payment type="purchase"/>'
    assert one(read(doc(content(licence(permits("ai-train"), bare)))))["policyUrl"] == RSL_URL
    with_terms = doc(
        '<content url="/"><terms>https://news.example/terms</terms>'
        + licence(permits("ai-train"), bare)
        + "</content>"
    )
    assert one(read(with_terms))["policyUrl"] == "https://news.example/terms"


def test_terms_become_the_policy_url() -> None:
    value = one(
        read(
            doc(
                '<content url="/"><terms>https://news.example/t</terms>'
                + licence(prohibits("ai-train"))
                + "</content>"
            )
        )
    )
    assert value["policyUrl"] == "https://news.example/t"


@pytest.mark.parametrize("payment", ['<payment type="barter"/>', "<payment/>"])
def test_unknown_payment_is_unreadable_and_drops_the_permission(payment: str) -> None:
    result = read(doc(content(licence(permits("search"), prohibits("ai-train"), payment))))
    assert purposes(result, "permission") == set()
    assert purposes(result, "prohibition") == {"ai-training"}
    assert [marker.purposes for marker in result.unreadable] == [frozenset({"search"})]


def test_unknown_condition_element_drops_the_permission() -> None:
    result = read(doc(content(licence(permits("search"), "<audit>monthly</audit>"))))
    assert result.found == []
    assert len(result.unreadable) == 1


def test_unknown_permits_type_drops_the_permission() -> None:
    result = read(doc(content(licence(permits("search"), permits("x", "bots")))))
    assert result.found == [] and len(result.unreadable) == 1


def test_licence_server_keeps_prohibitions() -> None:
    server = ' server="https://licensing.example"'
    result = read(doc(content(licence(permits("search"), prohibits("ai-train")), attrs=server)))
    assert purposes(result, "permission") == set()
    assert purposes(result, "prohibition") == {"ai-training"}
    assert result.unreadable == []


def test_informative_elements_and_attributes_are_ignored() -> None:
    result = read(
        doc(
            '<content url="/" encrypted="false" lastmod="2025-01-01T00:00:00Z">'
            "<schema>https://news.example/s.jsonld</schema><copyright>News Ltd</copyright>"
            + licence(permits("search"), '<legal type="warranty">ownership</legal>')
            + "</content>"
        )
    )
    assert one(result)["permission"] == [{"purpose": "search"}]
    assert result.unreadable == []


# --------------------------------------------------------------------------- selection


def test_longest_matching_content_wins_for_an_item() -> None:
    data = doc(
        content(licence(prohibits("ai-train")), url="/"),
        content(licence(permits("ai-train")), url="/free/"),
        content(licence(permits("search")), url="https://other.example/"),
    )
    free = read(data, item="https://news.example/free/a.html")
    assert one(free)["permission"] == [{"purpose": "ai-training"}]
    assert "prohibition" not in one(free)
    other = read(data, item="https://news.example/paid/a.html")
    assert one(other)["prohibition"] == [{"purpose": "ai-training"}]
    elsewhere = read(data, item="https://other.example/x")
    assert one(elsewhere)["permission"] == [{"purpose": "search"}]


def test_equally_long_patterns_are_all_read() -> None:
    data = doc(
        content(licence(permits("search")), url="/a*"),
        content(licence(prohibits("ai-train")), url="/*b"),
    )
    result = read(data, item="https://news.example/ab")
    assert purposes(result, "permission") == {"search"}
    assert purposes(result, "prohibition") == {"ai-training"}


def test_full_urls_and_wildcards() -> None:
    data = doc(content(licence(permits("search")), url="https://news.example/*.pdf$"))
    value = one(read(data))
    assert value["target"] == [{"urlPattern": "https://news.example/*.pdf$"}]
    assert read(data, item="https://news.example/a/b.pdf").found
    assert not read(data, item="https://news.example/a/b.pdf?x=1").found
    assert not read(data, item="https://news.example/b.html").found


def test_site_names_the_origin_of_bare_paths() -> None:
    data = doc(content(licence(permits("search")), url="/docs/"))
    value = one(read(data, site="https://blog.example"))
    assert value["target"] == [{"urlPattern": "https://blog.example/docs/"}]
    assert not read(data, item="https://news.example/docs/x", site="https://blog.example").found


def test_a_local_file_gives_bare_patterns() -> None:
    data = doc(content(licence(permits("search")), url="/docs/")).encode()
    result = read_rsl(data, Origin.for_bytes(data, "license.xml"))
    value = one(result)
    assert value["target"] == [{"urlPattern": "/docs/"}]
    assert value["declaredBy"]["id"].startswith("ni:///sha-256;")


@pytest.mark.parametrize("url", ["", "ftp://news.example/", "docs/", "https://*.example/", "/a b"])
def test_content_url_not_understood_is_unreadable(url: str) -> None:
    result = read(doc(content(licence(permits("search")), url=url)))
    assert result.found == []
    assert len(result.unreadable) == 1 and result.unreadable[0].purposes is None
    missing = read(doc("<content>" + licence(permits("search")) + "</content>"))
    assert missing.found == [] and len(missing.unreadable) == 1


# --------------------------------------------------------------------------- unreadable documents


@pytest.mark.parametrize(
    "data",
    [
        XML_BOMB,
        XML_EXTERNAL,
        b'<?xml version="1.0"?><!DOCTYPE rsl><rsl xmlns="https://rslstandard.org/rsl"/>',
        b'<!DOCTYPE r [<!ENTITY e "ai-train">]><rsl xmlns="https://rslstandard.org/rsl">'
        b'<content url="/"><license><permits type="usage">&e;</permits></license></content></rsl>',
        b'<rsl><content url="/"><license><permits type="usage">search</permits>'
        b"</license></content></rsl>",
        b'<rsl xmlns="https://example.org/other"/>',
        b"<rsl xmlns='https://rslstandard.org/rsl'><content url='/'>",
        b"",
        b"\x00",
        "<rsl xmlns='https://rslstandard.org/rsl'>é</rsl>".encode("latin-1"),
        b'<rsl xmlns="https://rslstandard.org/rsl">' + b"<x>" * 100 + b"</x>" * 100 + b"</rsl>",
        b'<?xml version="1.0" encoding="nonsense"?><rsl xmlns="https://rslstandard.org/rsl"/>',
    ],
)
def test_unusable_documents_are_unreadable_for_all_purposes(data: bytes) -> None:
    started = time.perf_counter()
    result = read(data)
    assert time.perf_counter() - started < 1
    assert result.found == []
    assert len(result.unreadable) == 1 and result.unreadable[0].purposes is None
    assert result.unreadable[0].carrier == CARRIER


def test_oversized_document_is_refused() -> None:
    data = doc(content(licence(permits("search")))).encode() + b" " * (10 * 1024 * 1024)
    result = read(data)
    assert result.found == [] and "limit" in result.unreadable[0].message


def test_every_truncation_yields_no_permission() -> None:
    for name in sorted(p.name for p in DATA.glob("*.xml")):
        data = corpus(name).rstrip()
        for cut in range(len(data)):
            result = read_rsl(data[:cut], Origin.for_bytes(data[:cut], name, url=RSL_URL))
            assert result.found == [], (name, cut)
            assert len(result.unreadable) == 1


def test_mutants_never_raise_and_never_permit_from_broken_bytes() -> None:
    seeds = [corpus(p.name) for p in sorted(DATA.glob("*.xml"))]
    seeds.append(write_rsl([_sample_declaration()], site=SITE).text.encode())
    started = time.perf_counter()
    count = validated = 0
    for data in mutants(seeds, count=2500):
        count += 1
        result = read_rsl(data, Origin.for_bytes(data, "m.xml", url=RSL_URL))
        has_permission = any("permission" in f.declaration for f in result.found)
        if b"\x00" in data or not _utf8(data):
            assert not has_permission
            assert result.unreadable
        for found in result.found:
            assert found.declaration["carrier"] == CARRIER
            assert set(found.declaration) <= _KEYS
            if validated < 150:  # the validator is slow; a sample of the reads is checked
                validated += 1
                assert validate_value(found.declaration).errors == 0, found.declaration
    assert count >= 2000 and validated == 150
    assert time.perf_counter() - started < 30


_KEYS = {
    "@context", "id", "type", "target", "declaredBy", "declaredAt", "basis", "retroactive",
    "permission", "prohibition", "policyUrl", "evidence", "carrier", "jurisdiction",
}  # fmt: skip


def _utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_never_raise(data: bytes) -> None:
    read_rsl(data, Origin.for_bytes(data, "x.xml", url=RSL_URL))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=2000))
def test_arbitrary_text_never_raises(text: str) -> None:
    data = text.encode("utf-8", "surrogatepass")
    read_rsl(data, Origin.for_bytes(data, "x.xml", url=RSL_URL))


_TOKEN_TEXT = st.lists(
    st.sampled_from(["all", "ai-all", "ai-train", "ai-input", "ai-index", "search", "x", ","]),
    max_size=4,
).map(" ".join)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            _TOKEN_TEXT,
            _TOKEN_TEXT,
            st.sampled_from(["", "non-commercial", "commercial", "education", "x"]),
            st.sampled_from(["", "US", "de", "EU", "XYZ"]),
            st.sampled_from(["", "free", "attribution", "training", "purchase", "nope"]),
        ),
        min_size=1,
        max_size=3,
    ),
    st.booleans(),
)
def test_generated_documents_read_to_valid_declarations(
    licences: list[tuple[str, str, str, str, str]], server: bool
) -> None:
    parts = []
    for allowed, denied, user, place, pay in licences:
        body = permits(allowed) + prohibits(denied)
        body += permits(user, "user") if user else ""
        body += permits(place, "geo") if place else ""
        body += (
            f'<payment type="{pay}"><standard>https://p.example/</standard></payment>'
            if pay
            else ""
        )
        parts.append(licence(body))
    attrs = ' server="https://s.example"' if server else ""
    result = read(doc(content(*parts, attrs=attrs)))  # read() validates every declaration
    if server:
        assert purposes(result, "permission") == set()


# --------------------------------------------------------------------------- writing


def _sample_declaration(**extra: Any) -> dict[str, Any]:
    value: dict[str, Any] = {
        "@context": "https://w3id.org/aiconsent/v1",
        "id": "urn:uuid:00000000-0000-4000-8000-000000000001",
        "type": "ConsentDeclaration",
        "target": [{"urlPattern": "https://news.example/articles/"}],
        "declaredBy": {"id": "https://news.example/", "role": "publisher"},
        "declaredAt": "2024-01-01T00:00:00Z",
        "basis": "license",
        "retroactive": True,
        "permission": [{"purpose": "ai-training", "duty": ["compensate"]}],
        "prohibition": [{"purpose": "ai-inference"}],
        "policyUrl": "https://news.example/rates",
    }
    value.update(extra)
    return {key: item for key, item in value.items() if item is not None}


def details(written: Any) -> list[tuple[str, str]]:
    return [(loss.kind, loss.detail.split(":", 1)[0]) for loss in written.losses]


def test_writer_output_is_rsl_that_reads_back() -> None:
    written = write_rsl([_sample_declaration()], site=SITE)
    assert written.media_type == "application/rsl+xml"
    assert '<content url="/articles/">' in written.text
    assert '<payment type="training">' in written.text
    assert "<standard>https://news.example/rates</standard>" in written.text
    assert details(written) == [("lost", "declaredBy"), ("lost", "declaredAt")]
    value = one(read(written.text))
    assert value["target"] == [{"urlPattern": "https://news.example/articles/"}]
    assert value["permission"] == [{"purpose": "ai-training", "duty": ["compensate"]}]
    assert value["prohibition"] == [{"purpose": "ai-inference"}]
    assert value["policyUrl"] == "https://news.example/rates"


@pytest.mark.parametrize(
    ("purpose", "token"),
    [
        ("tdm", "all"),
        ("ai-use", "ai-all"),
        ("ai-training", "ai-train"),
        ("ai-inference", "ai-input"),
        ("ai-index", "ai-index"),
        ("search", "search"),
    ],
)
def test_purposes_map_back_one_to_one(purpose: str, token: str) -> None:
    allowed = write_rsl(
        [_sample_declaration(permission=[{"purpose": purpose}], prohibition=None, policyUrl=None)]
    )
    assert f'<permits type="usage">{token}</permits>' in allowed.text
    denied = write_rsl([_sample_declaration(prohibition=[{"purpose": purpose}], permission=None)])
    assert f'<prohibits type="usage">{token}</prohibits>' in denied.text
    assert not [loss for loss in allowed.losses + denied.losses if loss.kind != "lost"]


def test_training_split_is_widened_for_prohibitions_and_dropped_for_permissions() -> None:
    denied = write_rsl(
        [_sample_declaration(prohibition=[{"purpose": "genai-training"}], permission=None)]
    )
    assert '<prohibits type="usage">ai-train</prohibits>' in denied.text
    assert ("widened", "purpose") in details(denied)
    allowed = write_rsl(
        [_sample_declaration(permission=[{"purpose": "non-generative-training"}], prohibition=None)]
    )
    assert "<license>" not in allowed.text
    assert ("dropped", "purpose") in details(allowed)


def test_conditions_written_or_dropped() -> None:
    value = _sample_declaration(
        permission=[
            {"purpose": "search", "constraint": ["non-commercial"]},
            {"purpose": "ai-index", "constraint": ["research"]},
            {"purpose": "ai-inference", "duty": ["attribute"]},
            {"purpose": "ai-training", "duty": ["notify"]},
            {"purpose": "tdm", "agent": ["GPTBot"]},
        ],
        prohibition=[{"purpose": "ai-training", "agent": ["CCBot"]}],
        jurisdiction=["EU"],
    )
    written = write_rsl([value], site=SITE)
    assert '<permits type="user">non-commercial</permits>' in written.text
    assert '<payment type="attribution"/>' in written.text
    assert '<permits type="geo">AT BE BG' in written.text
    kinds = details(written)
    assert kinds.count(("dropped", "constraint")) == 1  # research
    assert ("dropped", "duty notify") in kinds
    assert ("dropped", "agent") in kinds
    assert ("widened", "agent") in kinds
    assert ("widened", "jurisdiction") in kinds
    result = read(written.text)
    assert purposes(result, "prohibition") == {"ai-training"}
    scoped = [f.declaration for f in result.found if "jurisdiction" in f.declaration]
    assert len(scoped) == 1 and len(scoped[0]["jurisdiction"]) == 27
    assert {"purpose": "search", "constraint": ["non-commercial"]} in scoped[0]["permission"]


def test_compensate_payment_type_follows_the_purpose() -> None:
    value = _sample_declaration(
        permission=[
            {"purpose": "search", "duty": ["compensate"]},
            {"purpose": "ai-training", "duty": ["compensate"]},
        ],
        prohibition=None,
    )
    written = write_rsl([value])
    assert '<payment type="use">' in written.text and '<payment type="training">' in written.text


def test_everything_rsl_cannot_carry_is_reported() -> None:
    value = _sample_declaration(
        basis="explicit-consent",
        content={"minorAtCreation": True},
        withdrawalUrl="https://news.example/withdraw",
        evidence="https://news.example/receipt/1",
        validUntil="2031-01-01T00:00:00Z",
        target=[{"sha256": "0" * 64}, {"urlPattern": "https://news.example/x/"}],
    )
    kinds = details(write_rsl([value]))
    for expected in [
        ("lost", "declaredBy"),
        ("lost", "declaredAt"),
        ("lost", "basis"),
        ("lost", "content"),
        ("lost", "withdrawalUrl"),
        ("lost", "evidence"),
        ("lost", "validUntil"),
        ("lost", "target"),
        ("dropped", "validity period"),
    ]:
        assert expected in kinds, expected


def test_withdrawal_is_written_as_prohibitions() -> None:
    value = _sample_declaration(withdrawnAt="2024-06-01T00:00:00Z", prohibition=None)
    written = write_rsl([value])
    assert '<prohibits type="usage">ai-train</prohibits>' in written.text
    assert "<permits" not in written.text
    assert ("lost", "withdrawnAt") in details(written)


def test_non_retroactive_permission_is_dropped() -> None:
    written = write_rsl([_sample_declaration(retroactive=False, prohibition=None)])
    assert "<permits" not in written.text
    assert ("dropped", "retroactive false (RSL offers apply to all content)") in details(written)


def test_url_targets_stay_exact() -> None:
    value = _sample_declaration(target=[{"url": "https://news.example/a.html"}])
    written = write_rsl([value], site=SITE)
    assert '<content url="/a.html$">' in written.text
    assert read(written.text, item="https://news.example/a.html").found
    assert not read(written.text, item="https://news.example/a.html.bak").found


def test_shorter_pattern_prohibitions_are_carried_into_longer_ones() -> None:
    """RSL reads only the longest match; aiconsent applies both declarations."""
    general = _sample_declaration(
        target=[{"urlPattern": "/"}], permission=None, prohibition=[{"purpose": "ai-training"}]
    )
    special = _sample_declaration(
        id="urn:uuid:00000000-0000-4000-8000-000000000002",
        target=[{"urlPattern": "/free/"}],
        prohibition=None,
        permission=[{"purpose": "tdm"}],
        policyUrl=None,
    )
    written = write_rsl([general, special], site=SITE)
    item = read(written.text, item="https://news.example/free/x")
    assert check(item.found, "ai-training", policy="signals-only").decision == "denied"
    assert check(item.found, "search", policy="signals-only").decision == "allowed"
    assert ("widened", "target") in details(written)


# --------------------------------------------------------------------------- round trips

_PURPOSES = ["tdm", "ai-use", "ai-training", "genai-training", "non-generative-training",
             "ai-inference", "ai-index", "search"]  # fmt: skip
_ITEMS = [
    "https://news.example/",
    "https://news.example/a/",
    "https://news.example/a/b.jpg",
    "https://news.example/b.jpg",
    "https://news.example/c",
    "https://other.example/a/",
]
_TARGETS = ["/", "/a/", "/a/b.jpg", "/*.jpg", "https://other.example/", "https://news.example/c$"]


@st.composite
def _declarations(draw: st.DrawFn) -> dict[str, Any]:
    permissions = []
    for purpose in draw(st.lists(st.sampled_from(_PURPOSES), max_size=3, unique=True)):
        rule: dict[str, Any] = {"purpose": purpose}
        if draw(st.booleans()) and draw(st.booleans()):
            rule["constraint"] = ["non-commercial"]
        duties = draw(
            st.lists(st.sampled_from(["attribute", "compensate"]), unique=True, max_size=2)
        )
        if duties:
            rule["duty"] = sorted(duties)
        permissions.append(rule)
    prohibitions = [
        {"purpose": p} for p in draw(st.lists(st.sampled_from(_PURPOSES), max_size=2, unique=True))
    ]
    denied = {rule["purpose"] for rule in prohibitions}
    permissions = [r for r in permissions if "constraint" in r or r["purpose"] not in denied]
    if not permissions and not prohibitions:
        prohibitions = [{"purpose": "ai-training"}]
    target = draw(st.sampled_from(_TARGETS))
    place = draw(st.sampled_from([None, ["US"], ["EU"], ["DE", "FR"]]))
    return _sample_declaration(
        id=f"urn:uuid:{draw(st.uuids(version=4))}",
        declaredBy={"id": f"https://party{draw(st.integers(0, 99))}.example/", "role": "publisher"},
        target=[{"urlPattern": target}],
        permission=permissions or None,
        prohibition=prohibitions or None,
        policyUrl="https://news.example/rates",
        jurisdiction=place,
    )


def _matching(values: list[dict[str, Any]], item: str) -> list[dict[str, Any]]:
    out = []
    for value in values:
        pattern = value["target"][0]["urlPattern"]
        if pattern.startswith("/"):
            pattern = SITE + pattern
        origin, _, path = pattern.partition("//")[2].partition("/")
        item_origin = item.split("//")[1].split("/")[0]
        if origin == item_origin and matches("/" + path, path_of(item)):
            out.append(value)
    return out


_STANDARD = {("lost", "declaredBy"), ("lost", "declaredAt")}


_LEAVES = sorted(ALL_LEAVES)


def _answers(found: Any) -> dict[tuple[Any, ...], tuple[str, tuple[str, ...]]]:
    prepared = prepare(found)
    return {
        (leaf, place, use): (answer.decision, answer.duties)
        for leaf in _LEAVES
        for place in (None, "US", "DE")
        for use in (None, "commercial", "non-commercial")
        if (
            answer := check(
                prepared, leaf, jurisdiction=place, use_type=use, policy="signals-only", at=NOW
            )
        )
    }


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_declarations(), min_size=1, max_size=3))
def test_round_trip_never_more_permissive_and_exact_without_loss(
    values: list[dict[str, Any]],
) -> None:
    """For every item, leaf, place and use type: what the written RSL answers is never more
    permissive than the declarations; and it is the same answer when nothing but party and time
    was reported lost. (Each declaration is a different party's, so no tie-break is involved.)"""
    values = [
        {**value, "declaredBy": {"id": f"https://party{n}.example/", "role": "publisher"}}
        for n, value in enumerate(values)
    ]
    written = write_rsl(values, site=SITE)
    read(written.text)  # validates what is read
    exact = set(details(written)) <= _STANDARD
    # Dropping one party's permission can leave another's, with fewer duties, to decide.
    duties_kept = not [k for k in details(written) if k == ("lost", "duty") or k[0] == "dropped"]
    for item in _ITEMS:
        origin = Origin.for_bytes(b"", "license.xml", url=RSL_URL, target_url=item)
        before = _answers(_matching(values, item))
        after = _answers(read_rsl(written.text.encode(), origin).found)
        for key, (decision, duties) in after.items():
            context = (item, key, written.text, [str(loss) for loss in written.losses])
            if decision == "allowed":
                assert before[key][0] == "allowed", context
                assert set(duties) >= set(before[key][1]) or not duties_kept, context
            if exact:
                assert (decision, duties) == before[key], context


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_declarations())
def test_single_declaration_round_trip_is_exact_when_nothing_is_lost(value: dict[str, Any]) -> None:
    value = {**value, "target": [{"urlPattern": "/a/"}]}
    written = write_rsl([value], site=SITE)
    if not set(details(written)) <= _STANDARD:
        return
    back = read(written.text).found
    assert back, written.text
    assert all(f.declaration["target"] == [{"urlPattern": SITE + "/a/"}] for f in back)


def test_round_trip_of_a_typical_declaration_reports_only_party_and_time() -> None:
    written = write_rsl([_sample_declaration()], site=SITE)
    assert set(details(written)) == _STANDARD


# --------------------------------------------------------------------------- end to end


@pytest.mark.parametrize(
    ("name", "item", "purpose", "policy", "decision", "duties"),
    [
        (
            "constructed_two-licences.xml",
            None,
            "genai-training",
            "signals-only",
            "allowed",
            ["compensate"],
        ),
        ("constructed_two-licences.xml", None, "genai-training", "opt-in", "denied", []),
        (
            "constructed_two-licences.xml",
            None,
            "genai-training",
            "opt-out",
            "allowed",
            ["compensate"],
        ),
        ("constructed_two-licences.xml", None, "search", "signals-only", "allowed", ["attribute"]),
        ("constructed_two-licences.xml", None, "ai-index", "signals-only", "unknown", []),
        ("constructed_license-server.xml", None, "genai-training", "signals-only", "unknown", []),
        ("constructed_license-server.xml", None, "genai-training", "opt-in", "denied", []),
        ("constructed_prohibit-all.xml", None, "genai-training", "opt-out", "denied", []),
        ("constructed_prohibit-all.xml", None, "search", "signals-only", "denied", []),
        (
            "ireneburresi.dev_rsl_NONCONFORMING-extras.xml",
            "https://news.example/about",
            "genai-training",
            "opt-out",
            "denied",
            [],
        ),
        (
            "ireneburresi.dev_rsl_NONCONFORMING-extras.xml",
            "https://news.example/about",
            "search",
            "signals-only",
            "allowed",
            ["attribute"],
        ),
        (
            "ireneburresi.dev_rsl_NONCONFORMING-extras.xml",
            "https://news.example/blog/p",
            "search",
            "signals-only",
            "unknown",
            [],
        ),
        (
            "ireneburresi.dev_rsl_NONCONFORMING-extras.xml",
            "https://news.example/blog/p",
            "search",
            "opt-out",
            "denied",
            [],
        ),
        (
            "ireneburresi.dev_rsl_NONCONFORMING-extras.xml",
            "https://news.example/blog/p",
            "genai-training",
            "signals-only",
            "denied",
            [],
        ),
    ],
)
def test_check_answers_for_corpus_files(
    name: str, item: str | None, purpose: str, policy: str, decision: str, duties: list[str]
) -> None:
    result = read(corpus(name), item=item or "https://news.example/story")
    answer = check([*result.found, *result.unreadable], purpose, policy=policy)
    assert (answer.decision, list(answer.duties)) == (decision, duties)
