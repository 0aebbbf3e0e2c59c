"""HTML pages (spec §9.1): our JSON-LD, and every meta form, read in one pass.

- `<script type="application/ld+json">` holding aiconsent declarations (other JSON-LD, such as
  schema.org markup, is not ours and is ignored);
- `<meta name="robots" content="noai, noimageai">` and agent-named meta (`name="img2dataset"`);
- `<meta name="tdm-reservation">` / `<meta name="tdm-policy">`;
- `<link rel="license" href=…>` (RSL discovery), reported for the caller.
Parsed with the standard library's tolerant HTML tokenizer; nothing is fetched.
"""

from __future__ import annotations

import json
from html.parser import HTMLParser
from typing import Any, Final

from aiconsent.formats.common import Origin, unreadable
from aiconsent.model.found import ReadResult

CARRIER: Final = "html"
CONTEXT: Final = "https://w3id.org/aiconsent/v1"


class _Collector(HTMLParser):
    """Collects the meta, link and JSON-LD script elements of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: list[tuple[str, str]] = []
        self.links: list[dict[str, str]] = []
        self.scripts: list[str] = []
        self._in_jsonld = False
        self._buffer: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name.lower(): value or "" for name, value in attrs}
        if tag == "meta" and "name" in values:
            self.meta.append((values["name"].strip().lower(), values.get("content", "")))
        elif tag == "link":
            self.links.append(values)
        elif tag == "script" and values.get("type", "").strip().lower() == "application/ld+json":
            self._in_jsonld, self._buffer = True, []

    def handle_data(self, data: str) -> None:
        if self._in_jsonld:
            self._buffer.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._in_jsonld:
            self._in_jsonld = False
            self.scripts.append("".join(self._buffer))


def _is_ours(document: Any) -> bool:
    """Whether a JSON-LD block uses the aiconsent context (anywhere at its top level)."""
    items = document if isinstance(document, list) else [document]
    for item in items:
        if not isinstance(item, dict):
            continue
        context = item.get("@context")
        contexts = context if isinstance(context, list) else [context]
        if CONTEXT in contexts:
            return True
    return False


def read_html(
    data: bytes, origin: Origin, *, known_agents: frozenset[str] = frozenset()
) -> ReadResult:
    """Every aiconsent declaration and AI-use meta signal of one page."""
    from aiconsent.formats.noai import read_noai
    from aiconsent.readers.jsonld import read_jsonld

    result = ReadResult()
    text = data.decode("utf-8", errors="replace")
    collector = _Collector()
    try:
        collector.feed(text)
        collector.close()
    except (AssertionError, ValueError) as error:  # the tokenizer's own complaints
        unreadable(result, origin, CARRIER, f"the page could not be tokenized: {error}")
        return result
    for index, script in enumerate(collector.scripts):
        try:
            document = json.loads(script)
        except (json.JSONDecodeError, RecursionError):
            if CONTEXT in script:
                unreadable(result, origin, CARRIER, f"JSON-LD block {index} does not parse")
            continue
        if _is_ours(document):
            block = read_jsonld(script.encode("utf-8"), f"{origin.source}#jsonld-{index}")
            result.found.extend(
                type(item)(item.declaration, item.source, CARRIER) for item in block.found
            )
            result.unreadable.extend(block.unreadable)
    robots = [content for name, content in collector.meta if name == "robots"]
    robots += [f"{name}: {content}" for name, content in collector.meta if name in known_agents]
    if robots:
        result.extend(read_noai(robots, origin, CARRIER))
    reservation = [content for name, content in collector.meta if name == "tdm-reservation"]
    policy = [content for name, content in collector.meta if name == "tdm-policy"]
    if reservation or policy:
        from aiconsent.formats.tdmrep import tdm_values

        result.extend(
            tdm_values(
                reservation[-1] if reservation else None,
                policy[-1] if policy else None,
                origin,
                CARRIER,
            )
        )
    for link in collector.links:
        if "license" in link.get("rel", "").lower().split():
            result.other.append(
                {
                    "license": link.get("href", ""),
                    "type": link.get("type", ""),
                    "source": origin.source,
                }
            )
    return result
