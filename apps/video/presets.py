"""Named presets for the video model: the CNN+GRU, its per-frame baseline, the data and the training.

One frozen dataclass holds everything ``--set key=value`` may change; ``apps.video.model.model_kwargs``
turns it into ``suite.build_model("cnn_rnn", ...)`` arguments. No TensorFlow here: ``--help`` lists the
presets.
"""
from __future__ import annotations

from dataclasses import dataclass

from suite.app import Preset
from suite.train_config import AppTrainFields, train_config_of


@dataclass(frozen=True)
class VideoConfig(AppTrainFields):
    # Model input: frames sampled uniformly over a clip, resized to frame_size x frame_size RGB in [-1, 1].
    # Five conv blocks bring 32 x 32 down to 1 x 1, so the CNN's final average keeps where the object is
    # (a larger final map averaged over space loses position, and the moves are then not learned).
    num_frames: int = 16
    frame_size: int = 32
    # 16-32-64-64-64 with batch norm + GRU(64): 0.842 held out against 0.700 for 8-16-32-32-32 + GRU(32)
    # without it (same data and schedule); without batch norm the wider CNN stayed at chance.
    conv_filters: tuple[int, ...] = (16, 32, 64, 64, 64)
    batch_norm: bool = True  # per-frame batch norm in each conv block: keeps a wider CNN training
    cell: str = "gru"
    # On the previous renderer, GRU(128) with the 1,200-clip pretext task: 0.958 held out for seeds 0 and 1,
    # against 0.917 and 0.925 with GRU(64) (docs/apps/video.md).
    units: int = 128
    # Data rendered into the cache when train gets no --data (make-data's clips per class and seed).
    clips_per_class: int = 240  # 150 before the wider renderer; more variation needs more clips
    data_seed: int = 0
    alt_clips_per_class: int = 20  # alt-renderer clips for the generalisation check (0 skips it)
    augment: bool = True  # time reversal and mirrors with their exact label swaps (motion classes only)
    # Per-clip colours, contrast, brightness, noise and a crop (apps/video/data.py augment_appearance),
    # in training and in the pretext task.
    augment_appearance: bool = True
    # Orientation pretext task for the frame CNN before training (apps/video/pretext.py): rendered clips
    # (0 skips it) and epochs. Without it the rotation pair stayed at chance.
    orientation_clips: int = 1600
    orientation_epochs: int = 12
    # Training (suite.training.TrainConfig fields); the baseline trains with the same settings.
    epochs: int = 48  # 24 underfitted the wider renderer (train 0.88, validation 0.86 at the end)
    batch_size: int = 16
    learning_rate: float = 1e-3  # 2e-3 before the pretext task; the pretrained CNN is fine-tuned more gently
    def __post_init__(self) -> None:
        for name in ("num_frames", "frame_size", "units", "clips_per_class"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)!r}")
        for name in ("alt_clips_per_class", "orientation_clips", "orientation_epochs"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)!r}")
        if not self.conv_filters or any(filters < 1 for filters in self.conv_filters):
            raise ValueError(f"conv_filters must be positive integers, got {self.conv_filters!r}")
        # Each conv block halves the frame; the last block needs at least one pixel left.
        if self.frame_size < 2 ** len(self.conv_filters):
            raise ValueError(f"frame_size {self.frame_size} is too small for {len(self.conv_filters)} conv blocks")
        train_config_of(self)  # the training fields, checked by suite's TrainConfig

    @property
    def size(self) -> tuple[int, int]:
        """(height, width) of model input frames."""
        return (self.frame_size, self.frame_size)


PRESETS: dict[str, Preset[VideoConfig]] = {
    "tiny": Preset("seconds of training, for tests and the notebook (above chance, not accurate)",
                   VideoConfig(num_frames=8, frame_size=32, conv_filters=(8, 8, 16, 16, 16), batch_norm=False,
                               units=16, clips_per_class=12, orientation_clips=0, alt_clips_per_class=4, epochs=20,
                               augment_appearance=False,
                               batch_size=8, learning_rate=4e-3, schedule="constant")),
    "small": Preset("the shipped model: pretext task, CNN+GRU(128) and baseline, ~50 min on 2 shared CPU cores",
                    VideoConfig()),
}
DEFAULT_PRESET = "small"
