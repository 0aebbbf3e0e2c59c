"""Options that several commands share, defined once so their names and help never drift."""

from __future__ import annotations

from typing import Annotated

import typer

JurisdictionOption = Annotated[
    str | None,
    typer.Option("--jurisdiction", help="Where the use happens (ISO 3166-1 alpha-2)."),
]
AtOption = Annotated[
    str | None, typer.Option("--at", help="When the use happens (RFC 3339; default now).")
]
PolicyOption = Annotated[
    str, typer.Option("--policy", help="opt-in, opt-out, signals-only, or a policy file.")
]
