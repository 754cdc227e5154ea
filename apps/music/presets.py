"""Model presets in the line of Magenta's melody_rnn configs: ``basic``, ``lookback``, ``attention``,
``conditioned`` (basic with style/meter/key control tokens; the shipped model), ``tiny``.

- ``basic``: an LSTM language model over melody events (one token per 16th step).
- ``lookback``: the same, fed Magenta-style lookback features instead of a token: the event, the
  events one and two bars back, whether the event repeats them, and the position in the bar
  (see ``apps/music/lookback.py``); still a stateful step model.
- ``attention``: causal dot-product self-attention over the recurrent outputs. It is not
  streamable: generation recomputes the model over the last ``attention_window`` events per step
  (still linear in the melody's length, with a larger constant).

A preset is one frozen dataclass; the training fields (``epochs``, ``batch_size``...) sit beside the
model fields, so ``--set units=256 --set epochs=5`` both work. Importing this module loads no TensorFlow.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from apps.music.encoding import VOCAB_SIZE
from suite.app import Preset
from suite.train_config import AppTrainFields, TrainConfig, train_config_of

DEFAULT_PRESET = "conditioned"  # the shipped model's preset


@dataclass(frozen=True)
class MusicConfig(AppTrainFields):
    cell: str = "lstm"
    units: int = 128
    layers: int = 1
    embedding_dim: int = 32
    dropout: float = 0.0
    lookback: bool = False  # feed lookback features instead of event tokens
    attention: str | None = None  # "dot" or "additive": causal self-attention, not streamable
    window: int = 128  # training window in events: 8 bars of 4/4
    attention_window: int = 64  # events the attention model sees per generated step
    transpose: bool = True  # random transposition per training window (a fourth down..a fifth up)
    # Control tokens (style, meter, key: apps/music/conditions.py) before every training window, so that
    # generation can be asked for them (generate --style/--meter/--key/--mode).
    conditioning: bool = False
    # Corpus tunes used (a deterministic subset; ~4 min to parse once); None for all 11.5k. With 800 the
    # shipped LSTM did not learn tonality (61% of its note-on mass in key, about chance); 3,000 gave 94%.
    limit: int | None = 3000
    ngram_order: int = 5  # the baseline the model is compared with
    # Training (suite.train_config.APP_TRAIN_FIELDS): validation NLL still fell slowly at epoch 30,
    # so no early stopping; cosine decay from 3e-3 and global-norm clipping at 1.0 (TrainConfig's).
    epochs: int = 30
    batch_size: int = 16
    def __post_init__(self) -> None:
        if self.window < 2:
            raise ValueError(f"window must be >= 2, got {self.window!r}")
        if self.attention_window < 2:
            raise ValueError(f"attention_window must be >= 2, got {self.attention_window!r}")
        if self.lookback and self.attention:
            raise ValueError("choose lookback or attention, not both")
        if self.conditioning and (self.lookback or self.attention):
            raise ValueError("conditioning needs the token model: not with lookback or attention")
        if self.limit is not None and self.limit < 1:
            raise ValueError(f"limit must be >= 1 or None, got {self.limit!r}")
        if self.ngram_order < 1:
            raise ValueError(f"ngram_order must be >= 1, got {self.ngram_order!r}")
        train_config_of(self)  # validates the training fields

    @property
    def streamable(self) -> bool:
        return self.attention is None

    @property
    def train(self) -> TrainConfig:
        return train_config_of(self)


PRESETS: dict[str, Preset[MusicConfig]] = {
    "basic": Preset("LSTM 128 over event tokens, 3,000 folk tunes, 30 epochs", MusicConfig()),
    "lookback": Preset("basic fed Magenta's lookback features (events 1 and 2 bars back, position in bar)",
                       MusicConfig(lookback=True)),
    "attention": Preset("basic plus causal self-attention (not streamable: no step model to export)",
                        MusicConfig(attention="dot")),
    "conditioned": Preset("basic with style, meter and key control tokens before each window (the shipped model)",
                          MusicConfig(conditioning=True)),
    "tiny": Preset("LSTM 32 on 60 tunes, 2 epochs: seconds to train (tests, notebook)",
                   MusicConfig(units=32, embedding_dim=8, window=32, limit=60, epochs=2)),
}


def model_kwargs(config: MusicConfig) -> dict[str, Any]:
    """``suite.build_model("many_to_many", **kwargs)`` arguments: config.json's "model"."""
    kwargs: dict[str, Any] = {"cell": config.cell, "units": config.units, "layers": config.layers,
                              "dropout": config.dropout, "output_size": VOCAB_SIZE, "attention": config.attention}
    if config.lookback:
        from apps.music.lookback import FEATURE_SIZE

        kwargs["input_shape"] = [None, FEATURE_SIZE]
    else:
        from apps.music.conditions import INPUT_VOCAB_SIZE

        vocab = INPUT_VOCAB_SIZE if config.conditioning else VOCAB_SIZE
        kwargs.update(input_shape=[None], vocab_size=vocab, embedding_dim=config.embedding_dim)
    return kwargs


def from_saved(settings: dict[str, Any]) -> MusicConfig:
    """The MusicConfig stored as config.json's "settings" (unknown keys are an error)."""
    from suite.config import from_dict

    return from_dict(MusicConfig, settings)
