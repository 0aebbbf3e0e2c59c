"""Which reader a file needs, told from its bytes (and, where bytes cannot tell, its name).

robots.txt and ai.txt share one grammar: only the name tells them apart.
"""

from __future__ import annotations

import json
import re
from typing import Final, Literal

from aiconsent.carriers.content import image_media_type

Format = Literal[
    "jsonld",
    "odrl",
    "tdmrep-json",
    "c2pa-manifest-store",
    "http-response",
    "content-usage",
    "robots-txt",
    "ai-txt",
    "html",
    "rsl",
    "epub-opf",
    "xmp",
    "pdf",
    "image",
    "croissant",
    "hf-card",
    "unknown",
]

_USER_AGENT_LINE: Final = re.compile(rb"^\s*user-agent\s*:", re.IGNORECASE | re.MULTILINE)
_PREFERENCE_LINE: Final = re.compile(
    rb"^\s*(content-usage|content-signal)\s*:", re.IGNORECASE | re.MULTILINE
)
_HEADER_LINE: Final = re.compile(
    rb"^(content-usage|x-robots-tag|tdm-reservation|tdm-policy|link|content-type)\s*:",
    re.IGNORECASE | re.MULTILINE,
)
_STATUS_LINE: Final = re.compile(rb"^(HTTP/\S+\s+)?[1-5][0-9][0-9]\b[^\n]*\n")
_SF_DICTIONARY: Final = re.compile(rb"^\s*[a-z*][a-z0-9_.*-]*\s*=")


def detect(data: bytes, name: str = "") -> Format:
    """The format of a file, from its first bytes (name only for robots.txt vs ai.txt)."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    lowered = head.lower()
    if head.startswith(b"%PDF-"):
        return "pdf"
    if image_media_type(head) is not None:
        return "image"
    if head.startswith(b"HTTP/") or (_STATUS_LINE.match(head) and _HEADER_LINE.search(head)):
        return "http-response"
    if head.startswith(b"---"):
        return "hf-card"  # YAML front matter: a Hugging Face dataset card (spec §10.3)
    if head[:1] in (b"{", b"["):
        return _json_kind(data)
    if lowered.startswith((b"<!doctype html", b"<html")) or b"<html" in lowered[:1024]:
        return "html"
    if head.startswith(b"<"):
        if b"<rsl" in lowered:
            return "rsl"
        if (b"<package" in lowered and b"opf" in lowered) or (
            b"tdm:reservation" in lowered and b"<meta" in lowered
        ):
            return "epub-opf"
        if b"xmpmeta" in lowered or b"<rdf:rdf" in lowered:
            return "xmp"
        if b"<head" in lowered or b"<meta" in lowered or b"<body" in lowered:
            return "html"
        return "unknown"
    if _USER_AGENT_LINE.search(head) or _PREFERENCE_LINE.search(head):
        return "ai-txt" if name.lower().endswith("ai.txt") else "robots-txt"
    if _HEADER_LINE.search(head):
        return "http-response"
    if _SF_DICTIONARY.match(head) and head.count(b"\n") <= 1:
        return "content-usage"
    if name.lower().endswith((".md", ".markdown")):
        return "hf-card"  # a README.md without front matter: a card with no consent section
    return "unknown"


def _json_kind(data: bytes) -> Format:
    try:
        value = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return "jsonld"  # our reader reports the syntax problem precisely
    first = value[0] if isinstance(value, list) and value else value
    if (
        isinstance(value, list)
        and value
        and all(isinstance(item, dict) and "location" in item for item in value)
    ):
        return "tdmrep-json"
    if isinstance(value, dict) and "tdm-reservation" in value:
        return "tdmrep-json"  # a bare object, as seen in the wild
    if isinstance(first, dict):
        from aiconsent.cards.croissant import is_croissant

        if is_croissant(value):
            return "croissant"  # a Croissant card (spec §10.2)
        if "manifests" in first and "active_manifest" in first:
            return "c2pa-manifest-store"
        context = json.dumps(first.get("@context", ""))
        kind = first.get("@type", first.get("type"))
        if "odrl" in context and "aiconsent" not in context:
            return "odrl"
        if kind in {"Set", "Offer", "Agreement", "Policy"} and "aiconsent" not in context:
            return "odrl"
    return "jsonld"
