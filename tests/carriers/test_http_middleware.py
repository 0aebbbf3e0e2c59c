"""The HTTP middleware over real HTTP on 127.0.0.1 (uvicorn and wsgiref), and its edge cases.

What a crawler receives must read back (formats.headers) into declarations that deny what the
site prohibited; paths no declaration is about must get nothing.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import httpx
import pytest

from aiconsent.carriers.http_middleware import (
    ConsentHeaders,
    ConsentHeadersASGI,
    ConsentHeadersWSGI,
    MiddlewareError,
    merge_content_usage,
)
from aiconsent.engine import check
from aiconsent.formats.common import Origin
from aiconsent.formats.headers import read_headers
from aiconsent.validation.validate import validate_value

SITE = "https://site.example"
DOC_URL = f"{SITE}/.well-known/consent.jsonld"
LINK = f'<{DOC_URL}>; rel="describedby"; type="application/ld+json"'
DEADLINE = 10.0  # seconds any server may take to start or stop


def _declaration(number: int, target: dict[str, str], **rest: Any) -> dict[str, Any]:
    value: dict[str, Any] = {
        "@context": "https://w3id.org/aiconsent/v1",
        "id": f"urn:uuid:00000000-0000-4000-8000-00000000000{number}",
        "type": "ConsentDeclaration",
        "target": [target],
        "declaredBy": {"id": "did:web:site.example", "role": "publisher"},
        "declaredAt": "2024-01-01T00:00:00Z",
        "basis": "explicit-consent",
        "retroactive": True,
    }
    value.update(rest)
    return value


DECLARATIONS = [
    _declaration(1, {"urlPattern": "/private/"}, prohibition=[{"purpose": "genai-training"}]),
    _declaration(
        2,
        {"url": f"{SITE}/photos/cat.jpg"},
        prohibition=[{"purpose": "ai-training"}],
        policyUrl=f"{SITE}/licensing",
    ),
    _declaration(3, {"urlPattern": f"{SITE}/open/"}, permission=[{"purpose": "search"}]),
    _declaration(4, {"urlPattern": "https://other.example/"}, prohibition=[{"purpose": "tdm"}]),
]

# path -> the headers the middleware adds (in order), for the apps below
EXPECTED: dict[str, list[tuple[str, str]]] = {
    "/private/page": [
        ("content-usage", "train-ai=n"),
        ("tdm-reservation", "1"),
        ("x-robots-tag", "noai"),
        ("link", LINK),
    ],
    "/photos/cat.jpg": [
        ("content-usage", "train-ai=n"),
        ("tdm-reservation", "1"),
        ("tdm-policy", f"{SITE}/licensing"),
        ("x-robots-tag", "noai, noimageai"),
        ("link", LINK),
    ],
    "/open/page": [("content-usage", "search=y"), ("link", LINK)],
    "/": [],
    "/public/page": [],
    "/photos/cat.jpg?size=small": [],  # a url target is one URL, query included
}
PROHIBITED = {"/private/page", "/photos/cat.jpg"}  # genai-training must read back as denied
OUR_NAMES = {"content-usage", "tdm-reservation", "tdm-policy", "x-robots-tag", "link"}


@pytest.fixture
def declarations_file(tmp_path: Path) -> Path:
    for value in DECLARATIONS:
        assert validate_value(value).errors == 0
    path = tmp_path / "consent.jsonld"
    path.write_text(json.dumps(DECLARATIONS), encoding="utf-8")
    return path


def _content_type(path: str) -> str:
    return "image/jpeg" if path.startswith("/photos/") else "text/html; charset=utf-8"


# -- the apps -----------------------------------------------------------------------------------


def _starlette_app() -> Any:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    async def page(request: Request) -> Response:
        path = request.url.path
        return Response(b"hello", media_type=_content_type(path))

    async def merged(request: Request) -> Response:
        headers = {"Content-Usage": "search=n, train-ai=y", "X-Robots-Tag": "noindex"}
        return Response(b"hello", media_type="text/html", headers=headers)

    return Starlette(routes=[Route("/private/merged", merged), Route("/{rest:path}", page)])


def _wsgi_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    path = environ.get("PATH_INFO", "/")
    headers = [("Content-Type", _content_type(path))]
    if path == "/private/merged":
        headers += [("Content-Usage", "search=n, train-ai=y"), ("X-Robots-Tag", "noindex")]
    start_response("200 OK", headers)
    return [b"hello"]


# -- servers that stop by themselves -----------------------------------------------------------


@contextmanager
def _uvicorn(app: Any) -> Iterator[str]:
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, log_level="error", lifespan="off", http="h11", ws="none", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + DEADLINE
        while not server.started:
            assert thread.is_alive(), "uvicorn stopped before it started"
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(DEADLINE)
        sock.close()
    assert not thread.is_alive(), "uvicorn did not stop"


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output clean."""


@contextmanager
def _wsgiref(app: Any) -> Iterator[str]:
    server: WSGIServer = make_server("127.0.0.1", 0, app, handler_class=_QuietHandler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(DEADLINE)
        server.server_close()
    assert not thread.is_alive(), "wsgiref did not stop"


def _ours(response: httpx.Response) -> list[tuple[str, str]]:
    return [(k.lower(), v) for k, v in response.headers.multi_items() if k.lower() in OUR_NAMES]


def _assert_served(base: str) -> None:
    with httpx.Client(base_url=base, timeout=DEADLINE, trust_env=False) as client:
        for path, expected in EXPECTED.items():
            response = client.get(path)
            assert response.status_code == 200, path
            assert response.content == b"hello"
            assert _ours(response) == expected, path
            pairs = [(k.lower(), v) for k, v in response.headers.multi_items()]
            origin = Origin.for_bytes(b"", f"{SITE}{path}", url=f"{SITE}{path}")
            result = read_headers(pairs, origin)
            assert not result.unreadable, path
            decision = check(result.found, "genai-training", policy="opt-out")
            if path in PROHIBITED:
                assert decision.decision == "denied", path
                assert check(result.found, "tdm", policy="opt-out").decision == "denied"
            else:
                assert decision.decision == "allowed", path
        merged = client.get("/private/merged")
        headers = merged.headers
        assert headers.get_list("content-usage") == ["search=n, train-ai=n"]
        assert headers.get_list("x-robots-tag") == ["noindex", "noai"]
        read_back = read_headers([(k.lower(), v) for k, v in headers.multi_items()], origin)
        found = read_back.found
        assert check(found, "genai-training", policy="opt-out").decision == "denied"
        assert check(found, "search", policy="opt-out").decision == "denied"


def test_asgi_over_http(declarations_file: Path) -> None:
    app = ConsentHeadersASGI(
        _starlette_app(), declarations_file, base_url=SITE, declarations_url=DOC_URL
    )
    with _uvicorn(app) as base:
        _assert_served(base)


def test_wsgi_over_http(declarations_file: Path) -> None:
    from wsgiref.validate import validator

    wrapped = ConsentHeadersWSGI(
        validator(_wsgi_app), declarations_file, base_url=SITE, declarations_url=DOC_URL
    )
    with _wsgiref(validator(wrapped)) as base:
        _assert_served(base)


def test_without_base_url_the_request_host_is_the_origin(tmp_path: Path) -> None:
    here = _declaration(5, {"url": "http://127.0.0.1/exact"}, prohibition=[{"purpose": "tdm"}])
    path = tmp_path / "here.jsonld"
    path.write_text(json.dumps(here), encoding="utf-8")
    with _wsgiref(ConsentHeadersWSGI(_wsgi_app, path)) as base:
        port = base.rsplit(":", 1)[1]
        with httpx.Client(timeout=DEADLINE, trust_env=False) as client:
            hit = client.get(f"{base}/exact", headers={"Host": "127.0.0.1"})
            assert hit.headers.get_list("tdm-reservation") == ["1"]
            assert "link" not in hit.headers  # no declarations_url: no Link
            miss = client.get(f"{base}/exact", headers={"Host": f"127.0.0.1:{port}"})
            assert _ours(miss) == []


# -- unit tests: no server ----------------------------------------------------------------------


def _run_asgi(
    app: Callable[..., Any], path: str, scope_extra: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope: dict[str, Any] = {
        "type": "http",
        "method": "GET",
        "scheme": "https",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(b"host", b"site.example")],
    }
    scope.update(scope_extra or {})
    asyncio.run(app(scope, receive, send))
    return sent


def _streaming_asgi(headers: list[Any] | None) -> Callable[..., Any]:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        start: dict[str, Any] = {"type": "http.response.start", "status": 200}
        if headers is not None:
            start["headers"] = headers
        await send(start)
        for chunk in (b"a", b"b", b"c"):
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    return app


def test_unmatched_paths_get_nothing(declarations_file: Path) -> None:
    headers = [(b"content-type", b"text/plain"), (b"x-app", b"1")]
    inner = _streaming_asgi(headers)
    app = ConsentHeadersASGI(inner, declarations_file, base_url=SITE, declarations_url=DOC_URL)
    for path in ("/", "/public/x", "/privat", "/photos/cat.jpeg", "/open"):
        assert _run_asgi(app, path) == _run_asgi(inner, path), path

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response("200 OK", [("X-App", "1")])
        return [b"x"]

    calls: list[tuple[str, list[tuple[str, str]]]] = []
    wrapped = ConsentHeadersWSGI(wsgi, declarations_file, base_url=SITE, declarations_url=DOC_URL)
    environ = {"PATH_INFO": "/public/x", "wsgi.url_scheme": "https", "HTTP_HOST": "site.example"}
    assert wrapped(environ, lambda status, headers, *rest: calls.append((status, headers))) == [
        b"x"
    ]
    assert calls == [("200 OK", [("X-App", "1")])]


@pytest.mark.parametrize("headers", [None, [], [[b"x-app", b"1"]], [(b"content-type", b"")]])
def test_odd_asgi_responses_never_raise(declarations_file: Path, headers: Any) -> None:
    app = ConsentHeadersASGI(
        _streaming_asgi(headers), declarations_file, base_url=SITE, declarations_url=DOC_URL
    )
    sent = _run_asgi(app, "/private/x")
    assert [m["type"] for m in sent] == ["http.response.start"] + ["http.response.body"] * 4
    assert b"".join(m.get("body", b"") for m in sent[1:]) == b"abc"
    names = [name for name, _ in sent[0]["headers"]]
    assert names.count(b"content-usage") == 1 and b"link" in names
    assert (b"x-robots-tag", b"noai") in sent[0]["headers"]  # no content type: not an image


def test_odd_scopes_pass_through(declarations_file: Path) -> None:
    app = ConsentHeadersASGI(_streaming_asgi([]), declarations_file)
    assert _run_asgi(app, "/private/x", {"path": None, "raw_path": None, "headers": None})
    sent = _run_asgi(app, "/private/x", {"headers": [], "server": None})  # no origin known
    assert (b"tdm-reservation", b"1") in sent[0]["headers"]  # bare patterns still apply
    lifespan: list[str] = []

    async def other(scope: dict[str, Any], receive: Any, send: Any) -> None:
        lifespan.append(scope["type"])

    asyncio.run(ConsentHeadersASGI(other, declarations_file)({"type": "lifespan"}, None, None))  # type: ignore[arg-type]
    assert lifespan == ["lifespan"]


def test_streaming_wsgi_and_start_response_in_the_iterator(declarations_file: Path) -> None:
    def generator_app(
        environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterator[bytes]:
        start_response("200 OK", [])  # called when iteration starts, with no content type
        yield b"a"
        yield b"b"

    calls: list[list[tuple[str, str]]] = []
    wrapped = ConsentHeadersWSGI(generator_app, declarations_file, base_url=SITE)
    body = wrapped(
        {"PATH_INFO": "/private/x"}, lambda status, headers, *rest: calls.append(headers)
    )
    assert calls == []
    assert b"".join(body) == b"ab"
    assert calls == [
        [("Content-Usage", "train-ai=n"), ("tdm-reservation", "1"), ("X-Robots-Tag", "noai")]
    ]


def test_dot_segments_cannot_dodge_the_headers(declarations_file: Path) -> None:
    consent = ConsentHeaders(declarations_file, base_url=SITE)
    assert consent.match(None, "/public/../private/a") == (0,)
    assert consent.match(None, "/%70rivate/a") == (0,)  # percent-encoding normalised
    assert consent.match(None, "/photos/cat.jpg") == (1,)
    assert consent.match(None, "/public/a") == ()


def test_headers_are_cached_per_declaration_set(declarations_file: Path) -> None:
    consent = ConsentHeaders(declarations_file, base_url=SITE)
    first = consent.headers((0,), image=False)
    assert consent.headers((0,), image=False) is first
    assert consent.headers((0,), image=True) != first  # noimageai for images
    assert consent.losses  # widening genai-training to noai is reported, not silent


def test_time_boundaries_refresh_the_headers(tmp_path: Path) -> None:
    soon = time.time() + 0.3
    from datetime import UTC, datetime

    until = datetime.fromtimestamp(soon, UTC).isoformat().replace("+00:00", "Z")
    value = _declaration(6, {"urlPattern": "/"}, prohibition=[{"purpose": "tdm"}], validUntil=until)
    path = tmp_path / "expiring.jsonld"
    path.write_text(json.dumps(value), encoding="utf-8")
    consent = ConsentHeaders(path, base_url=SITE)
    assert ("tdm-reservation", "1") in consent.headers((0,), image=False)
    time.sleep(max(0.0, soon - time.time()) + 0.05)
    assert consent.headers((0,), image=False) == ()  # expired: says nothing any more


def test_withdrawn_permission_is_sent_as_an_objection(tmp_path: Path) -> None:
    value = _declaration(
        7,
        {"urlPattern": "/"},
        permission=[{"purpose": "genai-training"}],
        withdrawnAt="2024-06-01T00:00:00Z",
    )
    path = tmp_path / "withdrawn.jsonld"
    path.write_text(json.dumps(value), encoding="utf-8")
    headers = ConsentHeaders(path, base_url=SITE).headers((0,), image=False)
    assert ("Content-Usage", "train-ai=n") in headers


def test_a_grant_is_not_sent_before_it_is_in_force(tmp_path: Path) -> None:
    value = _declaration(
        8,
        {"urlPattern": "/"},
        permission=[{"purpose": "tdm"}],
        prohibition=[{"purpose": "genai-training"}],
        validFrom="2999-01-01T00:00:00Z",
    )
    path = tmp_path / "future.jsonld"
    path.write_text(json.dumps(value), encoding="utf-8")
    headers = ConsentHeaders(path, base_url=SITE).headers((0,), image=False)
    assert ("tdm-reservation", "0") not in headers
    assert ("Content-Usage", "train-ai=n") in headers


def test_content_usage_merge() -> None:
    assert merge_content_usage(["search=y"], "train-ai=n") == "search=y, train-ai=n"
    assert merge_content_usage(["train-ai=n"], "train-ai=y") == "train-ai=n"  # stricter kept
    assert merge_content_usage(["train-ai=y;x=1"], "train-ai=n") == "train-ai=n"
    assert merge_content_usage(["search=y", "foo=?1"], "search=n") == "search=n, foo"
    assert merge_content_usage(["Train-AI=y"], "train-ai=n") is None  # broken: left as it is
    assert merge_content_usage(["search=y", ""], "train-ai=n") is None


def test_bad_input_raises_middleware_error(tmp_path: Path) -> None:
    with pytest.raises(MiddlewareError, match="no such file"):
        ConsentHeaders(tmp_path / "missing.jsonld")
    broken = tmp_path / "broken.jsonld"
    broken.write_text('{"@context": "https://w3id.org/aiconsent/v1", "type": "Consent', "utf-8")
    with pytest.raises(MiddlewareError, match="cannot be used"):
        ConsentHeaders(broken)
    good = tmp_path / "good.jsonld"
    good.write_text(json.dumps(DECLARATIONS[0]), encoding="utf-8")
    with pytest.raises(MiddlewareError, match="base_url"):
        ConsentHeaders(good, base_url="ftp://site.example")
    with pytest.raises(MiddlewareError, match="declarations_url"):
        ConsentHeaders(good, declarations_url="consent.jsonld")
    with pytest.raises(MiddlewareError, match="declarations_url"):
        ConsentHeaders(good, declarations_url="https://x.example/a\r\nSet-Cookie: a=b")
    assert issubclass(MiddlewareError, ValueError)
    relative = ConsentHeaders(good, base_url=f"{SITE}/app/", declarations_url="/c.jsonld")
    assert relative.link == (
        "Link",
        f'<{SITE}/c.jsonld>; rel="describedby"; type="application/ld+json"',
    )
    assert relative.match(None, "/private/a") == ()  # the app lives under /app
    assert relative.match(None, "/x") == ()
