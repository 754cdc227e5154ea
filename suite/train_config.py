"""Training settings without TensorFlow: app presets import these, so listing presets stays fast."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SCHEDULES = ("constant", "cosine", "exponential", "plateau")
OPTIMIZERS = ("adam", "sgd", "rmsprop")


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 10
    batch_size: int = 32
    learning_rate: float = 1e-3
    optimizer: str = "adam"
    clipnorm: float | None = None         # per-variable norm clipping (Keras semantics)
    global_clipnorm: float | None = 1.0   # clip the global norm of all gradients together
    clipvalue: float | None = None
    schedule: str = "constant"
    early_stopping_patience: int = 0      # 0 turns early stopping off
    seed: int = 0
    tbptt_window: int = 0                 # 0 = full BPTT; k > 0 = truncated BPTT over k-step windows

    def __post_init__(self) -> None:
        if self.epochs < 1:
            raise ValueError(f"epochs must be >= 1, got {self.epochs!r}")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {self.batch_size!r}")
        if not self.learning_rate > 0:
            raise ValueError(f"learning_rate must be > 0, got {self.learning_rate!r}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {self.optimizer!r}")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"schedule must be one of {SCHEDULES}, got {self.schedule!r}")
        for name in ("clipnorm", "global_clipnorm", "clipvalue"):
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise ValueError(f"{name} must be > 0 or None, got {value!r}")
        if self.clipnorm is not None and self.global_clipnorm is not None:
            raise ValueError("set at most one of clipnorm and global_clipnorm")
        if self.tbptt_window < 0:
            raise ValueError(f"tbptt_window must be >= 0, got {self.tbptt_window!r}")


# The training fields app presets flatten into their own dataclass (``--set epochs=5``).
APP_TRAIN_FIELDS = ("epochs", "batch_size", "learning_rate", "schedule", "early_stopping_patience", "seed")


@dataclass(frozen=True)
class AppTrainFields:
    """The training fields every app preset carries (``--set epochs=5``), with the common defaults; an app's
    config dataclass inherits them and re-declares only a default it changes."""

    epochs: int = 20
    batch_size: int = 64
    learning_rate: float = 3e-3
    schedule: str = "cosine"
    early_stopping_patience: int = 0
    seed: int = 0

    def train_config(self) -> TrainConfig:
        """The suite's TrainConfig; its checks validate these fields."""
        return train_config_of(self)


def train_config_of(settings: Any) -> TrainConfig:
    """The TrainConfig of an app preset carrying APP_TRAIN_FIELDS; its checks validate them."""
    return TrainConfig(**{name: getattr(settings, name) for name in APP_TRAIN_FIELDS})
