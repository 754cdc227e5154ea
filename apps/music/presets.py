"""Model presets in the line of Magenta's melody_rnn configs: ``basic``, ``lookback``, ``attention``.

- ``basic``: an LSTM language model over melody events (one token per 16th step).
- ``lookback``: the same, fed Magenta-style lookback features instead of a token: the event, the
  events one and two bars back, whether the event repeats them, and the position in the bar
  (see ``apps/music/lookback.py``); still a stateful step model.
- ``attention``: causal dot-product self-attention over the recurrent outputs. It is not
  streamable: generation recomputes the model over the last ``attention_window`` events per step
  (still linear in the melody's length, with a larger constant).

A preset is one frozen dataclass; its ``train`` field is the suite's ``TrainConfig``. ``--set``
takes model keys (``units=256``) and training keys (``epochs=5`` or ``train.epochs=5``).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Sequence

from apps.music.encoding import STEPS_PER_BAR, VOCAB_SIZE  # noqa: F401  (STEPS_PER_BAR re-exported)
from apps.music.preset_names import DEFAULT_PRESET, PRESET_NAMES
from suite.config import apply_overrides, resolve_config
from suite.training import TrainConfig

TRAIN_PREFIX = "train."


@dataclass(frozen=True)
class MusicConfig:
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
    # Corpus tunes used (a deterministic subset; ~4 min to parse once); None for all 11.5k. With 800 the
    # shipped LSTM did not learn tonality (61% of its note-on mass in key, about chance); 3,000 gave 94%.
    limit: int | None = 3000
    ngram_order: int = 5  # the baseline the model is compared with
    train: TrainConfig = field(default_factory=TrainConfig)

    def __post_init__(self) -> None:
        if self.window < 2:
            raise ValueError(f"window must be >= 2, got {self.window!r}")
        if self.attention_window < 2:
            raise ValueError(f"attention_window must be >= 2, got {self.attention_window!r}")
        if self.lookback and self.attention:
            raise ValueError("choose lookback or attention, not both")
        if self.limit is not None and self.limit < 1:
            raise ValueError(f"limit must be >= 1 or None, got {self.limit!r}")
        if self.ngram_order < 1:
            raise ValueError(f"ngram_order must be >= 1, got {self.ngram_order!r}")

    @property
    def streamable(self) -> bool:
        return self.attention is None


SHARED_TRAINING = TrainConfig(epochs=30, batch_size=16, learning_rate=3e-3, schedule="cosine",
                              global_clipnorm=1.0, early_stopping_patience=0, seed=0)

PRESETS: dict[str, MusicConfig] = {
    "basic": MusicConfig(train=SHARED_TRAINING),
    "lookback": MusicConfig(lookback=True, train=SHARED_TRAINING),
    "attention": MusicConfig(attention="dot", train=SHARED_TRAINING),
    # Seconds to train: tests and the notebook.
    "tiny": MusicConfig(units=32, embedding_dim=8, window=32, limit=60,
                        train=dataclasses.replace(SHARED_TRAINING, epochs=2, batch_size=16, early_stopping_patience=0)),
}
if tuple(PRESETS) != PRESET_NAMES:  # the CLI lists PRESET_NAMES without importing this module
    raise RuntimeError(f"apps/music/preset_names.py lists {PRESET_NAMES}, presets.py defines {tuple(PRESETS)}")


def resolve(name: str, overrides: Sequence[str] = ()) -> MusicConfig:
    """Preset ``name`` with ``key=value`` overrides; training keys go to its TrainConfig. ValueError on bad keys."""
    train_keys = {f.name for f in dataclasses.fields(TrainConfig)}
    model_overrides, train_overrides = [], []
    for text in overrides:
        key = text.split("=", 1)[0].strip()
        if key.startswith(TRAIN_PREFIX):
            train_overrides.append(text.strip()[len(TRAIN_PREFIX):])
        elif key in train_keys:
            train_overrides.append(text)
        else:
            model_overrides.append(text)
    config = resolve_config(PRESETS, name, model_overrides)
    return dataclasses.replace(config, train=apply_overrides(config.train, train_overrides))


def model_kwargs(config: MusicConfig) -> dict[str, Any]:
    """``suite.build_model("many_to_many", **kwargs)`` arguments: config.json's "model"."""
    kwargs: dict[str, Any] = {"cell": config.cell, "units": config.units, "layers": config.layers,
                              "dropout": config.dropout, "output_size": VOCAB_SIZE, "attention": config.attention}
    if config.lookback:
        from apps.music.lookback import FEATURE_SIZE

        kwargs["input_shape"] = [None, FEATURE_SIZE]
    else:
        kwargs.update(input_shape=[None], vocab_size=VOCAB_SIZE, embedding_dim=config.embedding_dim)
    return kwargs


def config_dict(config: MusicConfig) -> dict[str, Any]:
    """The preset's own keys (without ``train``) for config.json."""
    from suite.config import to_dict

    values = to_dict(config)
    values.pop("train")
    return values


def from_saved(values: dict[str, Any], train: dict[str, Any]) -> MusicConfig:
    """Rebuild the MusicConfig stored in a model directory's config.json."""
    from suite.config import from_dict

    return dataclasses.replace(from_dict(MusicConfig, {k: v for k, v in values.items() if k != "train"}),
                               train=from_dict(TrainConfig, train))
