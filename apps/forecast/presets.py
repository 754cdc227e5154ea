"""The forecast app's configuration and its named presets (``--config tiny|small``, ``--set key=value``)."""
from __future__ import annotations

from dataclasses import dataclass

from suite.app import Preset
from suite.train_config import AppTrainFields, SCHEDULES

CELLS = ("gru", "lstm")


@dataclass(frozen=True)
class ForecastConfig(AppTrainFields):
    context: int = 96                 # history steps the model reads before forecasting
    horizon: int = 24                 # steps forecast at once (10/50/90% quantiles of each)
    cell: str = "gru"
    units: int = 48
    layers: int = 1
    windows_per_series: int = 512     # training windows drawn from each series per epoch (balances short series)
    warmup: int = 8                   # first steps of a window left out of the loss (too little history)
    series: tuple[str, ...] = ()      # bundled series to train on; empty: all of them
    def __post_init__(self) -> None:
        for name in ("context", "horizon", "units", "layers", "windows_per_series", "epochs", "batch_size"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)!r}")
        if self.cell not in CELLS:
            raise ValueError(f"cell must be one of {CELLS}, got {self.cell!r}")
        if not 0 <= self.warmup < self.context:
            raise ValueError(f"warmup must be in [0, context), got {self.warmup!r}")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"schedule must be one of {SCHEDULES}, got {self.schedule!r}")
        if not self.learning_rate > 0:
            raise ValueError(f"learning_rate must be > 0, got {self.learning_rate!r}")


PRESETS = {
    "tiny": Preset("seconds on 2 cores, for tests: 8 GRU units, 2 epochs, 2 series (co2 holds out 200+ windows)",
                   ForecastConfig(context=48, horizon=12, units=8, windows_per_series=64, epochs=2,
                                  series=("elec_equip", "co2"))),
    "small": Preset("the shipped model: 48 GRU units, 96-step context, 24-step horizon, all 7 series",
                    ForecastConfig()),
}
DEFAULT_PRESET = "small"
