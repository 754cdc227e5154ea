"""Word and phoneme error rates, scored as the literature does for words with several pronunciations.

A word is correct when the prediction equals any of its reference pronunciations (WER). Phoneme errors are the
edit distance (substitutions, insertions, deletions) to the closest reference, divided by that reference's
length, summed over words (PER = total edits / total reference phonemes).
"""
from __future__ import annotations

from typing import Sequence

from apps.g2p.data import Lexicon
from export.tasks import closest, edit_distance, sequence_errors   # one scoring for the app and the export gate


def score(lexicon: Lexicon, predictions: dict[str, Sequence[str]]) -> dict[str, float | int]:
    """{"wer", "per" (percent), "words", "phonemes"} of ``predictions`` over every word of ``lexicon``."""
    words = list(lexicon)
    errors = sequence_errors([predictions.get(word, ()) for word in words], [lexicon[word] for word in words])
    wer = 100.0 * float(errors["wrong"].mean()) if words else 0.0
    return {"wer": round(wer, 3), "per": errors["per"], "words": len(lexicon), "phonemes": errors["length"]}


__all__ = ["score", "edit_distance", "closest"]
