"""ASGI and WSGI middleware that sends a site's declarations with its responses (spec §9.2,
§9.4, §9.6).

A crawler sees HTTP headers before anything else, so every response the declarations are about
gets `Content-Usage`, `tdm-reservation`/`tdm-policy`, `X-Robots-Tag` and a `Link` to the
declarations document. The file is read once and compiled: a request costs one path match and
one list extend; the header set of each distinct set of matching declarations is computed once
(and again only when a declaration comes into or goes out of force). Responses whose path no
declaration is about are passed through untouched.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Iterable, MutableMapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, Generic, TypeVar
from urllib.parse import quote, urlsplit
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from aiconsent.dates import parse_datetime
from aiconsent.engine.targets import normalise_url
from aiconsent.formats.common import Loss
from aiconsent.formats.patterns import match_pieces, normalise_path

__all__ = [
    "ConsentHeaders",
    "ConsentHeadersASGI",
    "ConsentHeadersWSGI",
    "MiddlewareError",
    "merge_content_usage",
]

logger = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
Header = tuple[str, str]
_App = TypeVar("_App")

CACHE_LIMIT: Final = 1024  # distinct (declaration set, image?) header sets kept
_RESPONSE: Final = "urn:aiconsent:this-response"  # the target every header writer speaks for
_SAFE_URL: Final = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) not in '<>"\\^`{|}')


class MiddlewareError(ValueError):
    """The declarations file or an argument cannot be used to build the middleware."""


@dataclass(frozen=True, slots=True)
class _Pattern:
    """A compiled urlPattern: its origin (None for a bare path pattern) and its pieces."""

    index: int
    origin: str | None
    pieces: tuple[str, ...]
    anchored: bool


def _origin_of(url: str) -> str | None:
    parts = urlsplit(normalise_url(url))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def _compile_pattern(index: int, pattern: str) -> _Pattern | None:
    origin: str | None = None
    if not pattern.startswith("/"):
        parts = urlsplit(pattern)
        origin = _origin_of(pattern) if parts.scheme and parts.netloc else None
        if origin is None:
            return None
        pattern = pattern[len(f"{parts.scheme}://{parts.netloc}") :] or "/"
    anchored = pattern.endswith("$")
    body = normalise_path(pattern[:-1] if anchored else pattern)
    return _Pattern(index, origin, tuple(body.split("*")), anchored)


def _header_value(value: str) -> str | None:
    """A value safe to send: never a control character (no header injection); URLs and other
    text outside ASCII are percent-encoded (RFC 3987 §3.1), since fields are octets."""
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        return None
    return value if value.isascii() else quote(value, safe=_SAFE_URL + " ")


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return parse_datetime(value)
    except ValueError:
        return None


def _in_force(value: dict[str, Any], moment: datetime) -> dict[str, Any] | None:
    """The declaration as it stands at moment (spec §6.4 steps 3-4): an expired one says
    nothing, a withdrawn one objects to what it had permitted. Only the aipref writer looks at
    time itself, so every writer is given the same view."""
    withdrawn = _moment(value.get("withdrawnAt"))
    until = _moment(value.get("validUntil"))
    if withdrawn is not None and withdrawn <= moment:
        objections = [{"purpose": rule.get("purpose")} for rule in value.get("permission", [])]
        stripped = {k: v for k, v in value.items() if k not in ("permission", "withdrawnAt")}
        prohibitions = [*value.get("prohibition", []), *objections]
        return {**stripped, "prohibition": prohibitions} if prohibitions else None
    if until is not None and until <= moment:
        return None
    starts = [_moment(value.get("declaredAt")), _moment(value.get("validFrom"))]
    start = max((when for when in starts if when is not None), default=None)
    if start is not None and start > moment and value.get("permission"):
        # not yet in force: a grant cannot be sent early; a refusal may (widened, reported)
        early = {k: v for k, v in value.items() if k != "permission"}
        return early if early.get("prohibition") else None
    return value


def _for_response(value: dict[str, Any]) -> dict[str, Any]:
    """The declaration as one response's headers see it: about exactly that response."""
    return {**value, "target": [{"url": _RESPONSE}]}


def _lines(text: str, name: str) -> list[str]:
    """The values of `Name: value` lines a writer produced for one field name."""
    prefix = name.lower() + ":"
    return [
        line[len(prefix) :].strip()
        for line in text.splitlines()
        if line.lower().startswith(prefix) and line[len(prefix) :].strip()
    ]


def merge_content_usage(existing: Sequence[str], ours: str) -> str | None:
    """One Content-Usage value holding the app's preferences and ours, the stricter per label.

    None when the app's field does not parse: it already fails closed for every reader, and
    adding to it cannot make it readable (RFC 9651 joins field lines into one Dictionary).
    """
    from http_sfv.dictionary import Dictionary
    from http_sfv.item import Item
    from http_sfv.types import Token

    from aiconsent.formats.aipref import parse_content_usage

    lines = list(existing)
    if not parse_content_usage(lines).ok:
        return None
    try:
        theirs = Dictionary()
        theirs.parse(", ".join(line.strip(" \t") for line in lines).encode("ascii"))
        mine = Dictionary()
        mine.parse(ours.encode("ascii"))
        for label in mine:
            allow = getattr(mine[label], "value", None) == Token("y")
            if label not in theirs or not allow:
                theirs[label] = Item(Token("y" if allow else "n"))
        return str(theirs)
    except Exception:  # http_sfv raises ValueError; a library bug must not break a response
        logger.exception("could not merge Content-Usage %r with %r", lines, ours)
        return None


class ConsentHeaders:
    """The compiled declarations of one file and the headers each response gets.

    base_url: the public URL of the site root the app serves (scheme://host[:port][/prefix]);
    without it, the request's own scheme and Host are used. declarations_url: where the
    declarations file is served, for the `Link` header (relative to base_url if relative).
    """

    def __init__(
        self,
        declarations_file: str | Path,
        *,
        base_url: str | None = None,
        declarations_url: str | None = None,
    ) -> None:
        self.base_url = self._check_base(base_url)
        self.link = self._link(declarations_url, self.base_url)
        self.declarations: tuple[dict[str, Any], ...] = self._load(Path(declarations_file))
        self._urls: dict[tuple[str, str], list[int]] = {}
        self._patterns: list[_Pattern] = []
        for index, value in enumerate(self.declarations):
            for target in value.get("target", []):
                if "url" in target:
                    origin = _origin_of(target["url"])
                    if origin is not None:
                        key = (origin, normalise_path(_path_of(target["url"])))
                        self._urls.setdefault(key, []).append(index)
                elif "urlPattern" in target:
                    compiled = _compile_pattern(index, target["urlPattern"])
                    if compiled is not None:
                        self._patterns.append(compiled)
        self._cache: dict[tuple[tuple[int, ...], bool], tuple[Header, ...]] = {}
        self._next_change = self._boundary(time.time())
        self.losses: tuple[Loss, ...] = self._losses()
        for loss in self.losses:
            logger.info("aiconsent middleware: %s", loss)

    @staticmethod
    def _check_base(base_url: str | None) -> str | None:
        if base_url is None:
            return None
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
            raise MiddlewareError(f"base_url must be http(s)://host[/prefix], not {base_url!r}")
        return base_url.rstrip("/")

    @staticmethod
    def _link(declarations_url: str | None, base_url: str | None) -> Header | None:
        if declarations_url is None:
            return None
        url = declarations_url
        if not urlsplit(url).scheme:
            if base_url is None or not url.startswith("/"):
                raise MiddlewareError(
                    f"declarations_url {url!r} must be absolute, or a path with base_url"
                )
            url = f"{_origin_of(base_url)}{url}"
        safe = _header_value(url)
        if safe is None or any(ch in safe for ch in "<> "):
            raise MiddlewareError(f"declarations_url {declarations_url!r} is not a usable URL")
        return ("Link", f'<{safe}>; rel="describedby"; type="application/ld+json"')

    @staticmethod
    def _load(path: Path) -> tuple[dict[str, Any], ...]:
        from aiconsent.readers import read
        from aiconsent.readers.sources import SourceError

        try:
            result = read(path)
        except SourceError as error:
            raise MiddlewareError(str(error)) from None
        except (ValueError, OSError) as error:
            raise MiddlewareError(f"{path}: cannot be read ({error})") from None
        if result.unreadable:
            problems = "; ".join(marker.message for marker in result.unreadable[:3])
            raise MiddlewareError(f"{path}: has parts that cannot be used: {problems}")
        return tuple(item.declaration for item in result.found)

    def _boundary(self, now: float) -> float:
        """The next instant at which a declaration comes into or goes out of force."""
        upcoming = [
            moment.timestamp()
            for value in self.declarations
            for key in ("declaredAt", "validFrom", "validUntil", "withdrawnAt")
            if (moment := _moment(value.get(key))) is not None and moment.timestamp() > now
        ]
        return min(upcoming, default=float("inf"))

    def _losses(self) -> tuple[Loss, ...]:
        losses: list[Loss] = []
        for index in range(len(self.declarations)):
            for image in (False, True):
                losses.extend(self._compute((index,), image=image)[1])
        seen: dict[tuple[str, str, str | None], Loss] = {}
        for loss in losses:
            seen.setdefault((loss.kind, loss.detail, loss.declaration), loss)
        return tuple(seen.values())

    def match(self, origin: str | None, path: str) -> tuple[int, ...]:
        """Indexes of the declarations about the resource at path (with its query) on origin.

        origin is the request's scheme://host[:port], used only without base_url; path is
        percent-encoded as sent.
        """
        if self.base_url is not None:
            base = urlsplit(self.base_url)
            origin = _origin_of(self.base_url)
            path = base.path + path if base.path else path
        elif origin is not None:
            origin = _origin_of(origin)
        found: set[int] = set()
        normal = normalise_path(path or "/")
        forms = (normal,) if "/." not in normal else (normal, _without_dots(normal))
        for form in forms:  # as sent, and as an app that resolves `..` may serve it
            if origin is not None:
                found.update(self._urls.get((origin, form), ()))
            for pattern in self._patterns:
                if pattern.index in found:
                    continue
                if pattern.origin is not None and pattern.origin != origin:
                    continue
                if match_pieces(pattern.pieces, pattern.anchored, form):
                    found.add(pattern.index)
        return tuple(sorted(found))

    def headers(self, matched: tuple[int, ...], *, image: bool) -> tuple[Header, ...]:
        """The headers for a response the matched declarations are about (cached)."""
        if not matched:
            return ()
        now = time.time()
        if now >= self._next_change:
            self._cache = {}
            self._next_change = self._boundary(now)
        key = (matched, image)
        cached = self._cache.get(key)
        if cached is None:
            cached = self._compute(matched, image=image)[0]
            if len(self._cache) >= CACHE_LIMIT:
                self._cache = {}
            self._cache[key] = cached
        return cached

    def _compute(
        self, matched: tuple[int, ...], *, image: bool
    ) -> tuple[tuple[Header, ...], list[Loss]]:
        from aiconsent.formats.aipref import write_content_usage
        from aiconsent.formats.noai import write_x_robots_tag
        from aiconsent.formats.tdmrep import write_tdm_headers

        moment = datetime.now(UTC)
        chosen = [
            _for_response(current)
            for index in matched
            if (current := _in_force(self.declarations[index], moment)) is not None
        ]
        headers: list[Header] = []
        losses: list[Loss] = []
        if chosen:
            usage = write_content_usage(chosen, at=moment)
            tdm = write_tdm_headers(chosen)
            robots = write_x_robots_tag(chosen, image=image)
            losses.extend([*usage.losses, *tdm.losses, *robots.losses])
            if usage.text.strip():
                headers.append(("Content-Usage", usage.text.strip()))
            for name in ("tdm-reservation", "tdm-policy"):
                headers.extend((name, value) for value in _lines(tdm.text, name))
            headers.extend(("X-Robots-Tag", value) for value in _lines(robots.text, "X-Robots-Tag"))
        if self.link is not None:
            headers.append(self.link)
        safe: list[Header] = []
        for name, value in headers:
            cleaned = _header_value(value)
            if cleaned is None:
                losses.append(Loss("lost", f"{name} value with control characters not sent"))
            else:
                safe.append((name, cleaned))
        return tuple(safe), losses

    def apply(self, matched: tuple[int, ...], existing: Sequence[Header]) -> list[Header]:
        """The response's headers with ours added: the app's are kept, Content-Usage merged.

        Never raises: a failure here leaves the response as the app made it (and is logged).
        """
        try:
            content_type = next(
                (value for name, value in existing if name.lower() == "content-type"), ""
            )
            image = content_type.strip().lower().startswith("image/")
            ours = self.headers(matched, image=image)
            if not ours:
                return list(existing)
            present = {(name.lower(), value.strip()) for name, value in existing}
            result = list(existing)
            for name, value in ours:
                if name == "Content-Usage":
                    theirs = [v for n, v in existing if n.lower() == "content-usage"]
                    if theirs:
                        merged = merge_content_usage(theirs, value)
                        if merged is not None:
                            result = [h for h in result if h[0].lower() != "content-usage"]
                            result.append((name, merged))
                        continue
                if (name.lower(), value) not in present:
                    result.append((name, value))
            return result
        except Exception:  # a header must never cost the site its response
            logger.exception("aiconsent middleware: headers not added")
            return list(existing)


def _path_of(url: str) -> str:
    parts = urlsplit(url)
    path = parts.path or "/"
    return f"{path}?{parts.query}" if parts.query else path


def _without_dots(path: str) -> str:
    """RFC 3986 §5.2.4 remove_dot_segments on the path part (the query is kept)."""
    body, mark, query = path.partition("?")
    output: list[str] = []
    segments = body.split("/")
    for position, segment in enumerate(segments):
        last = position == len(segments) - 1
        if segment == "..":
            if len(output) > 1:
                output.pop()
            if last:
                output.append("")
        elif segment == ".":
            if last:
                output.append("")
        else:
            output.append(segment)
    resolved = "/".join(output) or "/"
    return f"{resolved}{mark}{query}"


def _latin1(data: Any) -> str:
    if isinstance(data, bytes | bytearray):
        return bytes(data).decode("latin-1")
    return str(data)


class _Middleware(Generic[_App]):
    """What both middlewares hold: the wrapped app and the compiled declarations."""

    def __init__(
        self,
        app: _App,
        declarations_file: str | Path,
        *,
        base_url: str | None = None,
        declarations_url: str | None = None,
    ) -> None:
        self.app = app
        self.consent = ConsentHeaders(
            declarations_file, base_url=base_url, declarations_url=declarations_url
        )


class ConsentHeadersASGI(_Middleware[ASGIApp]):
    """ASGI middleware: adds the declarations' headers to HTTP responses they are about."""

    def _matched(self, scope: Scope) -> tuple[int, ...]:
        raw = scope.get("raw_path")
        path = (
            _latin1(raw) if raw else quote(str(scope.get("path") or "/"), safe="/%;:@&=+$,!~*'()")
        )
        if "?" in path:
            path = path.partition("?")[0]
        query = _latin1(scope.get("query_string") or b"")
        if query:
            path = f"{path}?{query}"
        origin: str | None = None
        if self.consent.base_url is None:
            host = next(
                (_latin1(v) for k, v in scope.get("headers") or () if _latin1(k).lower() == "host"),
                None,
            )
            server = scope.get("server")
            if host is None and server and server[1] is not None:
                host = f"{server[0]}:{server[1]}"
            origin = f"{scope.get('scheme', 'http')}://{host}" if host else None
        return self.consent.match(origin, path)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
            return
        try:
            matched = self._matched(scope)
        except Exception:  # an odd scope gets nothing added, never an error
            logger.exception("aiconsent middleware: request path not matched")
            matched = ()
        if not matched:
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message.get("type") == "http.response.start":
                message = dict(message)
                pairs = [(_latin1(k), _latin1(v)) for k, v in message.get("headers") or ()]
                added = self.consent.apply(matched, pairs)
                message["headers"] = [  # ASGI wants lower-case names
                    (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in added
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class ConsentHeadersWSGI(_Middleware[WSGIApplication]):
    """WSGI middleware: adds the declarations' headers to responses they are about."""

    def _matched(self, environ: WSGIEnvironment) -> tuple[int, ...]:
        raw = (environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")) or "/"
        path = quote(raw.encode("latin-1"), safe="/%;:@&=+$,!~*'()")
        query = environ.get("QUERY_STRING", "")
        if query:
            path = f"{path}?{query}"
        origin: str | None = None
        if self.consent.base_url is None:
            scheme = environ.get("wsgi.url_scheme", "http")
            host = environ.get("HTTP_HOST") or (
                f"{environ.get('SERVER_NAME', '')}:{environ.get('SERVER_PORT', '')}"
            )
            origin = f"{scheme}://{host}" if host.strip(":") else None
        return self.consent.match(origin, path)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        try:
            matched = self._matched(environ)
        except Exception:  # an odd environ gets nothing added, never an error
            logger.exception("aiconsent middleware: request path not matched")
            matched = ()
        if not matched:
            return self.app(environ, start_response)

        def start(status: str, headers: list[Header], exc_info: Any = None) -> Any:
            added = self.consent.apply(matched, headers)
            if exc_info is None:
                return start_response(status, added)
            return start_response(status, added, exc_info)

        return self.app(environ, start)
