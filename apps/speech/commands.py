"""Import every command module once, so each registers itself on ``apps.speech.cli.app``."""
from apps.speech import evaluate, export_models, make_data, predict, stream, train  # noqa: F401
