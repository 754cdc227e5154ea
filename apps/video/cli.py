"""The video app's command group; command modules register themselves on ``app``."""
from suite.cli import App

app = App("video", "Video activity recognition: a frame CNN + GRU on motion classes that need temporal order.")
