"""Keyword spotting on Speech Commands-style data: ``python -m apps.speech``."""
