"""Scoring a model (or ensemble) directory on a lexicon split: the Keras model, the int8 exports and the baselines."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from apps.g2p import baselines, data, ensemble
from apps.g2p.decode import beam_lexicon, greedy_lexicon
from apps.g2p.metrics import score
from apps.g2p.model import exported_files, load_runner

# The int8 formats a model (or ensemble) is scored in, and the result keys they get.
INT8_KEYS = {"tflite": "int8", "onnx": "int8_onnx"}
# The words whose attention is drawn (a regular word, a silent letter, a letter giving two phonemes).
PLOT_WORDS = ("phoneme", "knight", "taxes", "university")


def model_lexicon(config: dict[str, Any], data_file: str | None) -> data.Splits:
    """The splits of ``--data`` or of the lexicon the model was trained on, with the model's stress setting."""
    source = config.get("data", {}).get("lexicon", "")
    trained_on = source if source and not source.startswith("cmudict") else None
    return data.load_splits(data_file or trained_on, bool(config.get("stress", False)))


def evaluate(model_dir: Path, splits: data.Splits, split: str, with_baselines: bool, limit: int = 0,
             beam_width: int = 0) -> dict[str, Any]:
    """{"wer", "per", "words", <baseline>: {...}, "int8": {...}, "beam": {...} with ``beam_width``} of a model or
    ensemble directory: greedy decoding by the Keras model(s), then by the int8 files of each format present
    (with ``beam_width``, each also with that beam: "int8": {..., "beam": {...}})."""
    from suite.modeldir import read_config

    config = read_config(model_dir)
    tokens = tuple(config["tokens"])
    lexicon = getattr(splits, split)
    words = sorted(lexicon)[:limit] if limit else sorted(lexicon)
    lexicon = {w: lexicon[w] for w in words}
    keras = load_runner(model_dir, "keras")[0]
    result: dict[str, Any] = {"split": split, **score(lexicon, greedy_lexicon(keras, words, tokens))}
    if beam_width:
        result["beam"] = {"width": beam_width, **score(lexicon, beam_lexicon(keras, words, tokens, beam_width))}
    stress = bool(config.get("stress", False))
    for backend, key in INT8_KEYS.items():
        if has_exports(model_dir, config, backend):
            runner = load_runner(model_dir, backend)[0]
            result[key] = score(lexicon, greedy_lexicon(runner, words, tokens))
            if beam_width:   # what `predict --beam K` runs on the device
                result[key]["beam"] = {"width": beam_width,
                                       **score(lexicon, beam_lexicon(runner, words, tokens, beam_width))}
    if with_baselines:
        for name in baselines.BASELINES:
            result[name] = score(lexicon, baselines.predict(name, splits, words, stress))
    return result


def has_exports(model_dir: Path, config: dict[str, Any], backend: str) -> bool:
    """Whether the int8 encoder and decoder step of ``backend`` are there (for an ensemble: every member's)."""
    folders = ensemble.member_dirs(model_dir, config) if ensemble.is_ensemble(config) else [model_dir]
    return all(path.is_file() for folder in folders for path in exported_files(folder, backend))


def attention_model(model_dir: Path, config: dict[str, Any]) -> tuple[Any, str]:
    """(the Keras model whose attention is drawn, a label): an ensemble's first member (it has no single one)."""
    if ensemble.is_ensemble(config):
        model, member = ensemble.first_member_model(model_dir, config)
        return model, f"member {member} of the ensemble"
    from suite.modeldir import load_model_dir

    return load_model_dir(model_dir)[0], config.get("preset", "?")
