"""Named presets for the vitals model: the GRU, its training, and the simulated training cohort.

``build_model("many_to_many", input_shape=(None, 108), output_size=1, output_activation="sigmoid",
masking=False, cell="gru", ...)``: one risk per ICU hour.

No Masking layer, on purpose: batches pad stays at the END, and a unidirectional GRU's output at a
real hour depends only on earlier hours, so padding never changes a real hour's risk; padded hours
get sample weight 0, so they never reach the loss either. A Masking layer would change nothing
here except the export: its ONNX form reads padded hours as zero outputs (export/onnx_masking.py).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from apps.vitals.data import HELDOUT_PATIENTS
from apps.vitals.features import NUM_FEATURES
from apps.vitals.simulate import SETTINGS
from suite.app import Preset
from suite.train_config import AppTrainFields

TOPOLOGY = "many_to_many"
# Positive hours are rare (a few percent). "auto" weighs them by sqrt(negatives / positives): enough to
# keep the loss from ignoring them, while staying closer to calibrated probabilities than full balancing.
AUTO_WEIGHT = 0.0


@dataclass(frozen=True)
class VitalsConfig(AppTrainFields):
    # model
    units: int = 64
    layers: int = 1
    dropout: float = 0.0
    recurrent_dropout: float = 0.0
    # training: AppTrainFields (suite/train_config.py) with these defaults changed, plus:
    epochs: int = 12
    early_stopping_patience: int = 4
    positive_weight: float = AUTO_WEIGHT   # 0 = auto: sqrt(negative hours / positive hours)
    # simulated cohort used when train gets no --data
    setting: str = "hospital_a"
    train_patients: int = 4000
    validation_fraction: float = 0.15
    data_seed: int = 1
    # simulated held-out stays per hospital that train scores into metrics.json (export streams as many
    # through the int8 step model); 0 skips both
    heldout_patients: int = HELDOUT_PATIENTS

    def __post_init__(self) -> None:
        if self.units < 1 or self.layers < 1:
            raise ValueError(f"units and layers must be >= 1, got units={self.units}, layers={self.layers}")
        if self.positive_weight < 0:
            raise ValueError(f"positive_weight must be >= 0 (0 = auto), got {self.positive_weight}")
        if self.setting not in SETTINGS:
            raise ValueError(f"setting must be one of {sorted(SETTINGS)}, got {self.setting!r}")
        if self.train_patients < 10:
            raise ValueError(f"train_patients must be >= 10, got {self.train_patients}")
        if self.heldout_patients < 0:
            raise ValueError(f"heldout_patients must be >= 0 (0 skips), got {self.heldout_patients}")
        if not 0.0 < self.validation_fraction < 0.5:
            raise ValueError(f"validation_fraction must be in (0, 0.5), got {self.validation_fraction}")
        self.train_config()  # validates the training fields too


    def model_kwargs(self) -> dict:
        """The ``build_model`` keyword arguments (saved as config.json "model")."""
        return {"input_shape": [None, NUM_FEATURES], "output_size": 1, "output_activation": "sigmoid",
                "masking": False, "cell": "gru", "units": self.units, "layers": self.layers,
                "dropout": self.dropout, "recurrent_dropout": self.recurrent_dropout}


PRESETS: dict[str, Preset[VitalsConfig]] = {
    "tiny": Preset("16-unit GRU, 300 simulated stays, 4 epochs, 200 held out: seconds, for tests and the notebook",
                   VitalsConfig(units=16, epochs=4, batch_size=32, learning_rate=1e-2, early_stopping_patience=0,
                                train_patients=300, heldout_patients=200)),
    "small": Preset("64-unit GRU on 4,000 simulated stays: the shipped model, a few minutes of CPU",
                    VitalsConfig(units=64, epochs=15, train_patients=4000, dropout=0.1)),
    "base": Preset("two 96-unit GRU layers on 10,000 simulated stays",
                   VitalsConfig(units=96, layers=2, epochs=25, train_patients=10000, dropout=0.1)),
}
DEFAULT_PRESET = "small"


def positive_weight(config: VitalsConfig, positive_hours: int, negative_hours: int) -> float:
    """The loss weight of a positive hour: the configured one, or sqrt(negatives / positives)."""
    if config.positive_weight > 0:
        return config.positive_weight
    return math.sqrt(max(negative_hours, 1) / max(positive_hours, 1))
