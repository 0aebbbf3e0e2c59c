"""`aiconsent manifest build`: gather a dataset's declarations into an item manifest.

Thin like the rest of the CLI: parse, call aiconsent.manifests.build, render, exit. Exit 0 when
the manifest was written, 2 for bad input (the output is then not written at all).
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from aiconsent.cli.exit_codes import INPUT_ERROR, SUCCESS


class SummaryFormat(StrEnum):
    text = "text"
    json = "json"


def _printable(text: object) -> str:
    """Text for a terminal: control characters (escapes) shown as '?'."""
    return "".join(ch if ch.isprintable() else "?" for ch in str(text))


def _fail(message: str) -> typer.Exit:
    sys.stderr.write(f"aiconsent: {_printable(message)}\n")
    return typer.Exit(INPUT_ERROR)


def build(
    sources: Annotated[
        list[Path],
        typer.Argument(
            help="JSON Lines manifests, aiconsent JSON-LD files, Parquet manifests, content "
            "files, or folders of content files (read with every carrier).",
            show_default=False,
        ),
    ],
    out: Annotated[
        Path,
        typer.Option("--out", "-o", help="The manifest to write: FILE.parquet or FILE.jsonl."),
    ],
    dataset: Annotated[
        str | None,
        typer.Option("--dataset", help="The dataset IRI (file metadata; collection targets)."),
    ] = None,
    output_format: Annotated[
        SummaryFormat, typer.Option("--format", help="Summary: text for people, or json.")
    ] = SummaryFormat.text,
    progress: Annotated[
        bool | None,
        typer.Option(
            "--progress/--no-progress",
            help="Progress bar on stderr (default: when stderr is a terminal).",
            show_default=False,
        ),
    ] = None,
    max_bytes: Annotated[
        int,
        typer.Option("--max-bytes", min=1, help="Largest content file whose carriers are read."),
    ] = 100 * 1024 * 1024,
) -> None:
    """Build an item manifest (spec §10.4) from declarations and content files."""
    from aiconsent.manifests.build import BuildError, build_manifest

    try:
        summary = build_manifest(
            sources, out, dataset=dataset, progress=progress, max_bytes=max_bytes
        )
    except BuildError as error:
        raise _fail(str(error)) from None
    if output_format is SummaryFormat.json:
        sys.stdout.write(json.dumps(summary.to_dict(), indent=2, ensure_ascii=False) + "\n")
    else:
        carriers = ", ".join(f"{name} {count}" for name, count in sorted(summary.carriers.items()))
        lines = [
            f"wrote {_printable(summary.output)} ({summary.format}, sha256 {summary.sha256})",
            f"  items: {summary.items:,} ({summary.empty_items:,} with no declaration)",
            f"  declarations: {summary.declarations:,}" + (f" ({carriers})" if carriers else ""),
            f"  unreadable: {summary.unreadable:,}",
            f"  rows: {summary.rows:,}  files read: {summary.files_read:,}",
        ]
        lines.extend(f"  note: {_printable(note)}" for note in summary.notes)
        sys.stdout.write("\n".join(lines) + "\n")
    raise typer.Exit(SUCCESS)


def register(app: typer.Typer) -> None:
    """Add `manifest` (with its `build` command) to the application."""
    group = typer.Typer(
        name="manifest",
        help="Item manifests (spec §10.4): build one from declarations and content files.",
        no_args_is_help=True,
    )
    group.command("build")(build)
    app.add_typer(group, name="manifest")
