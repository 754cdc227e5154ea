"""The baselines scored beside the model on the same words: our context transducer (cached) and espeak-ng."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from apps.g2p import data
from apps.g2p.ngram import ContextTransducer
from suite.app import cache_dir
from suite.atomic import write_text

BASELINES = ("ngram", "espeak")


def lexicon_key(lexicon: data.Lexicon) -> str:
    """A short digest of a training lexicon: the cached transducer belongs to exactly these entries."""
    text = "\n".join(f"{w} {'|'.join(' '.join(p) for p in prons)}" for w, prons in sorted(lexicon.items()))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def transducer_path(lexicon: data.Lexicon) -> Path:
    return cache_dir("g2p", f"ngram-{lexicon_key(lexicon)}.json")


def load_transducer(train: data.Lexicon) -> ContextTransducer:
    """The transducer trained on ``train``, from the cache when it is there (training takes minutes)."""
    path = transducer_path(train)
    if path.is_file():
        return ContextTransducer.from_json(json.loads(path.read_text()))
    model = ContextTransducer(train)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text(path, json.dumps(model.to_json()))
    return model


def predict(name: str, splits: data.Splits, words: list[str], stress: bool) -> dict[str, tuple[str, ...]]:
    if name == "ngram":
        return load_transducer(splits.train).predict_lexicon(words)
    from apps.g2p.espeak import predict_lexicon

    return predict_lexicon(words, stress)
