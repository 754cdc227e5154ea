"""Whole-tune drift of a music model's exported step files against Keras, by position in the tune.

    python benchmarks/music_drift.py [MODEL_DIR]    # default saved_models/music

Steps the first 32 held-out test tunes (what export's after_export check steps, after their control
tokens for a conditioned model) through each exported step file with its own state and prints, per file, the relative NLL increase over the Keras sequence model
overall and over events 1-127, 128-255, 256-511 and 512+ as JSON (docs/apps/music.md, the exports table).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository, ahead of benchmarks/export.py
from apps.music import model as melody_model  # noqa: E402
from apps.music.calibration import generation_check_tunes  # noqa: E402
from apps.music.generation import make_scorer, stepwise_log_probs  # noqa: E402
from apps.music.model import MelodyModel  # noqa: E402

STEP_FILES = ("step_int16x8.tflite", "step_int8.tflite", "step_dynamic.tflite", "step_int8.onnx")
SPANS = ((1, 128), (128, 256), (256, 512), (512, None))


def drift(model_dir: Path) -> dict:
    keras = melody_model.load(model_dir)
    tunes, prefixes = generation_check_tunes(keras.config)  # prefixes: a conditioned model's control tokens
    keras_log_probs, _ = melody_model.target_log_probs(keras, tunes, prefixes=prefixes)
    prefixes = prefixes or [None] * len(tunes)
    position = np.concatenate([np.arange(1, len(tune)) for tune in tunes])  # the scored event's index in its tune
    record = {"tunes": len(tunes), "events": int(keras_log_probs.size),
              "nll_keras": round(float(-keras_log_probs.mean()), 4)}
    for name in STEP_FILES:
        if not (model_dir / name).is_file():
            continue
        exported = MelodyModel(None, keras.config, keras.music, step_file=model_dir / name)
        scorer = make_scorer(exported)
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
    print(json.dumps(drift(Path(sys.argv[1] if len(sys.argv) > 1 else "saved_models/music")), indent=2))
