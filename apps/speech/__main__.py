"""Entry point: ``python -m apps.speech COMMAND``."""
from apps.speech import make_data  # noqa: F401  (registers make-data)
from apps.speech.cli import app

raise SystemExit(app.main())
