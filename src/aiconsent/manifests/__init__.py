"""Item manifests (spec §10.4): the Parquet layout, JSON Lines, and building one from sources."""
