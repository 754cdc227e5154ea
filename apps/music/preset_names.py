"""The preset names, without the presets: the CLI lists them without importing TensorFlow
(``presets.py`` needs ``suite.training``, which loads it), so ``generate`` starts fast."""
PRESET_NAMES = ("basic", "lookback", "attention", "tiny")
DEFAULT_PRESET = "basic"
