"""`aiconsent audit`: judge every item of a dataset's manifest and say what may be used.

Thin like the rest of the CLI: parse, call aiconsent.auditing.run.audit, render, exit. Exit 0 when
every item is allowed, 1 when some item is denied or unknown, 2 for bad input.
"""

import json
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from aiconsent.cli.exit_codes import NEGATIVE, SUCCESS
from aiconsent.cli.options import AtOption, JurisdictionOption, PolicyOption

OUTCOMES = ("allowed", "denied", "unknown")
_SHOWN_ROWS = 12


class Engine(StrEnum):
    duckdb = "duckdb"
    spark = "spark"
    python = "python"


def printable(text: object) -> str:
    """Text from a manifest, safe for a terminal: control characters (escapes) shown as '?'."""
    return "".join(ch if ch.isprintable() else "?" for ch in str(text))


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:5.1f}%" if whole else "     -"


def _breakdown(title: str, table: Mapping[str, Mapping[str, int]]) -> list[str]:
    """A small aligned table: key, allowed, denied, unknown (largest first, then the rest)."""
    if not table:
        return []
    ranked = sorted(table.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
    shown = ranked[:_SHOWN_ROWS]
    width = max(len(title), *(min(len(printable(key)), 40) for key, _ in shown))
    lines = [f"{title:<{width}}  {'allowed':>9} {'denied':>9} {'unknown':>9}"]
    for key, counts in shown:
        label = printable(key)
        label = label if len(label) <= 40 else label[:39] + "…"
        cells = " ".join(f"{counts.get(o, 0):>9,}" for o in OUTCOMES)
        lines.append(f"{label:<{width}}  {cells}")
    if len(ranked) > _SHOWN_ROWS:
        lines.append(f"… and {len(ranked) - _SHOWN_ROWS} more (see --format json)")
    return [*lines, ""]


def render_totals(totals: Mapping[str, Any]) -> str:
    """The audit's totals as text for people."""
    items = int(totals["items"])
    decisions = totals["decisions"]
    place = totals["jurisdiction"] or "no jurisdiction"
    lines = [
        f"manifest  {printable(totals['manifest'])}",
        f"sha256    {totals['sha256']}",
        f"question  {', '.join(totals['purposes'])} · {place} · at {totals['at']} · "
        f"policy {printable(totals['policy'])} · engine {totals['engine']}",
        f"items     {items:,} ({totals['declarations']:,} declarations, "
        f"{totals['unreadableItems']:,} with unreadable signals)",
        "",
    ]
    for outcome in OUTCOMES:
        count = int(decisions[outcome])
        lines.append(f"{outcome:<9} {count:>12,}  {_share(count, items)}")
    lines.append("")
    for name, key in (("minors' content", "minors"), ("withdrawn", "withdrawn")):
        group = totals[key]
        lines.append(
            f"{name}: {group['items']:,} items (allowed {group['allowed']:,}, "
            f"denied {group['denied']:,}, unknown {group['unknown']:,})"
        )
    lines.append("")
    if totals["byReason"]:
        width = max(len("reason"), *(len(code) for code in totals["byReason"]))
        lines.append(f"{'reason':<{width}}  {'items':>9}")
        for code, count in sorted(totals["byReason"].items(), key=lambda kv: (-kv[1], kv[0])):
            lines.append(f"{printable(code):<{width}}  {count:>9,}")
        lines.append("")
    for title, key in (
        ("basis", "byBasis"),
        ("carrier", "byCarrier"),
        ("jurisdiction", "byJurisdiction"),
        ("source", "bySource"),
        ("year", "byYear"),
    ):
        lines.extend(_breakdown(title, totals[key]))
    for outcome in ("denied", "unknown"):
        examples = totals["examples"][outcome]
        if examples:
            lines.append(f"{outcome}, e.g.:")
            lines.extend(f"  {printable(item)}" for item in examples)
    return "\n".join(lines).rstrip("\n") + "\n"


@contextmanager
def progress_bar(manifest: Path, engine: str, enabled: bool) -> Iterator[Any]:
    """A rich progress bar on stderr, or None when stderr is not a terminal.

    The DuckDB engine reports manifest rows scanned, the Python engine items judged.
    """
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    total = _count(manifest, "count(*)" if engine == "duckdb" else "count(DISTINCT item)")
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task("auditing", total=total)

        def advance(done: int) -> None:
            bar.advance(task, done)

        yield advance


def _count(manifest: Path, aggregate: str) -> int | None:
    """Rows or items of a Parquet manifest (the bar's total); None when it is not Parquet."""
    import duckdb

    from aiconsent.auditing.totals import connect

    try:
        with connect() as con:
            row = con.execute(
                f"SELECT {aggregate} FROM read_parquet(?)", [str(manifest)]
            ).fetchone()
    except (duckdb.Error, OSError):
        return None
    return int(row[0]) if row is not None else None


def register(app: typer.Typer) -> None:
    """Add `audit` to the application."""
    from aiconsent.cli.app import CheckFormat, Purpose, _fail

    @app.command("audit")
    def audit_command(
        manifest: Annotated[
            Path, typer.Argument(help="The item manifest: Parquet (spec §10.4.2) or JSON Lines.")
        ],
        purpose: Annotated[
            list[Purpose],
            typer.Option("--purpose", help="A use the items are cleared for (repeatable)."),
        ],
        jurisdiction: JurisdictionOption = None,
        at: AtOption = None,
        policy: PolicyOption = "opt-in",
        engine: Annotated[
            Engine, typer.Option("--engine", help="duckdb (default), spark or python.")
        ] = Engine.duckdb,
        write_allowed: Annotated[
            Path | None,
            typer.Option(
                "--write-allowed", help="Write the allowed items here (.parquet or .jsonl)."
            ),
        ] = None,
        report: Annotated[
            Path | None,
            typer.Option("--report", help="Write a self-contained HTML report here."),
        ] = None,
        out: Annotated[
            Path | None, typer.Option("--out", help="Write the totals as JSON here.")
        ] = None,
        title: Annotated[
            str | None, typer.Option("--title", help="The HTML report's title.")
        ] = None,
        output_format: Annotated[
            CheckFormat, typer.Option("--format", help="Output: text for people, or json.")
        ] = CheckFormat.text,
    ) -> None:
        """Decide every item of MANIFEST for PURPOSE; count, and write what may be used.

        Exit 0 every item allowed, 1 some item denied or unknown, 2 bad input.
        """
        from aiconsent.auditing.run import audit
        from aiconsent.carriers.safe_write import SafeWriteError, atomic_write

        try:
            show = sys.stderr.isatty() and manifest.is_file()
            with progress_bar(manifest, engine.value, show) as advance:
                result = audit(
                    manifest,
                    purposes=[p.value for p in purpose],
                    jurisdiction=jurisdiction,
                    at=at,
                    policy=policy,
                    engine=engine.value,
                    write_allowed=write_allowed,
                    report=report,
                    progress=advance,
                    title=title,
                )
        except ValueError as error:  # AuditError, ManifestError, PolicyError, SafeWriteError…
            _fail(str(error))
        except OSError as error:
            _fail(f"{manifest}: {error.strerror or error}")
        document = json.dumps(result.to_dict(), indent=2, ensure_ascii=False, sort_keys=True)
        if out is not None:
            try:
                atomic_write(out, (document + "\n").encode("utf-8"))
            except SafeWriteError as error:
                _fail(str(error))
        if output_format is CheckFormat.json:
            sys.stdout.write(document + "\n")
        else:
            sys.stdout.write(render_totals(result.totals))
            if result.allowed is not None:
                sys.stdout.write(
                    f"wrote {result.allowed_rows:,} rows of allowed items to "
                    f"{printable(result.allowed)}\n"
                )
            if result.report is not None:
                sys.stdout.write(f"wrote the report to {printable(result.report)}\n")
        raise typer.Exit(SUCCESS if result.all_allowed else NEGATIVE)
