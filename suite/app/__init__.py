"""The application framework: every app in ``apps/`` is built from these parts.

- ``spec``: the contract an app declares (``AppSpec``, ``Preset``; ``TrainRun`` in, ``Trained`` out);
- ``registry``: ``apps/<name>/app.py`` and the self-registering ``apps/<name>/commands/`` modules;
- ``shared_commands``: the same ``train`` and ``export`` for every app;
- ``paths``: shipped models (from the package), caches, run folders;
- ``models``: ``--model`` resolution with wrong-kind checks, without TensorFlow;
- ``classification``: metrics and the confusion plot shared by the classifying apps.

See docs/adding-an-app.md. Importing this package does not import TensorFlow.
"""
from suite.app.paths import cache_dir, run_dir, shipped_model_dir
from suite.app.registry import app_names, cli_of, load_app, main
from suite.app.spec import SEQUENCE_AND_STEP, AppSpec, ExportPlan, Preset, Trained, TrainRun, declare, lazy

__all__ = ["AppSpec", "ExportPlan", "Preset", "SEQUENCE_AND_STEP", "TrainRun", "Trained", "app_names",
           "cache_dir", "cli_of", "declare", "lazy", "load_app", "main", "run_dir", "shipped_model_dir"]
