"""`aiconsent`: the command line. Thin by design: parse, call the library, render, exit."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from aiconsent.cli.exit_codes import INPUT_ERROR, NEGATIVE, SUCCESS

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
        list[Path], typer.Argument(help="Files to check (JSON-LD, JSON, JSON Lines).")
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
            "syntax,schema,jsonld,shacl,semantic.",
        ),
    ] = "syntax,schema,jsonld,shacl,semantic",
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
