"""Ingest: turn source files (real or demo) into the monitor's database."""
