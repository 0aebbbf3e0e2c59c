"""Tests of DatasetConsent in dataset cards: Croissant, Hugging Face, standalone."""
