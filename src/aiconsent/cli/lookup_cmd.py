"""`aiconsent lookup`: is this work in the dataset, under which declarations, and is it used?

Exit 0 when the work is an item of the dataset, 1 when it is not, 2 for bad input.
"""

import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import typer

from aiconsent.cli.exit_codes import NEGATIVE, SUCCESS
from aiconsent.cli.options import AtOption, JurisdictionOption, PolicyOption


def render_lookup(document: Mapping[str, Any]) -> str:
    """The lookup result (LookupResult.to_dict) as text for people."""
    from aiconsent.cli.audit_cmd import printable
    from aiconsent.model.found import Found, ReadResult, Unreadable
    from aiconsent.readers.render import render_read

    query = document["query"]
    asked = f"url {query['url']}" if query["url"] else f"sha256 {query['sha256']}"
    items = document["items"]
    purposes = document["purposes"]
    lines = []
    if items:
        lines.append(f"{printable(asked)}: in the dataset as {len(items)} item(s)")
    else:
        lines.append(f"{printable(asked)}: not in the dataset")
    place = document["jurisdiction"] or "no jurisdiction"
    lines.append(
        f"question: {', '.join(str(p) for p in purposes)} · {place} · at {document['at']} · "
        f"policy {printable(document['policy'])}"
    )
    for match in items:
        lines.append("")
        how = ", ".join(match["matchedBy"])
        lines.append(f"item {printable(match['item'])} (matched by {how})")
        verdict = match["decision"].upper()
        reasons = ", ".join(match["reasons"]) or "—"
        lines.append(f"  {verdict}: {reasons}")
        if match["duties"]:
            lines.append(f"  duties: {', '.join(match['duties'])}")
        for purpose, decision in match["purposes"].items():
            for reason in decision["reasons"]:
                lines.append(f"  {purpose}: {printable(reason['message'])}")
        found = ReadResult(
            found=[
                Found(
                    {k: v for k, v in d.items() if k not in ("carrier", "source")},
                    d.get("source"),
                    d.get("carrier") or "jsonld",
                )
                for d in match["declarations"]
            ],
            unreadable=[
                Unreadable(u.get("source"), u.get("message", ""), u.get("carrier"))
                for u in match["unreadable"]
            ],
        )
        lines.append("  declarations:")
        lines.extend(
            f"    {printable(line)}" for line in render_read(found, []).splitlines() if line
        )
    more = document.get("moreItems")
    if more:
        lines.append(f"… and {more} more item(s) (see --format json)")
    covering = document.get("coveringPatterns")
    if covering:
        lines.append("")
        lines.append("declarations whose urlPattern covers the URL:")
        found = ReadResult(
            found=[
                Found(
                    {k: v for k, v in d.items() if k not in ("carrier", "source")},
                    d.get("source"),
                    d.get("carrier") or "jsonld",
                )
                for d in covering
            ]
        )
        lines.extend(f"  {printable(line)}" for line in render_read(found, []).splitlines() if line)
    return "\n".join(lines) + "\n"


def register(app: typer.Typer) -> None:
    """Add `lookup` to the application."""
    from aiconsent.cli.app import CheckFormat, Purpose, _fail

    @app.command("lookup")
    def lookup_command(
        manifest: Annotated[
            Path, typer.Argument(help="The item manifest: Parquet (spec §10.4.2) or JSON Lines.")
        ],
        url: Annotated[str | None, typer.Option("--url", help="The work's URL.")] = None,
        file: Annotated[
            Path | None, typer.Option("--file", help="The work itself (found by its SHA-256).")
        ] = None,
        purpose: Annotated[
            list[Purpose] | None,
            typer.Option("--purpose", help="A use to decide (repeatable; default genai-training)."),
        ] = None,
        jurisdiction: JurisdictionOption = None,
        at: AtOption = None,
        policy: PolicyOption = "opt-in",
        output_format: Annotated[
            CheckFormat, typer.Option("--format", help="Output: text for people, or json.")
        ] = CheckFormat.text,
    ) -> None:
        """Is this work in the dataset, under which declarations, and what does the audit decide?

        Exit 0 in the dataset, 1 not in it, 2 bad input.
        """
        from aiconsent.auditing.lookup import lookup

        if (url is None) == (file is None):
            _fail("give exactly one of --url URL or --file FILE")
        try:
            result = lookup(
                manifest,
                url=url,
                file=file,
                purposes=[p.value for p in purpose] if purpose else ["genai-training"],
                jurisdiction=jurisdiction,
                at=at,
                policy=policy,
            )
        except ValueError as error:  # AuditError, ManifestError, PolicyError…
            _fail(str(error))
        except OSError as error:
            _fail(f"{manifest}: {error.strerror or error}")
        document = result.to_dict()
        if output_format is CheckFormat.json:
            sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
        else:
            sys.stdout.write(render_lookup(document))
        raise typer.Exit(SUCCESS if result.found else NEGATIVE)
