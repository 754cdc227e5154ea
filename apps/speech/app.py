"""The speech app's contract: keyword spotting (Speech Commands v2, 12 classes) with recurrent models."""
from apps.speech.presets import DEFAULT_PRESET, PRESETS
from suite.app import SEQUENCE_AND_STEP, AppSpec, lazy

APP = AppSpec(
    name="speech",
    description="Keyword spotting (Speech Commands v2, 12 classes) with recurrent models for small devices",
    task="classification",
    presets=PRESETS,
    default_preset=DEFAULT_PRESET,
    train=lazy("apps.speech.training:train"),
    data_help="a Speech Commands folder (Google's layout); default: one generated with espeak-ng into the cache, "
              "sized by the preset's per_word",
    exports=SEQUENCE_AND_STEP,
    after_export=lazy("apps.speech.calibration:score_exports"),
)
