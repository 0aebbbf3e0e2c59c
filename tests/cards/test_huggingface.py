"""A DatasetConsent under `consent:` in Hugging Face cards (spec §10.3): every other byte kept."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from aiconsent.cards.front_matter import find_front_matter
from aiconsent.cards.huggingface import HfCardError, extract_hf_card, read_hf_card, write_hf_card

from .consents import HF_CARDS, consent_for

EDITABLE = [p for p in HF_CARDS if p.name != "sample_invalid_card_data.md"]
CONSENT = consent_for("https://huggingface.co/datasets/example/harbour-photos")
WRITTEN = {k: v for k, v in CONSENT.items() if k != "@context"}  # v1 context is implied


def read_text(path: Path) -> str:
    with path.open(encoding="utf-8", newline="") as handle:
        return handle.read()


def without_consent_block(text: str) -> str:
    """The card with the lines of the top-level consent: entry removed."""
    lines = text.splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith("consent:"))
    end = start + 1
    while end < len(lines) and lines[end].startswith(" "):
        end += 1
    return "".join(lines[:start] + lines[end:])


def safe_loads(front: str) -> list[Any]:
    """The front matter as huggingface_hub-like safe loaders see it (PyYAML when installed)."""
    loaded = [YAML(typ="safe", pure=True).load(front)]
    try:
        import yaml
    except ImportError:  # pragma: no cover - PyYAML is not a dependency of aiconsent
        return loaded
    return [*loaded, yaml.safe_load(front)]


@pytest.mark.parametrize("path", EDITABLE, ids=[p.name for p in EDITABLE])
def test_attach_changes_nothing_else_and_reads_back(path: Path) -> None:
    original = read_text(path)
    written = write_hf_card(original, CONSENT)
    front = find_front_matter(original)
    if front is None:  # a new front matter is put before the untouched text
        assert written.endswith(original)
        assert written.startswith("---\nconsent:\n")
    else:
        assert without_consent_block(written) == original
    assert write_hf_card(written, CONSENT) == written
    found, issues = read_hf_card(written)
    assert issues == []
    assert found == WRITTEN
    new_front = find_front_matter(written)
    assert new_front is not None
    for loaded in safe_loads(new_front.yaml(written)):
        assert loaded["consent"] == WRITTEN  # "NO" stays Norway, dates stay strings


def test_crlf_stays_crlf() -> None:
    path = next(p for p in HF_CARDS if p.name == "sample_windows_line_breaks.md")
    original = read_text(path)
    assert "\r\n" in original
    written = write_hf_card(original, CONSENT)
    assert written.count("\n") == written.count("\r\n")
    assert without_consent_block(written) == original


def test_replacing_keeps_comments_and_neighbours() -> None:
    card = (
        "---\n# licence first\nlicense: mit  # SPDX\n"
        "consent:\n  id: old\n  itemCount: 1 # note\n"
        "# a comment about tags\ntags: ['a', \"b\"]\n---\n# Title\n\nBody ---\n"
    )
    written = write_hf_card(card, CONSENT)
    assert written.startswith("---\n# licence first\nlicense: mit  # SPDX\nconsent:\n")
    assert written.endswith(
        "# a comment about tags\ntags: ['a', \"b\"]\n---\n# Title\n\nBody ---\n"
    )
    assert "id: old" not in written
    assert read_hf_card(written) == (WRITTEN, [])


def test_front_matter_that_is_a_list_is_refused() -> None:
    path = next(p for p in HF_CARDS if p.name == "sample_invalid_card_data.md")
    text = read_text(path)
    found, issues = read_hf_card(text)
    assert found is None
    assert [i.code for i in issues] == ["AIC602"]
    assert "not a mapping" in issues[0].message and "line" in issues[0].message
    with pytest.raises(HfCardError, match="not a mapping"):
        write_hf_card(text, CONSENT)


def test_no_front_matter_means_no_consent() -> None:
    path = next(p for p in HF_CARDS if p.name == "sample_no_metadata.md")
    assert read_hf_card(read_text(path)) == (None, [])


@pytest.mark.parametrize(
    ("block", "code", "pointer"),
    [
        ("consent:\n  itemCount: !!int 5\n", "AIC603", "/consent/itemCount"),
        ("base: &b {policy: opt-in}\nconsent:\n  <<: *b\n", "AIC603", "/consent"),
        ("consent:\n  itemCount: 1\n  itemCount: 2\n", "AIC104", "/consent/itemCount"),
        ("consent:\n  itemCount: .inf\n", "AIC106", "/consent/itemCount"),
        ("consent:\n  itemCount: 1e400\n", "AIC106", "/consent/itemCount"),
        ("consent:\n  ? [a]\n  : 1\n", "AIC603", "/consent"),
        ("consent: [1, 2]\n", "AIC203", "/consent"),
        ("consent: {a: [\n", "AIC602", ""),
        ("consent: 1\n...\nconsent: 2\n", "AIC602", ""),
    ],
)
def test_unsafe_or_non_json_yaml_is_an_issue(block: str, code: str, pointer: str) -> None:
    found, issues = read_hf_card(f"---\n{block}---\nbody\n")
    assert found is None
    assert (issues[0].code, issues[0].path) == (code, pointer)
    assert "(line " in issues[0].message


def test_alias_bomb_is_bounded() -> None:
    """Nine levels of nine aliases would expand to gigabytes; measured, not expanded."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    text = "---\n" + "\n".join(lines) + "\nconsent: {policy: *a9}\n---\n"
    found, issues = read_hf_card(text)
    assert found is None
    assert issues[0].code == "AIC603" and "more than the limit" in issues[0].message


def test_an_alias_inside_itself_is_refused() -> None:
    found, issues = read_hf_card("---\nconsent: &c {policy: [*c]}\n---\n")
    assert found is None and issues[0].code == "AIC603"


def test_a_few_aliases_are_fine() -> None:
    text = "---\nx: &p [genai-training]\nconsent:\n  purposeAssessed: *p\n---\n"
    assert read_hf_card(text) == ({"purposeAssessed": ["genai-training"]}, [])


def test_deep_nesting_is_bounded() -> None:
    text = "---\nconsent: " + "[" * 200 + "]" * 200 + "\n---\n"
    found, issues = read_hf_card(text)
    assert found is None and issues[0].code == "AIC602"


def test_dates_stay_strings_and_lines_are_known() -> None:
    text = (
        "---\nlicense: mit\nconsent:\n  signalsChecked:\n    checkedAt: 2026-10-01T00:00:00Z\n---\n"
    )
    reading = extract_hf_card(text)
    assert reading.consent == {"signalsChecked": {"checkedAt": "2026-10-01T00:00:00Z"}}
    assert reading.line_of("/signalsChecked/checkedAt") == 5
    assert reading.line_of("/signalsChecked/carrier/0") == 4
    assert reading.line_of("") == 3
