"""The video app's contract: presets, task, training hook and exported files (no TensorFlow at import)."""
from suite.app import SEQUENCE_AND_STEP, declare

APP = declare(
    "video",
    description="Video activity recognition: a frame CNN + GRU on motion classes that need temporal order.",
    task="classification",
    data_help="UCF101-style folder (class subfolders of .mp4/.avi, optional splits.csv); "
              "default: rendered into the cache with prepare-data",
    exports=SEQUENCE_AND_STEP,
)
