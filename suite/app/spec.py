"""The app contract: what an app declares, and what its ``train`` hook receives and returns.

An app is ``apps/<name>/app.py`` defining ``APP = AppSpec(...)``. The framework (``suite.app``) gives
every app the same ``train`` and ``export`` commands, the same run folders, config.json and metrics
layout, and discovers the app's own commands in ``apps/<name>/commands/``. Nothing here imports
TensorFlow: the CLI builds its help from these declarations.
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Generic, Mapping, TypeVar

C = TypeVar("C")


@dataclass(frozen=True)
class Preset(Generic[C]):
    """A named configuration with a one-line description (shown by ``--config`` help)."""

    description: str
    config: C


@dataclass(frozen=True)
class TrainRun:
    """What the framework hands an app's ``train`` hook."""

    config: Any                 # the resolved preset dataclass, overrides applied
    preset: str
    run_dir: Path               # checkpoints, history and logs; a rerun with the same name resumes here
    data: str | None            # --data: the user's own data folder or file, else None (the app's own data)
    strategy: str               # suite.distribute strategy name
    verbose: bool
    args: argparse.Namespace    # the app's extra train options (AppSpec.train_arguments)


@dataclass
class Trained:
    """What an app's ``train`` hook returns; the framework writes the model directory from it."""

    model: Any                                      # the Keras sequence model
    config: dict[str, Any]                          # "topology", "model" (builder kwargs) and app fields
    metrics: dict[str, Any]                         # held-out figures for metrics.json
    data: dict[str, Any] = field(default_factory=dict)   # where the data came from (recorded in config.json)
    write_extra: Callable[[Path], None] | None = None    # app files written into the model directory


@dataclass(frozen=True)
class ExportPlan:
    """One exported file per format: the sequence model or the streaming step model.

    ``per_tensor``: one int8 scale per tensor (smaller TFLite Micro arena); ``target="tflm"``: the .tflite
    file also gets its TFLite Micro C sources and is gated in TFLite Micro's interpreter. ``formats``: the
    formats this plan applies to (None: every one asked for), e.g. an ``int16x8`` plan for TFLite only
    beside an ``int8`` one for ONNX.
    """

    step: bool
    quantize: str = "int8"
    per_tensor: bool = False
    target: str | None = None
    formats: tuple[str, ...] | None = None


SEQUENCE_AND_STEP = (ExportPlan(step=False), ExportPlan(step=True))


@dataclass(frozen=True)
class AppSpec:
    """An application: its presets, task, data and model hooks.

    ``train(run) -> Trained`` fits the model (calling ``suite.training.fit`` with ``run.run_dir``).
    ``after_export(model_dir, reports) -> dict`` may add app-level checks of the exported files
    (e.g. a whole-stay streamed AUROC) to metrics.json.
    """

    name: str
    description: str
    task: str                                               # an export task (export/tasks.py)
    presets: Mapping[str, Preset]
    default_preset: str
    train: Callable[[TrainRun], Trained]
    data_help: str = "your own data (see docs/apps/<app>.md); default: the app's own data"
    train_arguments: Callable[[argparse.ArgumentParser], None] | None = None
    exports: tuple[ExportPlan, ...] = SEQUENCE_AND_STEP
    after_export: Callable[[Path, dict[str, dict]], dict[str, Any]] | None = None
    # Optional: the app writes and checks each file itself, fn(model_dir, format, plan, calibration_data) ->
    # (file name, summary with the SUMMARY_KEYS and "passed"), for models the shared export cannot take
    # (an encoder-decoder: the encoder is the "sequence" file, the decoder step the "step" file).
    export_file: Callable[[Path, str, ExportPlan, str | None], tuple[str, dict[str, Any]]] | None = None
    # Optional: fn(model_dir, config) -> the member model directories of a directory made of them (an ensemble),
    # else []. ``export`` of such a directory exports and gates each member as a model of its own, then merges
    # ``after_export(model_dir, {})`` (the app's check of the whole) into its metrics.json.
    members: Callable[[Path, dict[str, Any]], list[Path]] | None = None

    def __post_init__(self) -> None:
        if self.default_preset not in self.presets:
            raise ValueError(f"app {self.name!r}: default preset {self.default_preset!r} is not one of "
                             f"{sorted(self.presets)}")
        for name, preset in self.presets.items():
            if not isinstance(preset, Preset) or not preset.description:
                raise ValueError(f"app {self.name!r}: preset {name!r} needs Preset(description, config)")


def lazy(target: str) -> Callable[..., Any]:
    """``lazy("apps.vitals.training:train")``: a callable that imports its target on first call,
    so ``app.py`` stays light (no TensorFlow while the CLI builds its help)."""
    module_name, _, attribute = target.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"lazy target {target!r} must look like 'package.module:function'")

    def call(*args: Any, **kwargs: Any) -> Any:
        import importlib

        return getattr(importlib.import_module(module_name), attribute)(*args, **kwargs)

    call.__name__ = attribute
    call.__qualname__ = target
    return call


def declare(name: str, description: str, task: str, **fields: Any) -> AppSpec:
    """The ``AppSpec`` of ``apps/<name>/`` from its layout: presets from ``presets.py`` (``PRESETS``,
    ``DEFAULT_PRESET``) and the train hook ``training.py:train``; ``fields`` are the other AppSpec fields."""
    import importlib

    presets = importlib.import_module(f"apps.{name}.presets")
    return AppSpec(name=name, description=description, task=task, presets=presets.PRESETS,
                   default_preset=presets.DEFAULT_PRESET, train=lazy(f"apps.{name}.training:train"), **fields)
