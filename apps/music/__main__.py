"""``python -m apps.music COMMAND``: importing a command module registers its command."""
from apps.music import evaluate, export, generate, prepare_data, train  # noqa: F401  (register their commands)
from apps.music.cli import app

raise SystemExit(app.main())
