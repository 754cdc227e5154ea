"""User-style models written directly with Keras 3 (``import keras``) or tf_keras, not with the suite's builders.

Both flavours share the layer API, so each zoo entry is one function of the flavour's module.
They learn the pulse task of tests/export_toy_models.py (3 classes, chance 33%).
"""
from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, Callable

import numpy as np

from tests.export_toy_models import CLASSES, FEATURES, STEPS, pulse_task

UNITS = 12
TRAIN_SAMPLES = 768


def flavour_module(flavour: str) -> Any:
    """``keras`` (Keras 3) or tf_keras; tf.keras is tf_keras in this project (suite/keras.py)."""
    if flavour == "keras3":
        import keras

        return keras
    from suite.keras import keras

    return keras


def _classifier(k: Any, body: Callable[[Any, Any], Any], name: str) -> Any:
    inputs = k.Input((STEPS, FEATURES), name="x")
    outputs = k.layers.Dense(CLASSES, activation="softmax", name="scores")(body(k, inputs))
    return k.Model(inputs, outputs, name=name)


def _tokens_classifier(k: Any) -> Any:
    inputs = k.Input((STEPS,), dtype="int32", name="tokens")
    x = k.layers.Embedding(VOCABULARY, 6)(inputs)
    x = k.layers.GRU(UNITS)(x)
    return k.Model(inputs, k.layers.Dense(CLASSES, activation="softmax", name="scores")(x), name="embedding")


def _bidirectional(mode: str) -> Callable[[Any], Any]:
    return lambda k: _classifier(k, lambda k, x: k.layers.Bidirectional(k.layers.GRU(8), merge_mode=mode)(x),
                                 f"bidi_{mode}")


def _return_state(k: Any, x: Any) -> Any:
    sequence, state = k.layers.GRU(UNITS, return_sequences=True, return_state=True)(x)
    return k.layers.Concatenate()([k.layers.GlobalAveragePooling1D()(sequence), state])


def _conv1d(k: Any, x: Any) -> Any:
    x = k.layers.Conv1D(8, 3, padding="same", activation="relu")(x)
    x = k.layers.MaxPooling1D(2, padding="same")(x)
    x = k.layers.AveragePooling1D(1)(x)
    return k.layers.GRU(UNITS)(x)


def _conv2d(k: Any, x: Any) -> Any:
    x = k.layers.Reshape((STEPS, FEATURES, 1))(x)
    x = k.layers.Conv2D(4, 3, padding="same", activation="relu")(x)
    x = k.layers.DepthwiseConv2D(3, padding="same")(x)
    x = k.layers.AveragePooling2D((1, 2))(x)
    x = k.layers.Reshape((STEPS, 8))(x)
    return k.layers.LSTM(UNITS)(x)


def _normalised(k: Any, x: Any) -> Any:
    x = k.layers.BatchNormalization()(x)
    x = k.layers.GaussianNoise(0.05)(x)
    x = k.layers.GRU(UNITS, return_sequences=True)(x)
    x = k.layers.LayerNormalization()(x)
    x = k.layers.Dropout(0.1)(x)
    return k.layers.GlobalMaxPooling1D()(x)


def _merges(k: Any, x: Any) -> Any:
    a = k.layers.Dense(8, activation="tanh")(x)
    b = k.layers.Dense(8, activation="sigmoid")(x)
    merged = k.layers.Concatenate()([k.layers.Add()([a, b]), k.layers.Multiply()([a, b]),
                                      k.layers.Average()([a, b]), k.layers.Subtract()([a, b])])
    return k.layers.SimpleRNN(UNITS)(merged)


def _reshapes(k: Any, x: Any) -> Any:
    x = k.layers.Permute((2, 1))(x)
    x = k.layers.Permute((2, 1))(x)
    x = k.layers.GRU(UNITS)(x)
    x = k.layers.RepeatVector(2)(x)
    x = k.layers.Flatten()(x)
    return k.layers.Activation("relu")(x)


def _attention(kind: str) -> Callable[[Any, Any], Any]:
    def body(k: Any, x: Any) -> Any:
        sequence = k.layers.GRU(UNITS, return_sequences=True)(x)
        layer = k.layers.Attention() if kind == "dot" else k.layers.AdditiveAttention()
        return k.layers.GlobalAveragePooling1D()(layer([sequence, sequence]))

    return body


def _stack(k: Any, x: Any) -> Any:
    x = k.layers.LSTM(UNITS, return_sequences=True)(x)
    return k.layers.GRU(UNITS, go_backwards=True)(x)


ZOO: dict[str, Callable[[Any], Any]] = {
    "gru": lambda k: _classifier(k, lambda k, x: k.layers.GRU(UNITS)(x), "gru"),
    "gru_reset_before": lambda k: _classifier(k, lambda k, x: k.layers.GRU(UNITS, reset_after=False)(x), "gru_rb"),
    "lstm": lambda k: _classifier(k, lambda k, x: k.layers.LSTM(UNITS)(x), "lstm"),
    "simple_rnn": lambda k: _classifier(k, lambda k, x: k.layers.SimpleRNN(UNITS)(x), "simple_rnn"),
    "stack_backwards": lambda k: _classifier(k, _stack, "stack_backwards"),
    **{f"bidi_{mode}": _bidirectional(mode) for mode in ("concat", "sum", "mul", "ave")},
    "return_state": lambda k: _classifier(k, _return_state, "return_state"),
    "conv1d": lambda k: _classifier(k, _conv1d, "conv1d"),
    "conv2d": lambda k: _classifier(k, _conv2d, "conv2d"),
    "time_distributed": lambda k: _classifier(
        k, lambda k, x: k.layers.LSTM(UNITS)(k.layers.TimeDistributed(k.layers.Dense(8, activation="relu"))(x)),
        "time_distributed"),
    "normalised": lambda k: _classifier(k, _normalised, "normalised"),
    "masking": lambda k: _classifier(k, lambda k, x: k.layers.LSTM(UNITS)(k.layers.Masking(0.0)(x)), "masking"),
    "merges": lambda k: _classifier(k, _merges, "merges"),
    "reshapes": lambda k: _classifier(k, _reshapes, "reshapes"),
    "attention": lambda k: _classifier(k, _attention("dot"), "attention"),
    "additive_attention": lambda k: _classifier(k, _attention("additive"), "additive_attention"),
    "embedding": _tokens_classifier,
}
VOCABULARY = 8
PULSE_TOKEN = VOCABULARY - 1


def zoo_data(kind: str, count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The pulse task; for ``embedding`` as tokens (noise tokens 0..5, the pulse is token 7)."""
    x, labels = pulse_task(count, seed)
    if kind == "masking":
        x[:, -2:] = 0.0  # two padded steps at the end: Masking skips them
    if kind != "embedding":
        return x, labels
    tokens = np.random.default_rng(seed + 1).integers(0, PULSE_TOKEN - 1, size=(count, STEPS)).astype(np.int32)
    tokens[x[:, :, 0] > 1.0] = PULSE_TOKEN
    return tokens, labels


def train(flavour: str, kind: str, epochs: int = 6, seed: int = 0) -> Any:
    k = flavour_module(flavour)
    k.utils.set_random_seed(seed)
    model = ZOO[kind](k)
    inputs, targets = zoo_data(kind, TRAIN_SAMPLES, seed)
    model.compile(optimizer=k.optimizers.Adam(0.02), loss="sparse_categorical_crossentropy")
    model.fit(inputs, targets, epochs=epochs, batch_size=64, verbose=0)
    return model


@functools.cache
def saved(flavour: str, kind: str, folder: str, suffix: str = ".keras") -> Path:
    """Train once per session and save as a bare file in ``folder``."""
    path = Path(folder) / f"{flavour}_{kind}{suffix}"
    train(flavour, kind).save(path)
    return path


def calibration_npz(path: Path, count: int = 400, seed: int = 42, kind: str = "gru") -> Path:
    inputs, targets = zoo_data(kind, count, seed)
    np.savez(path, inputs=inputs, targets=targets)
    return path


# Argmax agreement every zoo export must reach against Keras on held-out inputs (issue 13's "done when").
MIN_ZOO_AGREEMENT = 0.97


def zoo_report(flavour: str, kind: str, folder: Path) -> dict[str, Any]:
    """Train, save a bare .keras, export full-int8 TFLite (+ TFLite Micro) and int8 ONNX; the figures per runtime."""
    import json

    from export.__main__ import main

    model_file = saved(flavour, kind, str(folder))
    data = calibration_npz(folder / f"{flavour}_{kind}.npz", kind=kind)
    row: dict[str, Any] = {"flavour": flavour, "kind": kind}
    for format, extra in (("tflite", ["--target", "tflm"]), ("onnx", [])):
        out, report_path = folder / f"{flavour}_{kind}_int8.{format}", folder / f"{flavour}_{kind}_{format}.json"
        code = main([str(model_file), "--format", format, "--quantize", "int8", "--calibration-data", str(data),
                     "--out", str(out), "--report", str(report_path), *extra])
        report = json.loads(report_path.read_text()) if report_path.is_file() else {}
        row[format] = {"exit": code, "agreement": report.get("agreement"), "bytes": report.get("bytes"),
                       "keras_accuracy": report.get("keras"), "ops": report.get("ops")}
        if "tflm" in report:
            micro = report["tflm"]
            row["tflm"] = {"agreement": micro["agreement"], "arena_bytes": micro["arena_bytes"],
                           "flash_bytes": micro["flash_bytes"]}
    return row


def markdown_table(rows: list[dict[str, Any]]) -> str:
    """The zoo table of docs/export.md: agreement with Keras per runtime, and bytes."""
    lines = ["| flavour | model | Keras accuracy | LiteRT int8 | TFLite Micro | ONNX Runtime int8 | .tflite bytes | "
             ".onnx bytes | TFLM arena bytes |", "|---|---|---|---|---|---|---|---|---|"]

    def figure(value: Any) -> str:
        return "-" if value is None else f"{value:.3f}"

    for row in rows:
        lite, onnx, micro = row["tflite"], row["onnx"], row.get("tflm", {})
        lines.append(f"| {row['flavour']} | {row['kind']} | {figure(lite['keras_accuracy'])} | "
                     f"{figure(lite['agreement'])} | {figure(micro.get('agreement'))} | {figure(onnx['agreement'])} | "
                     f"{lite['bytes'] or '-'} | {onnx['bytes'] or '-'} | {micro.get('arena_bytes', '-')} |")
    return "\n".join(lines)


if __name__ == "__main__":  # python -m tests.export_zoo [kind ...]: the zoo table, as JSON lines then markdown
    import json
    import sys
    import tempfile

    chosen = sys.argv[1:] or list(ZOO)
    with tempfile.TemporaryDirectory() as scratch:
        collected = []
        for flavour_name in ("keras3", "tf_keras"):
            for kind_name in chosen:
                collected.append(zoo_report(flavour_name, kind_name, Path(scratch)))
                print(json.dumps(collected[-1], default=float), flush=True)
        print(markdown_table(collected))
