"""Carriers: ways of attaching aiconsent declarations to content (spec §3.4)."""
