"""``--model`` for every inference command: a model directory or an exported file, checked to be this app's.

``resolve_model("speech", path, file="model_int8")`` answers a ``ModelRef``: the exported file to run
(or the directory, for ``--backend keras``), the directory's config.json, and the backend. A folder where
a file belongs, another app's model, or an unknown suffix is a ``UserError`` (one line, exit 2). No
TensorFlow is imported here: exported files run through ``export.runtime``.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from suite.errors import UserError

CONFIG_FILE = "config.json"
# Exported file suffix by backend; "keras" runs model.keras from the directory (needs TensorFlow).
BACKEND_SUFFIX = {"tflite": ".tflite", "onnx": ".onnx", "keras": ".keras"}
BACKENDS = tuple(BACKEND_SUFFIX)
SUFFIX_BACKEND = {suffix: backend for backend, suffix in BACKEND_SUFFIX.items()}


@dataclass(frozen=True)
class ModelRef:
    """A resolved ``--model``: ``path`` is what to load with ``backend``; ``config`` is its config.json."""

    path: Path
    backend: str
    config: dict[str, Any]
    model_dir: Path | None

    def load_runtime(self) -> Any:
        """The exported file as an ``export.runtime`` runtime (numpy in, numpy out)."""
        from export.runtime import Runtime

        return _open(Runtime, self.path)

    def load_streaming_runtime(self) -> Any:
        from export.runtime import StreamingRuntime

        return _open(StreamingRuntime, self.path)


def _open(runtime_class: Any, path: Path) -> Any:
    """A runtime over ``path``, without the runtime's log line; a file it cannot read is one line (UserError)."""
    from export.runtime import RuntimeInputError
    from suite.quiet import native_quiet

    try:
        with native_quiet():  # LiteRT announces its CPU delegate on fd 2 (shown with --verbose)
            return runtime_class(str(path))
    except (RuntimeInputError, ValueError, RuntimeError) as error:
        raise UserError(f"{path}: cannot be loaded ({str(error).splitlines()[0] if str(error) else type(error).__name__})") from None


def read_config_json(folder: Path) -> dict[str, Any] | None:
    path = folder / CONFIG_FILE
    if not path.is_file():
        return None
    try:
        config = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise UserError(f"{path}: invalid JSON ({error})") from None
    if not isinstance(config, dict):
        raise UserError(f"{path}: expected a JSON object")
    return config


def check_app(config: dict[str, Any] | None, app: str, where: Path) -> None:
    """Another app's model directory or exported file is one line, not a KeyError later."""
    if config is None:
        return
    owner = config.get("app")
    if owner != app:
        kind = f"a {owner} model" if owner else "not an app model (config.json has no \"app\")"
        raise UserError(f"{where}: {kind}, not a {app} model")


def resolve_model(app: str, path: str | os.PathLike, file: str, backend: str | None = None) -> ModelRef:
    """The model to run for ``--model PATH``.

    ``PATH`` is a model directory (then ``<file><suffix>`` inside it is run, the suffix from ``backend``,
    default tflite) or an exported ``.tflite``/``.onnx`` file (its folder's config.json, if any, must be
    this app's). ``backend="keras"`` needs a directory.
    """
    target = Path(path)
    if not target.exists():
        raise UserError(f"{target}: no such model directory or file")
    if target.is_dir():
        return _from_dir(app, target, file, backend or "tflite")
    suffix = target.suffix.lower()
    if suffix not in SUFFIX_BACKEND or suffix == ".keras":
        raise UserError(f"{target}: expected a model directory, a .tflite or an .onnx file")
    if backend not in (None, SUFFIX_BACKEND[suffix]):
        raise UserError(f"{target}: a {SUFFIX_BACKEND[suffix]} file, but --backend {backend}")
    config = read_config_json(target.parent)
    check_app(config, app, target)
    return ModelRef(target, SUFFIX_BACKEND[suffix], config or {}, target.parent if config else None)


def _from_dir(app: str, folder: Path, file: str, backend: str) -> ModelRef:
    if backend not in BACKEND_SUFFIX:
        raise UserError(f"--backend {backend!r}: expected one of {', '.join(BACKENDS)}")
    config = read_config_json(folder)
    if config is None:
        raise UserError(f"{folder}: not a model directory (no {CONFIG_FILE})")
    check_app(config, app, folder)
    name = "model.keras" if backend == "keras" else f"{file}{BACKEND_SUFFIX[backend]}"
    path = folder / name
    if not path.is_file():
        hint = f"; run python -m apps.{app} export --model {folder}" if backend != "keras" else ""
        raise UserError(f"{folder}: no {name}{hint}")
    return ModelRef(path, backend, config, folder)


def add_model_options(parser: Any, what: str = "exported int8 file", default_backend: str = "tflite") -> None:
    """``--model`` and ``--backend``, the same for every inference command of every app."""
    parser.add_argument("--model", default=None, metavar="PATH",
                        help=f"model directory (uses its {what}) or an exported .tflite/.onnx file "
                             "(default: the shipped model)")
    parser.add_argument("--backend", default=None, choices=BACKENDS,
                        help=f"tflite or onnx: the exported quantized file, without TensorFlow (default: {default_backend}); "
                             "keras: the Keras model, for comparison (needs TensorFlow)")


def check_output_file(path: str | os.PathLike, suffixes: tuple[str, ...] = ()) -> Path:
    """An ``--out`` file: not an existing folder, and with one of ``suffixes`` when given."""
    target = Path(path)
    if target.is_dir():
        raise UserError(f"{target}: is a folder; --out needs a file path")
    if suffixes and target.suffix.lower() not in suffixes:
        raise UserError(f"{target}: expected a {' or '.join(suffixes)} file")
    return target
