"""Shared RDF vocabulary (themes, indicators, norms): one source of truth for every layer."""
