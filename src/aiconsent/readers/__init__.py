"""Readers: bytes of some format in, declarations (and unreadable signals) out."""

from aiconsent.readers.sources import read, read_paths, read_source

__all__ = ["read", "read_paths", "read_source"]
