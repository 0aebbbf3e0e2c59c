"""Fetching, only when asked (`--fetch`): a resource and its site's robots.txt, tdmrep, ai.txt.

Safe by default: http(s) only, timeouts, a size cap, a few redirects each re-checked, and no
private, loopback, link-local or otherwise non-public address unless the caller allows it.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from typing import Final
from urllib.parse import urljoin, urlsplit

DEFAULT_TIMEOUT: Final = 10.0
DEFAULT_MAX_BYTES: Final = 10 * 1024 * 1024
MAX_REDIRECTS: Final = 5
USER_AGENT: Final = "aiconsent (+https://w3id.org/aiconsent)"


class FetchError(Exception):
    """A URL that was refused or could not be fetched."""


@dataclass(frozen=True, slots=True)
class Fetched:
    """One response: the final URL, status, headers (lower-cased names) and body."""

    url: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    truncated: bool = False

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key == name), None)


def check_address(url: str, *, allow_private: bool) -> None:
    """Refuse non-http(s) URLs, and hosts that resolve to a non-public address."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"}:
        raise FetchError(f"{url}: only http and https URLs are fetched")
    if not parts.hostname:
        raise FetchError(f"{url}: no host")
    if allow_private:
        return
    try:
        addresses = [ipaddress.ip_address(parts.hostname)]
    except ValueError:  # a name, not an address literal: resolve it
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            infos = socket.getaddrinfo(parts.hostname, port)
        except socket.gaierror as error:
            raise FetchError(f"{url}: cannot resolve {parts.hostname} ({error})") from None
        addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    for address in addresses:
        if not address.is_global or address.is_multicast:
            raise FetchError(
                f"{url}: {parts.hostname} resolves to {address}, a private or local address; "
                "use --allow-private to fetch it anyway"
            )


def fetch(
    url: str,
    *,
    allow_private: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_redirects: int = MAX_REDIRECTS,
) -> Fetched:
    """GET a URL with every safety check; a body over max_bytes is cut and marked truncated."""
    import httpx

    current = url
    with httpx.Client(
        timeout=httpx.Timeout(timeout),
        follow_redirects=False,
        trust_env=False,
        headers={"User-Agent": USER_AGENT},
    ) as client:
        for _ in range(max_redirects + 1):
            check_address(current, allow_private=allow_private)
            try:
                with client.stream("GET", current) as response:
                    if response.is_redirect and "location" in response.headers:
                        current = urljoin(current, response.headers["location"])
                        continue
                    body = bytearray()
                    truncated = False
                    for chunk in response.iter_bytes():
                        body.extend(chunk)
                        if len(body) > max_bytes:
                            del body[max_bytes:]
                            truncated = True
                            break
                    headers = [
                        (key.lower(), value) for key, value in response.headers.multi_items()
                    ]
                    return Fetched(current, response.status_code, headers, bytes(body), truncated)
            except httpx.HTTPError as error:
                raise FetchError(f"{current}: {type(error).__name__}: {error}") from None
    raise FetchError(f"{url}: more than {max_redirects} redirects")


def site_urls(url: str) -> dict[str, str]:
    """Where a resource's site keeps its robots.txt, tdmrep.json and ai.txt."""
    parts = urlsplit(url)
    root = f"{parts.scheme}://{parts.netloc}"
    return {
        "robots-txt": f"{root}/robots.txt",
        "tdmrep": f"{root}/.well-known/tdmrep.json",
        "ai-txt": f"{root}/ai.txt",
    }
