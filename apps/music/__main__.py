"""``python -m apps.music COMMAND``: importing a command module registers its command."""
from apps.music import prepare_data  # noqa: F401  (registers prepare-data)
from apps.music.cli import app

raise SystemExit(app.main())
