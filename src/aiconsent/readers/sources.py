"""Read SOURCEs — files, `-` for standard input, header lines, or fetched URLs — with the reader
their bytes call for (spec §9), into one ReadResult.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

from aiconsent.formats.common import Origin
from aiconsent.model.found import ReadResult, Unreadable
from aiconsent.readers.detect import Format, detect
from aiconsent.readers.jsonld import read_jsonld


class SourceError(Exception):
    """A source that cannot be read at all: missing, a folder, not permitted, unsupported."""


DEFAULT_MAX_BYTES: Final = 10 * 1024 * 1024


@dataclass(slots=True)
class SourceReport:
    """What one source yielded, for `aiconsent read`'s summary."""

    source: str
    format: Format
    count: int
    carriers: list[str] = field(default_factory=list)


def _site(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


@dataclass(frozen=True, slots=True)
class Question:
    """What site-wide files (robots.txt, tdmrep.json, ai.txt, RSL) are read for."""

    item: str | None = None
    agent: str | None = None
    # c2pa SDK settings (trust anchors) for C2PA manifests; None: a valid signature suffices
    c2pa_trust: Mapping[str, Any] | None = None


def read_bytes(
    data: bytes,
    name: str,
    *,
    url: str | None = None,
    base: str | None = None,
    question: Question = Question(),
) -> tuple[ReadResult, Format]:
    """Read one source's bytes with the reader its format needs."""
    kind = detect(data, name)
    if kind == "jsonld":
        return read_jsonld(data, name, base=base), kind
    reader = _READERS.get(kind)
    if reader is None:
        raise SourceError(f"{name}: {_unsupported(kind)}")
    origin = Origin.for_bytes(data, name, url=url, target_url=question.item)
    return reader(data, origin, _site(url), question), kind


def _unsupported(kind: Format) -> str:
    return (
        "not a format aiconsent reads "
        "(declarations, robots.txt, ai.txt, headers, HTML, RSL, TDMRep, ODRL, C2PA JSON)"
    )


def _robots(data: bytes, origin: Origin, site: str | None, question: Question) -> ReadResult:
    from aiconsent.formats.robots import read_robots

    return read_robots(data, origin, site=site, agent=question.agent, item=question.item)


def _ai_txt(data: bytes, origin: Origin, site: str | None, question: Question) -> ReadResult:
    from aiconsent.formats.ai_txt import read_ai_txt

    return read_ai_txt(data, origin, site=site, agent=question.agent)


def _tdmrep_json(data: bytes, origin: Origin, site: str | None, question: Question) -> ReadResult:
    from aiconsent.formats.tdmrep import read_tdmrep_json

    return read_tdmrep_json(data, origin, url=question.item)


def _epub(data: bytes, origin: Origin, site: str | None, question: Question) -> ReadResult:
    from aiconsent.formats.tdmrep import read_epub_opf

    return read_epub_opf(data, origin)


def _xmp(data: bytes, origin: Origin, site: str | None, question: Question) -> ReadResult:
    from aiconsent.formats.tdmrep import read_pdf_xmp

    return read_pdf_xmp(data, origin)


def _rsl(data: bytes, origin: Origin, site: str | None, question: Question) -> ReadResult:
    from aiconsent.formats.rsl import read_rsl

    return read_rsl(data, origin, site=site)


def _odrl(data: bytes, origin: Origin, site: str | None, question: Question) -> ReadResult:
    from aiconsent.formats.odrl import read_odrl

    return read_odrl(data, origin)


def _manifest_store(
    data: bytes, origin: Origin, site: str | None, question: Question
) -> ReadResult:
    from aiconsent.formats.cawg import read_manifest_store

    return read_manifest_store(json.loads(data.decode("utf-8-sig")), origin).result


def _pdf(data: bytes, origin: Origin, site: str | None, question: Question) -> ReadResult:
    from aiconsent.carriers.pdf_xmp import read_pdf

    return read_pdf(data, origin.source)


def _image(data: bytes, origin: Origin, site: str | None, question: Question) -> ReadResult:
    from aiconsent.carriers.c2pa_manifest import read_c2pa
    from aiconsent.carriers.image_xmp import read_image

    result = read_image(data, origin.source)
    result.extend(read_c2pa(data, origin.source, trust_settings=question.c2pa_trust))
    return result


def _headers(data: bytes, origin: Origin, site: str | None, question: Question) -> ReadResult:
    from aiconsent.formats.headers import read_response

    return read_response(data, origin)


def _content_usage(data: bytes, origin: Origin, site: str | None, question: Question) -> ReadResult:
    from aiconsent.formats.aipref import read_content_usage_header

    text = data.decode("utf-8", errors="replace")
    return read_content_usage_header([line for line in text.splitlines() if line.strip()], origin)


def _html(data: bytes, origin: Origin, site: str | None, question: Question) -> ReadResult:
    from aiconsent.formats.html import read_html
    from aiconsent.validation.semantic import known_agents

    return read_html(data, origin, known_agents=known_agents())


def _card(data: bytes, origin: Origin, site: str | None, question: Question) -> ReadResult:
    from aiconsent.cards.reading import read_card_result

    return read_card_result(data, origin.source or "<card>")


_READERS: Final[dict[str, Callable[[bytes, Origin, str | None, Question], ReadResult]]] = {
    "robots-txt": _robots,
    "ai-txt": _ai_txt,
    "tdmrep-json": _tdmrep_json,
    "epub-opf": _epub,
    "xmp": _xmp,
    "pdf": _pdf,
    "rsl": _rsl,
    "odrl": _odrl,
    "c2pa-manifest-store": _manifest_store,
    "http-response": _headers,
    "content-usage": _content_usage,
    "html": _html,
    "image": _image,
    "croissant": _card,
    "hf-card": _card,
}


def read_source(
    source: str | os.PathLike[str],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    url: str | None = None,
    question: Question = Question(),
) -> tuple[ReadResult, SourceReport]:
    """Read one source (a path, or '-' for stdin); raise SourceError if it cannot be had."""
    name = os.fspath(source)
    base: str | None = None
    if name == "-":
        data = sys.stdin.buffer.read(max_bytes + 1)
        name = "<stdin>"
    else:
        path = Path(name)
        try:
            if path.is_dir():
                raise SourceError(f"{name}: is a folder, not a file")
            size = path.stat().st_size
            if size > max_bytes:
                message = f"the file has {size} bytes; the limit is {max_bytes} bytes"
                result = ReadResult(unreadable=[Unreadable(name, message)])
                return result, SourceReport(name, "unknown", 0)
            data = path.read_bytes()
        except FileNotFoundError:
            raise SourceError(f"{name}: no such file") from None
        except PermissionError:
            raise SourceError(f"{name}: permission denied") from None
        except OSError as error:
            raise SourceError(f"{name}: cannot be read ({error.strerror or error})") from None
        base = path.resolve().as_uri()
    if len(data) > max_bytes:
        result = ReadResult(unreadable=[Unreadable(name, f"more than {max_bytes} bytes")])
        return result, SourceReport(name, "unknown", 0)
    sidecar = _sidecar_of(name)
    try:
        result, kind = read_bytes(data, name, url=url, base=base, question=question)
    except SourceError:
        if sidecar is None:
            raise
        result, kind = ReadResult(), "unknown"
    if sidecar is not None:
        result.extend(sidecar)
    return result, _report(name, kind, result)


def _sidecar_of(name: str) -> ReadResult | None:
    """The declarations of `NAME.consent.jsonld` next to a content file, checked against it."""
    from aiconsent.carriers.sidecar import SidecarError, read_sidecar, sidecar_path

    if name == "<stdin>" or name.endswith(".consent.jsonld"):
        return None
    content = Path(name)
    if not sidecar_path(content).is_file():
        return None
    try:
        return read_sidecar(content)
    except SidecarError as error:
        return ReadResult(
            unreadable=[Unreadable(str(sidecar_path(content)), str(error), "sidecar")]
        )


def read_header_lines(
    lines: Iterable[str], *, url: str | None = None
) -> tuple[ReadResult, SourceReport]:
    """`--header 'Name: value'` options, read as the headers of one response."""
    from aiconsent.formats.headers import parse_header_lines, read_headers

    texts = list(lines)
    data = "\n".join(texts).encode("utf-8")
    origin = Origin.for_bytes(data, "--header", url=url)
    result = read_headers(parse_header_lines(texts), origin)
    return result, _report("--header", "http-response", result)


def _report(name: str, kind: Format, result: ReadResult) -> SourceReport:
    carriers = sorted({item.carrier for item in result.found})
    return SourceReport(name, kind, len(result.found), carriers)


def read_paths(sources: Iterable[str | os.PathLike[str]]) -> ReadResult:
    """Read several sources into one result."""
    return read(sources)


def read(
    sources: str | os.PathLike[str] | Iterable[str | os.PathLike[str]] = (),
    *,
    headers: Iterable[str] = (),
    url: str | None = None,
    item: str | None = None,
    agent: str | None = None,
    c2pa_trust: Mapping[str, Any] | None = None,
) -> ReadResult:
    """Every declaration (and unreadable signal) in the sources and header lines — the API of
    `aiconsent read`. Raises SourceError for a source that cannot be read at all.
    `c2pa_trust`: c2pa SDK settings naming trust anchors (see `c2pa_trust_settings`)."""
    paths = [sources] if isinstance(sources, str | os.PathLike) else list(sources)
    result = ReadResult()
    asked = Question(item, agent, c2pa_trust)
    for source in paths:
        result.extend(read_source(source, url=url, question=asked)[0])
    lines = list(headers)
    if lines:
        result.extend(read_header_lines(lines, url=url)[0])
    return result


def read_url(
    url: str,
    *,
    allow_private: bool = False,
    agent: str | None = None,
    c2pa_trust: Mapping[str, Any] | None = None,
) -> tuple[ReadResult, list[SourceReport]]:
    """Fetch a resource and its site's robots.txt, tdmrep.json and ai.txt, and read them all.

    The resource itself must be fetched (else SourceError); a site file that is absent (404, 410)
    says nothing, and one that fails otherwise becomes an unreadable signal.
    """
    from aiconsent.formats.headers import read_headers
    from aiconsent.readers.fetch import FetchError, fetch, site_urls

    result = ReadResult()
    reports: list[SourceReport] = []
    try:
        response = fetch(url, allow_private=allow_private)
    except FetchError as error:
        raise SourceError(str(error)) from None
    origin = Origin.for_bytes(response.body, response.url, url=response.url)
    header_result = read_headers(response.headers, origin)
    result.extend(header_result)
    reports.append(_report(f"{response.url} (headers)", "http-response", header_result))
    if response.status < 400 and response.body:
        kind = detect(response.body, urlsplit(response.url).path)
        if kind in _READERS or kind == "jsonld":
            body_result, kind = read_bytes(
                response.body,
                response.url,
                url=response.url,
                question=Question(response.url, agent, c2pa_trust),
            )
            result.extend(body_result)
            reports.append(_report(response.url, kind, body_result))
    for carrier, site_url in site_urls(response.url).items():
        try:
            site_file = fetch(site_url, allow_private=allow_private, max_bytes=512 * 1024)
        except FetchError as error:
            result.unreadable.append(Unreadable(site_url, str(error), carrier))
            continue
        if site_file.status in (404, 410):
            continue
        if site_file.status >= 400:
            result.unreadable.append(Unreadable(site_url, f"HTTP {site_file.status}", carrier))
            continue
        try:
            asked = Question(item=response.url, agent=agent)
            file_result, kind = read_bytes(site_file.body, site_url, url=site_url, question=asked)
        except SourceError as error:
            result.unreadable.append(Unreadable(site_url, str(error), carrier))
            continue
        result.extend(file_result)
        reports.append(_report(site_url, kind, file_result))
    return result, reports
