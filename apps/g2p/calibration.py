"""Calibration and held-out words for export: validation words calibrate, test words are held out.

The registered dataset gives the teacher-forced sequence model's inputs ``[letter one-hots, decoder input
one-hots]`` and targets; the g2p exporter (export_models.py) uses ``words`` to step its encoder and decoder.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from apps.g2p import data
from export.calibration import register_dataset

# Split each export sample is drawn from: calibration never sees the test words the gates score.
SPLIT_OF = {"calibration": "validation", "heldout": "test", "train": "train"}
SAMPLE_SEED = 0


def words(config: dict, split: str, count: int) -> data.Lexicon:
    """``count`` words (seeded draw) of the split behind ``split``; the data the model was trained on."""
    source = config.get("data", {}).get("lexicon", "")
    user_file = source if source and not source.startswith("cmudict") else None
    splits = data.load_splits(user_file, bool(config.get("stress", False)))
    lexicon = getattr(splits, SPLIT_OF[split])
    names = sorted(lexicon)
    if 0 < count < len(names):
        names = sorted(np.random.default_rng(SAMPLE_SEED).choice(names, size=count, replace=False).tolist())
    return {word: lexicon[word] for word in names}


@register_dataset("g2p")
def dataset(config: dict, split: str, count: int) -> tuple[Any, Any]:
    from apps.g2p.training import arrays

    stress = bool(config.get("stress", False))
    letters, decoder_inputs, targets = arrays(words(config, split, count), stress)
    depth = data.token_depth(stress)
    return [data.one_hot(letters, data.LETTER_DEPTH), data.one_hot(decoder_inputs, depth)], targets
