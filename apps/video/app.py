"""The video app's contract: presets, task, training hook and exported files (no TensorFlow at import)."""
from apps.video.presets import DEFAULT_PRESET, PRESETS
from suite.app import SEQUENCE_AND_STEP, AppSpec, lazy

APP = AppSpec(
    name="video",
    description="Video activity recognition: a frame CNN + GRU on motion classes that need temporal order.",
    task="classification",
    presets=PRESETS,
    default_preset=DEFAULT_PRESET,
    train=lazy("apps.video.training:train"),
    data_help="UCF101-style folder (class subfolders of .mp4/.avi, optional splits.csv); "
              "default: rendered into the cache with prepare-data",
    exports=SEQUENCE_AND_STEP,
)
