"""``python -m apps.video COMMAND``: importing a command module registers its command."""
from apps.video import evaluate, export_command, info, make_data, predict, stream, train  # noqa: F401  (registers the commands)
from apps.video.cli import app

raise SystemExit(app.main())
