"""Every writer by the name `aiconsent convert --to NAME` uses, with one calling convention."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any, Final

from aiconsent.formats.common import Written

Writer = Callable[[Sequence[dict[str, Any]], str | None], Written]


def _jsonld(declarations: Sequence[dict[str, Any]], site: str | None) -> Written:
    document: Any = list(declarations) if len(declarations) != 1 else declarations[0]
    return Written(json.dumps(document, indent=2, ensure_ascii=False) + "\n", "application/ld+json")


def _content_usage(declarations: Sequence[dict[str, Any]], site: str | None) -> Written:
    from aiconsent.formats.aipref import write_content_usage

    written = write_content_usage(declarations)
    written.text = f"Content-Usage: {written.text.strip()}\n" if written.text.strip() else ""
    return written


def _content_signal(declarations: Sequence[dict[str, Any]], site: str | None) -> Written:
    from aiconsent.formats.content_signal import write_content_signal

    return write_content_signal(declarations)


def _robots(declarations: Sequence[dict[str, Any]], site: str | None) -> Written:
    from aiconsent.formats.robots import write_robots

    return write_robots(declarations, site=site)


def _tdmrep_json(declarations: Sequence[dict[str, Any]], site: str | None) -> Written:
    from aiconsent.formats.tdmrep import write_tdmrep_json

    return write_tdmrep_json(declarations, site=site or _site_of(declarations))


def _tdm_headers(declarations: Sequence[dict[str, Any]], site: str | None) -> Written:
    from aiconsent.formats.tdmrep import write_tdm_headers

    return write_tdm_headers(declarations)


def _tdm_meta(declarations: Sequence[dict[str, Any]], site: str | None) -> Written:
    from aiconsent.formats.tdmrep import write_tdm_meta

    return write_tdm_meta(declarations)


def _x_robots_tag(declarations: Sequence[dict[str, Any]], site: str | None) -> Written:
    from aiconsent.formats.noai import write_x_robots_tag

    return write_x_robots_tag(declarations)


def _rsl(declarations: Sequence[dict[str, Any]], site: str | None) -> Written:
    from aiconsent.formats.rsl import write_rsl

    return write_rsl(declarations, site=site)


def _ai_txt(declarations: Sequence[dict[str, Any]], site: str | None) -> Written:
    from aiconsent.formats.ai_txt import write_ai_txt

    return write_ai_txt(declarations, site=site)


def _odrl(declarations: Sequence[dict[str, Any]], site: str | None) -> Written:
    from aiconsent.formats.odrl import write_odrl

    return write_odrl(declarations)


def _cawg(declarations: Sequence[dict[str, Any]], site: str | None) -> Written:
    from aiconsent.formats.cawg import write_training_mining

    return write_training_mining(declarations)


def _iptc(declarations: Sequence[dict[str, Any]], site: str | None) -> Written:
    from aiconsent.formats.iptc import write_data_mining

    value = write_data_mining(declarations)
    lines = []
    if value.uri:
        lines.append(f"Xmp.plus.DataMining: {value.uri}")
    for language, text in (value.other_constraints or {}).items():
        lines.append(f"Xmp.plus.OtherConstraints[{language}]: {text}")
    return Written("\n".join(lines) + ("\n" if lines else ""), "text/plain", list(value.losses))


def _site_of(declarations: Sequence[dict[str, Any]]) -> str:
    from urllib.parse import urlsplit

    for value in declarations:
        for target in value.get("target", []):
            for key in ("url", "urlPattern"):
                parts = urlsplit(target.get(key, ""))
                if parts.scheme and parts.netloc:
                    return f"{parts.scheme}://{parts.netloc}"
    raise ValueError("tdmrep.json needs the site: give --site https://host")


WRITERS: Final[dict[str, Writer]] = {
    "jsonld": _jsonld,
    "content-usage": _content_usage,
    "content-signal": _content_signal,
    "robots-txt": _robots,
    "tdmrep-json": _tdmrep_json,
    "tdm-headers": _tdm_headers,
    "tdm-meta": _tdm_meta,
    "x-robots-tag": _x_robots_tag,
    "rsl": _rsl,
    "ai-txt": _ai_txt,
    "odrl": _odrl,
    "cawg": _cawg,
    "iptc": _iptc,
}


def write(name: str, declarations: Sequence[dict[str, Any]], *, site: str | None = None) -> Written:
    """Write declarations in the named format; KeyError for an unknown name."""
    return WRITERS[name](declarations, site)


def convert(declarations: Sequence[dict[str, Any]], to: str, *, site: str | None = None) -> Written:
    """Write declarations in the named format — the API of `aiconsent convert`.

    Raises ValueError for an unknown format name.
    """
    if to not in WRITERS:
        raise ValueError(f"unknown format {to!r}; choose one of {', '.join(WRITERS)}")
    return write(to, declarations, site=site)
