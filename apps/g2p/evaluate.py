"""Scoring a model directory on a lexicon split: the Keras model, the int8 exports and the baselines."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from apps.g2p import baselines, data
from apps.g2p.decode import beam_lexicon, greedy_lexicon
from apps.g2p.metrics import score
from apps.g2p.model import ExportedRunner, KerasRunner, exported_files

# The words whose attention is drawn (a regular word, a silent letter, a letter giving two phonemes).
PLOT_WORDS = ("phoneme", "knight", "taxes", "university")


def model_lexicon(config: dict[str, Any], data_file: str | None) -> data.Splits:
    """The splits of ``--data`` or of the lexicon the model was trained on, with the model's stress setting."""
    source = config.get("data", {}).get("lexicon", "")
    trained_on = source if source and not source.startswith("cmudict") else None
    return data.load_splits(data_file or trained_on, bool(config.get("stress", False)))


def evaluate(model_dir: Path, splits: data.Splits, split: str, with_baselines: bool, limit: int = 0,
             beam_width: int = 0) -> tuple[dict[str, Any], Any, dict[str, tuple[str, ...]]]:
    """({"wer", "per", "words", <baseline>: {...}, "int8": {...}, "beam": {...} with ``beam_width``}, the Keras
    model, its greedy predictions)."""
    from suite.modeldir import load_model_dir

    model, config = load_model_dir(model_dir)
    tokens = tuple(config["tokens"])
    lexicon = getattr(splits, split)
    words = sorted(lexicon)[:limit] if limit else sorted(lexicon)
    lexicon = {w: lexicon[w] for w in words}
    predictions = greedy_lexicon(KerasRunner(model), words, tokens)
    result: dict[str, Any] = {"split": split, **score(lexicon, predictions)}
    if beam_width:
        result["beam"] = {"width": beam_width,
                          **score(lexicon, beam_lexicon(KerasRunner(model), words, tokens, beam_width))}
    stress = bool(config.get("stress", False))
    for backend, key in (("tflite", "int8"), ("onnx", "int8_onnx")):
        encoder, decoder = exported_files(model_dir, backend)
        if encoder.is_file() and decoder.is_file():
            result[key] = score(lexicon, greedy_lexicon(ExportedRunner(encoder, decoder), words, tokens))
    if with_baselines:
        for name in baselines.BASELINES:
            result[name] = score(lexicon, baselines.predict(name, splits, words, stress))
    return result, model, predictions
