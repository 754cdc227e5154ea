"""``python -m apps.vitals COMMAND``: importing a command module registers its command."""
from apps.vitals import check, evaluate, export_command, monitor, score, simulate, train  # noqa: F401
from apps.vitals.cli import app

raise SystemExit(app.main())
