"""Grapheme-to-phoneme: spelling to ARPAbet pronunciation with an attention encoder-decoder (CMUdict)."""
