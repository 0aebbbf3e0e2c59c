"""Tests of the carriers that attach declarations to content."""
