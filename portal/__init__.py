"""Omgevingsmonitor: the open-data environment monitor of The Hague."""

__version__ = "0.1.0"
