"""Readers and writers for every existing AI-use signal, one module per format (spec §9)."""
