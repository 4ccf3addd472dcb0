"""Indicators: area values from the loaded data, assessed against the vocabulary's norms."""
