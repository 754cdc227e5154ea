"""Whole-tune drift of a music model's exported step files against Keras, by position in the tune.

    python benchmarks/music_drift.py [MODEL_DIR]                 # default saved_models/music
    python benchmarks/music_drift.py [MODEL_DIR] --backend tflm  # the int16x8/int8 files in TFLite Micro

Steps the first 32 held-out test tunes (what export's after_export check steps, after their control
tokens for a conditioned model) through each exported step file with its own state and prints, per file, the relative NLL increase over the Keras sequence model
overall and over events 1-127, 128-255, 256-511 and 512+ as JSON (docs/apps/music.md, the exports table).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository, ahead of benchmarks/export.py
from apps.music import model as melody_model  # noqa: E402
from apps.music.calibration import generation_check_tunes  # noqa: E402
from apps.music.generation import RuntimeScorer, make_scorer, stepwise_log_probs  # noqa: E402
from apps.music.model import MelodyModel  # noqa: E402

STEP_FILES = ("step_int16x8.tflite", "step_int8.tflite", "step_dynamic.tflite", "step_int8.onnx")
SPANS = ((1, 128), (128, 256), (256, 512), (512, None))
TFLM_FILES = ("step_int16x8.tflite", "step_int8.tflite")  # integer files: TFLite Micro runs no hybrid or ONNX one
TFLM_ARENA = 64 * 1024  # above every music step file's need (18,736 B); the arena's size changes no number


def drift(model_dir: Path, backend: str = "auto") -> dict:
    keras = melody_model.load(model_dir)
    tunes, prefixes = generation_check_tunes(keras.config)  # prefixes: a conditioned model's control tokens
    keras_log_probs, _ = melody_model.target_log_probs(keras, tunes, prefixes=prefixes)
    prefixes = prefixes or [None] * len(tunes)
    position = np.concatenate([np.arange(1, len(tune)) for tune in tunes])  # the scored event's index in its tune
    record = {"backend": backend, "tunes": len(tunes), "events": int(keras_log_probs.size),
              "nll_keras": round(float(-keras_log_probs.mean()), 4)}
    for name in STEP_FILES:
        if not (model_dir / name).is_file() or (backend == "tflm" and name not in TFLM_FILES):
            continue
        exported = MelodyModel(None, keras.config, keras.music, step_file=model_dir / name)
        scorer = (make_scorer(exported) if backend == "auto" else
                  RuntimeScorer(model_dir / name, keras.music.lookback, backend, arena_size=TFLM_ARENA))
        log_probs = np.concatenate([stepwise_log_probs(exported, tune, scorer, prefix)
                                    for tune, prefix in zip(tunes, prefixes)])
        row = {"bytes": (model_dir / name).stat().st_size, "nll_export": round(float(-log_probs.mean()), 4),
               "overall": round(float(log_probs.mean() / keras_log_probs.mean() - 1), 4)}
        for low, high in SPANS:
            chosen = (position >= low) & (position < (high or np.inf))
            if chosen.any():
                row[f"{low}-{high - 1 if high else 'end'}"] = {
                    "events": int(chosen.sum()),
                    "increase": round(float(log_probs[chosen].mean() / keras_log_probs[chosen].mean() - 1), 4)}
        record[name] = row
    return record


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model_dir", nargs="?", default="saved_models/music")
    parser.add_argument("--backend", choices=("auto", "tflm"), default="auto",
                        help="auto: each file's runtime (LiteRT, ONNX Runtime); "
                             "tflm: the integer .tflite files in TFLite Micro")
    args = parser.parse_args()
    print(json.dumps(drift(Path(args.model_dir), args.backend), indent=2))
