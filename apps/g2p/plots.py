"""The attention-alignment plot: which letters the decoder attends to while emitting each phoneme."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from apps.g2p import data

ATTENTION_LAYER = "decoder_attention"


def attention_weights(model: Any, words: list[str], predictions: dict[str, tuple[str, ...]],
                      tokens: tuple[str, ...]) -> list[np.ndarray]:
    """Per word, (output phonemes + end, letters) attention weights with the model's own output teacher forced."""
    from suite.keras import keras

    layer = model.get_layer(ATTENTION_LAYER)
    query_and_memory = keras.Model(model.inputs, layer.input)
    index = {token: i for i, token in enumerate(tokens)}
    decoder_ids = np.zeros((len(words), data.DECODER_STEPS), np.int64)
    for row, word in enumerate(words):
        ids = [data.BOS] + [index[p] for p in predictions[word]]
        decoder_ids[row, :len(ids)] = ids
    letters = data.one_hot(data.encode_words(words), data.LETTER_DEPTH)
    query, memory = query_and_memory.predict([letters, data.one_hot(decoder_ids, len(tokens))], verbose=0)
    _, scores = layer([query, memory], return_attention_scores=True)
    scores = np.asarray(scores)
    return [scores[row, :len(predictions[w]) + 1, :len(w)] for row, w in enumerate(words)]


def plot_attention(model: Any, words: list[str], predictions: dict[str, tuple[str, ...]], tokens: tuple[str, ...],
                   title: str, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from suite.atomic import atomic_path

    weights = attention_weights(model, words, predictions, tokens)
    figure, axes = plt.subplots(1, len(words), figsize=(3.0 * len(words) + 1.5, 4.0), squeeze=False,
                                layout="constrained")
    axes[0][0].set_ylabel("output phoneme (decoder step)")
    for axis, word, matrix in zip(axes[0], words, weights):
        image = axis.imshow(matrix, cmap="viridis", vmin=0.0, vmax=1.0, aspect="auto")
        axis.set_xticks(range(len(word)), list(word))
        axis.set_yticks(range(len(matrix)), [*predictions[word], "</s>"])
        axis.set_xlabel("input letter")
        axis.set_title(f"'{word}'")
    figure.colorbar(image, ax=axes[0].tolist(), label="attention weight (0-1)")
    figure.suptitle(title)
    with atomic_path(path) as target:
        figure.savefig(target, dpi=110, format="png")
    plt.close(figure)
    return path
