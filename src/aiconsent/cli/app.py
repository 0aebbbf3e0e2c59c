"""`aiconsent`: the command line. Thin by design: parse, call the library, render, exit."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from aiconsent.cli.exit_codes import INPUT_ERROR, NEGATIVE, SUCCESS, UNKNOWN
from aiconsent.cli.options import AtOption, JurisdictionOption, PolicyOption

app = typer.Typer(
    name="aiconsent",
    help="AI-training consent metadata: validate declarations and dataset consent sections.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class ValidateFormat(StrEnum):
    text = "text"
    json = "json"
    sarif = "sarif"


def _fail(message: str) -> NoReturn:
    sys.stderr.write(f"aiconsent: {message}\n")
    raise typer.Exit(INPUT_ERROR)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("aiconsent")
    except PackageNotFoundError:
        return "0+unknown"


def _show_version(value: bool) -> None:
    if value:
        sys.stdout.write(f"aiconsent {_version()}\n")
        raise typer.Exit(SUCCESS)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_show_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """AI-training consent metadata: validate, evaluate, read and write consent signals."""


@app.command()
def validate(
    files: Annotated[
        list[Path],
        typer.Argument(help="Files to check (JSON-LD, JSON, JSON Lines, Croissant, README.md)."),
    ],
    strict: Annotated[
        bool, typer.Option("--strict", help="Warnings make the result invalid.")
    ] = False,
    output_format: Annotated[
        ValidateFormat, typer.Option("--format", help="Output: text for people, json or sarif.")
    ] = ValidateFormat.text,
    max_bytes: Annotated[
        int, typer.Option("--max-bytes", min=1, help="Largest file accepted, in bytes.")
    ] = 10 * 1024 * 1024,
    layers: Annotated[
        str,
        typer.Option(
            "--layers",
            help="Layers to run, comma-separated (default all): "
            "syntax,schema,jsonld,shacl,semantic,card.",
        ),
    ] = "syntax,schema,jsonld,shacl,semantic,card",
) -> None:
    """Check declarations and dataset consent sections, layer by layer."""
    from aiconsent.validation.render import render_json, render_sarif, render_text
    from aiconsent.validation.validate import InputError
    from aiconsent.validation.validate import validate as run

    chosen = [layer.strip() for layer in layers.split(",") if layer.strip()]
    try:
        report = run(files, strict=strict, max_bytes=max_bytes, layers=chosen)  # type: ignore[arg-type]
    except InputError as error:
        _fail(str(error))
    except ValueError as error:
        _fail(str(error))
    if output_format is ValidateFormat.json:
        sys.stdout.write(render_json(report))
    elif output_format is ValidateFormat.sarif:
        sys.stdout.write(render_sarif(report, _version()))
    else:
        sys.stdout.write(render_text(report))
    raise typer.Exit(SUCCESS if report.valid else NEGATIVE)


class CheckFormat(StrEnum):
    text = "text"
    json = "json"


class Purpose(StrEnum):
    tdm = "tdm"
    ai_use = "ai-use"
    ai_training = "ai-training"
    genai_training = "genai-training"
    non_generative_training = "non-generative-training"
    ai_inference = "ai-inference"
    ai_index = "ai-index"
    search = "search"


class UseType(StrEnum):
    commercial = "commercial"
    non_commercial = "non-commercial"
    research = "research"


_DECISION_EXIT = {"allowed": SUCCESS, "denied": NEGATIVE, "unknown": UNKNOWN}

HeaderOption = Annotated[
    list[str] | None,
    typer.Option("--header", "-H", help="An HTTP response header 'Name: value' (repeatable)."),
]
FetchOption = Annotated[
    bool, typer.Option("--fetch", help="SOURCEs are URLs: fetch them and their site's files.")
]
PrivateOption = Annotated[
    bool,
    typer.Option("--allow-private", help="With --fetch, allow private and loopback addresses."),
]
UrlOption = Annotated[
    str | None,
    typer.Option("--url", help="The URL a local SOURCE was served at (its party and site)."),
]
SourcesArgument = Annotated[
    list[str] | None,
    typer.Argument(
        help="Files with signals about one item ('-' reads stdin), or URLs with --fetch."
    ),
]


C2paTrustOption = Annotated[
    Path | None,
    typer.Option(
        "--c2pa-trust",
        help="PEM trust anchors (or c2pa settings JSON): a C2PA manifest then counts only when "
        "its signer chains to them; otherwise only its prohibitions are used.",
    ),
]
ItemOption = Annotated[
    str | None,
    typer.Option(
        "--item", help="The content's URL, for site-wide files (robots.txt, tdmrep.json, RSL)."
    ),
]


def _gather(
    sources: list[str],
    headers: list[str] | None,
    fetch: bool,
    allow_private: bool,
    url: str | None,
    item: str | None = None,
    agent: str | None = None,
    c2pa_trust: Path | None = None,
) -> tuple[Any, list[Any]]:
    """Read every SOURCE and header the way `read` does; exit 2 on input errors."""
    from aiconsent.carriers.c2pa_manifest import C2paManifestError, trust_settings_from_file
    from aiconsent.model.found import ReadResult
    from aiconsent.readers.sources import (
        Question,
        SourceError,
        read_header_lines,
        read_source,
        read_url,
    )

    if not sources and not headers:
        _fail("give at least one SOURCE or --header")
    trust = None
    if c2pa_trust is not None:
        try:
            trust = trust_settings_from_file(c2pa_trust)
        except C2paManifestError as error:
            _fail(f"--c2pa-trust: {error}")
    result = ReadResult()
    reports: list[Any] = []
    try:
        for source in sources:
            if fetch:
                found, more = read_url(
                    source, allow_private=allow_private, agent=agent, c2pa_trust=trust
                )
                reports.extend(more)
            else:
                asked = Question(item, agent, trust)
                found, report = read_source(source, url=url, question=asked)
                reports.append(report)
            result.extend(found)
        if headers:
            found, report = read_header_lines(headers, url=url)
            result.extend(found)
            reports.append(report)
    except SourceError as error:
        _fail(str(error))
    for marker in result.unreadable:
        where = marker.source or "input"
        sys.stderr.write(f"aiconsent: warning: {where}: unreadable, not used: {marker.message}\n")
    return result, reports


@app.command()
def check(
    purpose: Annotated[Purpose, typer.Option("--purpose", help="The use asked about.")],
    sources: SourcesArgument = None,
    jurisdiction: JurisdictionOption = None,
    at: AtOption = None,
    policy: PolicyOption = "opt-in",
    agent: Annotated[
        str | None, typer.Option("--agent", help="robots.txt product token of the user agent.")
    ] = None,
    use_type: Annotated[UseType | None, typer.Option("--use-type", help="Kind of use.")] = None,
    explain: Annotated[
        bool, typer.Option("--explain", help="Show every purpose and the whole trace.")
    ] = False,
    output_format: Annotated[
        CheckFormat, typer.Option("--format", help="Output: text for people, or json.")
    ] = CheckFormat.text,
    header: HeaderOption = None,
    fetch: FetchOption = False,
    allow_private: PrivateOption = False,
    url: UrlOption = None,
    item: ItemOption = None,
    c2pa_trust: C2paTrustOption = None,
) -> None:
    """May the content these signals are about be used for PURPOSE?

    Exit 0 allowed, 1 denied, 3 unknown, 2 bad input.
    """
    import json

    from aiconsent.dates import parse_datetime
    from aiconsent.engine import PolicyError
    from aiconsent.engine import check as evaluate
    from aiconsent.engine.render import render_decision

    moment = None
    if at is not None:
        try:
            moment = parse_datetime(at)
        except ValueError:
            _fail(f"--at {at!r} is not an RFC 3339 date-time, e.g. 2025-01-01T00:00:00Z")
        if moment.tzinfo is None:
            _fail(f"--at {at!r} needs a time zone, e.g. 2025-01-01T00:00:00Z")
    found, _ = _gather(sources or [], header, fetch, allow_private, url, item, agent, c2pa_trust)
    try:
        decision = evaluate(
            [*found.found, *found.unreadable],
            purpose.value,
            jurisdiction=jurisdiction,
            at=moment,
            policy=policy,
            agent=agent,
            use_type=use_type.value if use_type else None,
            item=item,
        )
    except (PolicyError, ValueError) as error:
        _fail(str(error))
    if output_format is CheckFormat.json:
        text = json.dumps(decision.to_dict(explain=explain), indent=2, ensure_ascii=False)
        sys.stdout.write(text + "\n")
    else:
        sys.stdout.write(render_decision(decision, explain=explain))
    raise typer.Exit(_DECISION_EXIT[decision.decision])


@app.command()
def read(
    sources: SourcesArgument = None,
    header: HeaderOption = None,
    fetch: FetchOption = False,
    allow_private: PrivateOption = False,
    url: UrlOption = None,
    item: ItemOption = None,
    agent: Annotated[
        str | None, typer.Option("--agent", help="Read site-wide files for this user agent.")
    ] = None,
    output_format: Annotated[
        CheckFormat, typer.Option("--format", help="Output: text for people, or json.")
    ] = CheckFormat.text,
    c2pa_trust: C2paTrustOption = None,
) -> None:
    """Print every declaration found, in aiconsent's compact form, each with its carrier."""
    import json

    from aiconsent.readers.render import render_read

    found, reports = _gather(
        sources or [], header, fetch, allow_private, url, item, agent, c2pa_trust
    )
    document = {
        "declarations": [item.to_dict() for item in found.found],
        "sources": [
            {
                "source": r.source,
                "format": r.format,
                "carrier": ",".join(r.carriers),
                "count": r.count,
            }
            for r in reports
        ],
        "unreadable": [marker.to_dict() for marker in found.unreadable],
        "notes": found.other,
        "datasetConsent": [node for node in found.other if node.get("type") == "DatasetConsent"],
    }
    if output_format is CheckFormat.json:
        sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(render_read(found, reports))
    raise typer.Exit(SUCCESS)


@app.command()
def convert(
    source: Annotated[str, typer.Argument(help="A file with signals ('-' reads stdin).")],
    to: Annotated[
        str,
        typer.Option(
            "--to",
            help="jsonld, content-usage, content-signal, robots-txt, tdmrep-json, tdm-headers, "
            "tdm-meta, x-robots-tag, rsl, ai-txt, odrl, cawg, iptc.",
        ),
    ],
    site: Annotated[
        str | None, typer.Option("--site", help="https://host, for site-wide formats.")
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Exit 1 when the target cannot carry everything.")
    ] = False,
    url: UrlOption = None,
) -> None:
    """Write the declarations SOURCE holds in another format; what is lost goes to stderr."""
    from aiconsent.formats.writers import WRITERS, write

    if to not in WRITERS:
        _fail(f"--to {to!r}: choose one of {', '.join(WRITERS)}")
    found, _ = _gather([source], None, False, False, url)
    declarations = [item.declaration for item in found.found]
    try:
        written = write(to, declarations, site=site)
    except ValueError as error:
        _fail(str(error))
    sys.stdout.write(written.text)
    for loss in written.losses:
        sys.stderr.write(f"aiconsent: {to}: {loss}\n")
    lossy = written.lossy or bool(found.unreadable)
    raise typer.Exit(NEGATIVE if strict and lossy else SUCCESS)


@app.command()
def attach(
    declaration: Annotated[str, typer.Argument(help="A file with the declarations to attach.")],
    to: Annotated[
        Path,
        typer.Option(
            "--to", help="The content to stamp (image, HTML page, dataset card, any file)."
        ),
    ],
    as_: Annotated[
        str | None,
        typer.Option(
            "--as",
            help="xmp, sidecar, html, pdf, c2pa, croissant or hf-card (default: from the bytes).",
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write a copy here and leave --to untouched.")
    ] = None,
    cert: Annotated[
        Path | None, typer.Option("--cert", help="With --as c2pa: the PEM certificate chain.")
    ] = None,
    key: Annotated[
        Path | None, typer.Option("--key", help="With --as c2pa: the PEM private key.")
    ] = None,
    alg: Annotated[
        str, typer.Option("--alg", help="With --as c2pa: es256, ps256, ed25519…")
    ] = "es256",
) -> None:
    """Stamp declarations into content where crawlers and dataset builders look; a
    DatasetConsent goes into a Croissant card or a Hugging Face README.md."""
    from aiconsent.carriers.attach import CARRIERS, AttachError, SigningKey
    from aiconsent.carriers.attach import attach as run

    if as_ is not None and as_ not in CARRIERS:
        _fail(f"--as {as_!r}: choose one of {', '.join(CARRIERS)}")
    found, _ = _gather([declaration], None, False, False, None)
    if found.unreadable:
        _fail(f"{declaration}: has unreadable parts; nothing was attached")
    consents = [node for node in found.other if node.get("type") == "DatasetConsent"]
    declarations = [item.declaration for item in found.found] + consents
    signing = None
    if cert is not None or key is not None:
        if cert is None or key is None:
            _fail("--cert and --key go together")
        try:
            signing = SigningKey(cert.read_bytes(), key.read_bytes(), alg)
        except OSError as error:
            _fail(f"cannot read the signing files: {error.strerror or error}")
    try:
        attached = run(declarations, to, as_=as_, out=out, signing=signing)  # type: ignore[arg-type]
    except (AttachError, ValueError, OSError) as error:
        _fail(str(error))
    sys.stdout.write(f"{attached.path} ({attached.carrier})\n")
    for loss in attached.losses:
        sys.stderr.write(f"aiconsent: {attached.carrier}: {loss}\n")
    raise typer.Exit(SUCCESS)


from aiconsent.cli import audit_cmd, lookup_cmd, manifest_cmd  # noqa: E402

manifest_cmd.register(app)
audit_cmd.register(app)
lookup_cmd.register(app)


def main() -> None:
    """Console-script entry point: never lets a traceback reach the user."""
    try:
        app()
    except KeyboardInterrupt:
        sys.stderr.write("aiconsent: interrupted\n")
        sys.exit(INPUT_ERROR)
    except Exception as error:  # a bug of ours: say so plainly, exit 2, no traceback
        sys.stderr.write(
            f"aiconsent: internal error: {type(error).__name__}: {error}\n"
            "Please report this with the command you ran.\n"
        )
        sys.exit(INPUT_ERROR)
