"""The ``python -m apps.speech`` command group; command modules register themselves on ``app``."""
from suite.cli import App

app = App("speech", "Keyword spotting (Speech Commands v2, 12 classes) with recurrent models for small devices")
