"""Readers: bytes of some format in, declarations (and unreadable signals) out."""

from aiconsent.readers.sources import read_paths, read_source

__all__ = ["read_paths", "read_source"]
