"""``python -m apps.video COMMAND``: importing a command module registers its command."""
from apps.video import info, make_data  # noqa: F401  (registers the commands)
from apps.video.cli import app

raise SystemExit(app.main())
