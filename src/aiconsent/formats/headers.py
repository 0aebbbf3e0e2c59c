"""HTTP response headers (spec §9.1, §9.2, §9.4, §9.6): every signal a response carries.

Input is a raw response (status line and headers, as saved by `curl -i`), or `Name: value`
lines. Content-Usage is read by the aipref reader, tdm-reservation/tdm-policy by the TDMRep
reader, X-Robots-Tag by the noai reader; `Link: <…>; rel="license"` is reported for RSL.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

from aiconsent.formats.common import Origin, unreadable
from aiconsent.formats.noai import read_noai
from aiconsent.model.found import ReadResult

CARRIER: Final = "http-header"
_LINK: Final = re.compile(r"<([^>]*)>\s*((?:;\s*[^;,]+)*)")
MAX_HEADER_BYTES: Final = 256 * 1024


def parse_header_lines(lines: Iterable[str]) -> list[tuple[str, str]]:
    """(lower-cased name, value) pairs; folded continuation lines are joined."""
    pairs: list[tuple[str, str]] = []
    for line in lines:
        if not line.strip():
            continue
        if line[0] in " \t" and pairs:
            name, value = pairs[-1]
            pairs[-1] = (name, f"{value} {line.strip()}")
            continue
        name, colon, value = line.partition(":")
        if colon and name.strip() and " " not in name.strip():
            pairs.append((name.strip().lower(), value.strip()))
    return pairs


def split_response(data: bytes) -> tuple[list[str], bytes, bool]:
    """Header lines and body of a raw response; the flag says whether it looked like one."""
    head, separator, body = data.partition(b"\r\n\r\n")
    if not separator:
        head, separator, body = data.partition(b"\n\n")
    text = head[:MAX_HEADER_BYTES].decode("iso-8859-1")
    lines = text.replace("\r\n", "\n").split("\n")
    is_response = bool(lines) and lines[0].startswith("HTTP/")
    return (lines[1:] if is_response else lines), body, is_response


def read_headers(pairs: list[tuple[str, str]], origin: Origin) -> ReadResult:
    """Every AI-use signal among the headers of one response."""
    result = ReadResult()
    content_usage = [value for name, value in pairs if name == "content-usage"]
    if content_usage:
        from aiconsent.formats.aipref import read_content_usage_header

        result.extend(read_content_usage_header(content_usage, origin))
    reservations = [value for name, value in pairs if name == "tdm-reservation"]
    policies = [value for name, value in pairs if name == "tdm-policy"]
    if reservations or policies:
        if len(set(reservations)) > 1 or len(set(policies)) > 1:
            unreadable(
                result, origin, CARRIER, "tdm-reservation/tdm-policy given twice, differently"
            )
        else:
            reservation = reservations[0] if reservations else None
            policy = policies[0] if policies else None
            from aiconsent.formats.tdmrep import tdm_values

            result.extend(tdm_values(reservation, policy, origin, CARRIER))
    robots_tags = [value for name, value in pairs if name == "x-robots-tag"]
    if robots_tags:
        content_type = next((value for name, value in pairs if name == "content-type"), "")
        image = content_type.strip().lower().startswith("image/")
        result.extend(read_noai(robots_tags, origin, CARRIER, image=image))
    for name, value in pairs:
        if name == "link":
            for url, parameters in _LINK.findall(value):
                if re.search(r'rel\s*=\s*"?[^";]*\blicense\b', parameters, re.IGNORECASE):
                    result.other.append({"license": url, "source": origin.source})
    return result


def read_response(data: bytes, origin: Origin) -> ReadResult:
    """A raw HTTP response (or bare header lines)."""
    lines, _, _ = split_response(data)
    return read_headers(parse_header_lines(lines), origin)
