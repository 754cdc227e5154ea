"""The app registry: ``apps/<name>/app.py`` declares ``APP``; its ``commands/`` modules register themselves.

``main("vitals")`` builds ``python -m apps.vitals``: the framework's shared commands (train, export)
from the app's declaration, plus every module found in ``apps/vitals/commands/``.
"""
from __future__ import annotations

import importlib
import importlib.util
import pkgutil
from functools import lru_cache
from typing import Sequence

from suite.app.spec import AppSpec
from suite.cli import App

APPS_PACKAGE = "apps"


@lru_cache(maxsize=None)
def load_app(name: str) -> AppSpec:
    """The ``APP`` declared in ``apps/<name>/app.py``."""
    module = importlib.import_module(f"{APPS_PACKAGE}.{name}.app")
    spec = getattr(module, "APP", None)
    if not isinstance(spec, AppSpec) or spec.name != name:
        raise RuntimeError(f"{APPS_PACKAGE}/{name}/app.py must define APP = AppSpec(name={name!r}, ...)")
    return spec


def app_names() -> list[str]:
    """Every app: each package under ``apps/`` with an ``app.py``."""
    package = importlib.import_module(APPS_PACKAGE)
    names = []
    for info in pkgutil.iter_modules(package.__path__):
        if info.ispkg and importlib.util.find_spec(f"{APPS_PACKAGE}.{info.name}.app") is not None:
            names.append(info.name)
    return sorted(names)


@lru_cache(maxsize=None)
def cli(name: str) -> App:
    """The one ``App`` (command group) of app ``name``."""
    return App(name, load_app(name).description)


def cli_of(module_name: str) -> App:
    """The ``App`` of the app a command module belongs to: ``cli_of(__name__)`` in ``apps/<app>/commands/x.py``."""
    parts = module_name.split(".")
    if len(parts) < 2 or parts[0] != APPS_PACKAGE:
        raise ValueError(f"{module_name}: command modules live in {APPS_PACKAGE}/<app>/commands/")
    return cli(parts[1])


@lru_cache(maxsize=None)
def build_cli(name: str) -> App:
    """The app's CLI with the shared commands and every discovered command module registered."""
    from suite.app import shared_commands

    app = cli(name)
    shared_commands.register(app, load_app(name))
    commands = importlib.import_module(f"{APPS_PACKAGE}.{name}.commands")
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda i: i.name):
        importlib.import_module(f"{commands.__name__}.{info.name}")
    return app


def main(name: str, argv: Sequence[str] | None = None) -> int:
    return build_cli(name).main(argv)
