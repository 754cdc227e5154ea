"""The speech app's contract: keyword spotting (Speech Commands v2, 12 classes) with recurrent models."""
from suite.app import ExportPlan, declare, lazy

# The step model is what a microcontroller runs: per-tensor int8 scales fit TFLite Micro's 12 KB arena
# budget (per-channel: 16.4 KB), and its .tflite also gets the C sources and a gate in TFLite Micro.
EXPORTS = (ExportPlan(step=False), ExportPlan(step=True, per_tensor=True, target="tflm"))

APP = declare(
    "speech",
    description="Keyword spotting (Speech Commands v2, 12 classes) with recurrent models for small devices",
    task="classification",
    data_help="a Speech Commands folder (Google's layout); default: one generated with espeak-ng into the cache, "
              "sized by the preset's per_word",
    exports=EXPORTS,
    after_export=lazy("apps.speech.calibration:score_exports"),
)
