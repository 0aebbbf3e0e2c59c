"""The HTML report: self-contained, escaped, accessible, and it renders in a real browser."""

from __future__ import annotations

import copy
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from aiconsent.auditing.report import render_report, write_report

CHROMIUM = shutil.which("chromium") or (
    "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
)
HOSTILE = '<script>alert("x")</script><img src=https://evil.example/x.png onerror=alert(1)>'


def _counts(allowed: int, denied: int, unknown: int) -> dict[str, int]:
    return {"allowed": allowed, "denied": denied, "unknown": unknown}


TOTALS: dict[str, Any] = {
    "at": "2026-10-01T00:00:00Z",
    "byBasis": {"explicit-consent": _counts(118, 0, 0), "terms-of-service": _counts(0, 18, 0)},
    "byCarrier": {"xmp": _counts(100, 10, 0), "c2pa": _counts(18, 8, 0)},
    "byJurisdiction": {"everywhere": _counts(118, 18, 0)},
    "byReason": {"permitted": 118, "basis-not-accepted": 18, "policy-default": 18},
    "bySource": {
        "https://photos.example": _counts(100, 5, 0),
        HOSTILE: _counts(18, 13, 0),
        **{f"folder{i}": _counts(1, 0, 0) for i in range(20)},
    },
    "byYear": {"2012": _counts(40, 2, 0), "2019": _counts(78, 16, 0), "unknown": _counts(0, 1, 0)},
    "decisions": _counts(118, 19, 0),
    "declarations": 250,
    "engine": "duckdb",
    "examples": {"denied": [HOSTILE, "sha256:" + "b" * 64], "unknown": []},
    "items": 137,
    "jurisdiction": None,
    "manifest": "consent/items.parquet",
    "minors": {"items": 3, "allowed": 0, "denied": 3, "unknown": 0},
    "policy": "opt-in",
    "purposes": ["genai-training"],
    "sha256": "0" * 64,
    "unreadableItems": 1,
    "withdrawn": {"items": 2, "allowed": 0, "denied": 2, "unknown": 0},
}


def test_hostile_strings_are_escaped() -> None:
    """Items and sources are attacker-controlled: no tag of theirs survives."""
    text = render_report(TOTALS, title=HOSTILE, dataset=HOSTILE)
    assert "<script" not in text
    assert "<img" not in text
    assert "&lt;script&gt;" in text


class _Tags(HTMLParser):
    """Every start tag and its attributes, as a browser's tokenizer sees them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def test_no_external_requests() -> None:
    """Self-contained: no remote resource, no script, and a CSP that forbids loading anything."""
    text = render_report(TOTALS)
    parser = _Tags()
    parser.feed(text)
    names = {tag for tag, _ in parser.tags}
    assert not names & {"script", "img", "link", "iframe", "object", "embed", "image", "use"}
    for _, attributes in parser.tags:
        for name in ("src", "href", "xlink:href", "action", "srcset"):
            assert name not in attributes
    clean = render_report({**TOTALS, "bySource": {}, "examples": {"denied": [], "unknown": []}})
    assert "http://" not in clean
    assert not re.search(r"""(?:src|href)\s*=""", clean, re.IGNORECASE)
    assert "@import" not in text
    assert "url(" not in text
    assert "default-src 'none'" in text


def test_accessible_charts_and_tables() -> None:
    """Charts have titles and descriptions; tables have header cells with scope."""
    text = render_report(TOTALS)
    assert text.count('role="img"') == 2
    assert '<title id="chart-year-title">Outcomes by creation year</title>' in text
    assert '<title id="chart-source-title">Outcomes by source</title>' in text
    assert '<th scope="col">reason</th>' in text
    assert '<html lang="en">' in text


def test_many_sources_are_grouped() -> None:
    """Past fifteen sources the rest become one bar, so the chart stays legible."""
    text = render_report(TOTALS)
    chart = text[text.index('id="chart-source"') :]
    chart = chart[: chart.index("</svg>")]
    assert "7 other sources" in chart


def test_empty_audit_renders() -> None:
    """A manifest with no items still gives a valid page."""
    empty = copy.deepcopy(TOTALS)
    empty.update(items=0, declarations=0, unreadableItems=0, decisions=_counts(0, 0, 0))
    for key in ("byBasis", "byCarrier", "byJurisdiction", "byReason", "bySource", "byYear"):
        empty[key] = {}
    empty["examples"] = {"denied": [], "unknown": []}
    text = render_report(empty)
    assert 'id="count-items">0<' in text
    assert "No items." in text


def _chromium(tmp_path: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={tmp_path / 'profile'}",
        *arguments,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_renders_in_headless_chromium(tmp_path: Path) -> None:
    """The browser's DOM holds the numbers, and the screenshot is a real picture."""
    from PIL import Image

    report = write_report(tmp_path / "report.html", TOTALS, title=HOSTILE)
    dom = _chromium(tmp_path, "--dump-dom", report.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert 'id="count-allowed">118<' in dom.stdout
    assert 'id="count-denied">19<' in dom.stdout
    assert 'id="count-items">137<' in dom.stdout
    assert "<rect" in dom.stdout
    assert "<script" not in dom.stdout.replace("&lt;script", "")
    shot = tmp_path / "shot.png"
    run = _chromium(tmp_path, f"--screenshot={shot}", "--window-size=1200,1600", report.as_uri())
    assert run.returncode == 0, run.stderr[-2000:]
    with Image.open(shot) as image:
        assert image.format == "PNG"
        colours = image.convert("RGB").getcolors(maxcolors=1 << 20)
    assert colours is None or len(colours) > 10  # not blank: text, bars in several colours
    rgb = {colour for _, colour in colours or []}
    assert (0x2E, 0x7D, 0x32) in rgb  # the allowed bars were drawn
    assert (0xC6, 0x28, 0x28) in rgb  # and the denied ones
