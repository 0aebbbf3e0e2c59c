"""Find and read the files of schema/, wherever aiconsent is installed.

A wheel carries them as `aiconsent/schema/`; an editable install or a checkout reads the
top-level `schema/` folder instead, so there is exactly one copy of the vocabulary.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any


@cache
def schema_root() -> Traversable:
    """Return the folder holding the vocabulary files."""
    packaged = resources.files("aiconsent").joinpath("schema")
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parents[3] / "schema"
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError("aiconsent's schema/ folder is missing from this installation")


def read_bytes(name: str) -> bytes:
    """Return the bytes of one vocabulary file, by its path inside schema/."""
    node = schema_root()
    for part in name.split("/"):
        node = node.joinpath(part)
    return node.read_bytes()


@cache
def read_json(name: str) -> Any:
    """Return one JSON vocabulary file, parsed once per process."""
    return json.loads(read_bytes(name))
