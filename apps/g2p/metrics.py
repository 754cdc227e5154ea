"""Word and phoneme error rates, scored as the literature does for words with several pronunciations.

A word is correct when the prediction equals any of its reference pronunciations (WER). Phoneme errors are the
edit distance (substitutions, insertions, deletions) to the closest reference, divided by that reference's
length, summed over words (PER = total edits / total reference phonemes).
"""
from __future__ import annotations

from typing import Sequence

from apps.g2p.data import Lexicon


def edit_distance(a: Sequence[str], b: Sequence[str]) -> int:
    """Levenshtein distance between two phoneme sequences (unit costs)."""
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, start=1):
        current = [i]
        for j, y in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def closest(prediction: Sequence[str], references: list[tuple[str, ...]]) -> tuple[int, int]:
    """(edits, reference length) against the reference with the fewest edits (the shorter on ties)."""
    return min((edit_distance(prediction, ref), len(ref)) for ref in references)


def score(lexicon: Lexicon, predictions: dict[str, Sequence[str]]) -> dict[str, float | int]:
    """{"wer", "per" (percent), "words", "phonemes"} of ``predictions`` over every word of ``lexicon``."""
    wrong = edits = length = 0
    for word, references in lexicon.items():
        prediction = tuple(predictions.get(word, ()))
        word_edits, word_length = closest(prediction, references)
        wrong += word_edits > 0
        edits += word_edits
        length += word_length
    words = max(len(lexicon), 1)
    return {"wer": round(100.0 * wrong / words, 3), "per": round(100.0 * edits / max(length, 1), 3),
            "words": len(lexicon), "phonemes": length}
