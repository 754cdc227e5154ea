"""Named presets for the g2p model: a bidirectional recurrent encoder over letters and an attention decoder.

``build_model("encoder_decoder", input_shape=(MAX_LETTERS, letters), output_size=tokens,
target_shape=(DECODER_STEPS, tokens), attention="additive", cell="gru", bidirectional=True, ...)``.
No masking: every word is padded to MAX_LETTERS with a PAD letter, in training and on the device alike,
so the exported fixed-length encoder sees exactly what training saw (attention inference = teacher forcing).
"""
from __future__ import annotations

from dataclasses import dataclass

from suite.app import Preset
from suite.train_config import AppTrainFields

TOPOLOGY = "encoder_decoder"
ATTENTIONS = ("additive", "dot")
CELLS = ("gru", "lstm")


@dataclass(frozen=True)
class G2PConfig(AppTrainFields):
    # model
    cell: str = "gru"
    units: int = 128
    layers: int = 1
    attention: str = "additive"
    dropout: float = 0.0
    # data
    stress: bool = False          # keep ARPAbet stress digits (AH0/AH1/AH2); the literature's anchors drop them
    max_words: int = 0            # 0 = every training word; > 0 = the first N (seconds-long runs)
    # training (the TrainConfig fields the app exposes)
    batch_size: int = 128
    learning_rate: float = 2e-3
    # Wall-clock cap in minutes (0 = none): training stops after the epoch that crosses it, so a shared
    # CPU still ends with a model. The reached epoch count is recorded in metrics.json.
    max_minutes: float = 0.0

    def __post_init__(self) -> None:
        if self.cell not in CELLS:
            raise ValueError(f"cell must be one of {CELLS}, got {self.cell!r}")
        if self.attention not in ATTENTIONS:
            raise ValueError(f"attention must be one of {ATTENTIONS}, got {self.attention!r}")
        if self.units < 1 or self.layers < 1:
            raise ValueError(f"units and layers must be >= 1, got units={self.units}, layers={self.layers}")
        if self.max_words < 0:
            raise ValueError(f"max_words must be >= 0 (0 = all), got {self.max_words}")
        if self.max_minutes < 0:
            raise ValueError(f"max_minutes must be >= 0 (0 = no cap), got {self.max_minutes}")
        self.train_config()  # validates the training fields too



PRESETS: dict[str, Preset[G2PConfig]] = {
    "tiny": Preset("microcontroller-sized (GRU 32), 2,000 words, under a minute: tests and the notebook",
                   G2PConfig(units=32, epochs=30, max_words=2000, batch_size=64, learning_rate=1e-2)),
    # 192 units keeps the int8 pair under 1 MB (about 560k parameters); 35 epochs is about an hour on 2 shared cores.
    "small": Preset("the shipped model: GRU 192, additive attention, every CMUdict training word (about an hour)",
                    G2PConfig(units=192, epochs=35, batch_size=256, learning_rate=3e-3, dropout=0.1,
                              max_minutes=62)),
    "base": Preset("GRU 256, two encoder layers, 40 epochs (hours of CPU)",
                   G2PConfig(units=256, layers=2, epochs=40, dropout=0.1)),
}
DEFAULT_PRESET = "small"
