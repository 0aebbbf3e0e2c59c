"""--fetch: a resource and its site's files, served on 127.0.0.1; private addresses refused."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from aiconsent.readers.fetch import FetchError, check_address, fetch
from aiconsent.readers.sources import SourceError, read_url


class _Site(BaseHTTPRequestHandler):
    """A tiny site: a page with noai and tdm meta, robots.txt, no tdmrep.json, a redirect loop."""

    files: ClassVar[dict[str, tuple[int, str, bytes, list[tuple[str, str]]]]] = {
        "/post/1": (
            200,
            "text/html",
            b'<html><head><meta name="robots" content="noai"></head><body>hi</body></html>',
            [("X-Robots-Tag", "noimageai")],
        ),
        "/robots.txt": (200, "text/plain", b"User-agent: *\nAllow: /\n", []),
        "/ai.txt": (500, "text/plain", b"oops", []),
        "/big": (200, "text/plain", b"x" * 4096, []),
    }

    def do_GET(self) -> None:
        if self.path.startswith("/loop"):
            self.send_response(302)
            self.send_header("Location", "/loop")
            self.end_headers()
            return
        status, media, body, extra = self.files.get(self.path, (404, "text/plain", b"", []))
        self.send_response(status)
        self.send_header("Content-Type", media)
        for name, value in extra:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_loopback_is_refused_by_default(site: str) -> None:
    """Without --allow-private a loopback address is never fetched."""
    with pytest.raises(FetchError, match="private or local"):
        fetch(f"{site}/post/1")


@pytest.mark.parametrize(
    "url",
    ["http://10.0.0.1/", "http://192.168.1.1/", "http://169.254.169.254/latest", "http://[::1]/"],
)
def test_private_and_link_local_addresses_are_refused(url: str) -> None:
    """Private ranges and the cloud metadata address are refused before any connection."""
    with pytest.raises(FetchError):
        check_address(url, allow_private=False)


def test_only_http_and_https(site: str) -> None:
    """file:, ftp: and the like are refused."""
    for url in ("file:///etc/passwd", "ftp://example.org/x", "gopher://x/"):
        with pytest.raises(FetchError, match="only http"):
            check_address(url, allow_private=True)


def test_size_cap_and_redirect_limit(site: str) -> None:
    """A large body is cut and marked; a redirect loop stops."""
    response = fetch(f"{site}/big", allow_private=True, max_bytes=100)
    assert response.truncated and len(response.body) == 100
    with pytest.raises(FetchError, match="redirects"):
        fetch(f"{site}/loop", allow_private=True)


def test_reads_page_headers_and_site_files(site: str) -> None:
    """The page's meta, its headers and the site's files are all read; a 500 is unreadable."""
    result, reports = read_url(f"{site}/post/1", allow_private=True)
    carriers = sorted({item.carrier for item in result.found})
    assert carriers == ["html"]  # noimageai binds images only; the page is text
    assert result.found[0].declaration["prohibition"] == [{"purpose": "ai-use"}]
    assert any(marker.source == f"{site}/ai.txt" for marker in result.unreadable)
    assert any(report.source.endswith("/robots.txt") for report in reports)


def test_missing_resource_is_an_input_error(site: str) -> None:
    """A resource that cannot be fetched at all is an input error (exit 2 in the CLI)."""
    with pytest.raises(SourceError):
        read_url("http://127.0.0.1:9/nothing-listens-here", allow_private=True)
