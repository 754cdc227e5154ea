"""Entry point: ``python -m apps.speech COMMAND``."""
from apps.speech import commands  # noqa: F401  (registers every command)
from apps.speech.cli import app

raise SystemExit(app.main())
