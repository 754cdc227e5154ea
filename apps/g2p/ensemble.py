"""An ensemble model directory: several trained g2p models that decode as one (``export.seq2seq.EnsemblePair``:
their next-token log-probabilities averaged at every step).

Layout: ``config.json`` names the member folders (``"members": ["base", "small", ...]``) with the tokens, stress
setting and lexicon they share; each member is a complete model directory in its own subfolder (model.keras, its
config.json, its int8 encoder and decoder step), reproducible by the ``train`` command in its own config.json;
``metrics.json`` holds the ensemble's figures. ``python -m apps.g2p ensemble DIR... --out DIR`` assembles and scores
one; ``predict`` and ``evaluate`` take it like a single model, the int8 ensemble running the members' int8 pairs.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from suite.errors import UserError

MEMBERS = "members"
# Config keys the members must agree on to decode together (the same output tokens, the same lexicon).
SHARED_KEYS = ("tokens", "stress", "letters", "max_letters", "max_phones")


def is_ensemble(config: dict[str, Any] | None) -> bool:
    return bool(config) and MEMBERS in config


def member_dirs(model_dir: Path, config: dict[str, Any]) -> list[Path]:
    """The member folders an ensemble's config.json names, each checked to be a g2p model directory."""
    names = config.get(MEMBERS)
    if not isinstance(names, list) or not names or not all(isinstance(name, str) and name for name in names):
        raise UserError(f"{model_dir / 'config.json'}: \"{MEMBERS}\" must list the member folders")
    folders = [model_dir / name for name in names]
    check_members(folders)
    return folders


def check_members(folders: list[Path]) -> list[dict[str, Any]]:
    """The members' config.json; one line naming the folder when one is not a single g2p model, or disagrees with
    the first on the tokens, stress or word length."""
    from suite.app.models import check_app, read_config_json

    configs = []
    for folder in folders:
        if folder.is_file():
            raise UserError(f"{folder}: a file, not a model directory")
        config = read_config_json(folder) if folder.is_dir() else None
        if config is None:
            raise UserError(f"{folder}: not a model directory (no config.json)")
        check_app(config, "g2p", folder)
        if is_ensemble(config):
            raise UserError(f"{folder}: an ensemble cannot be a member of another; name its members instead")
        differing = [key for key in SHARED_KEYS if config.get(key) != (configs[0] if configs else config).get(key)]
        if differing:
            raise UserError(f"{folder}: its {', '.join(differing)} differ from {folders[0]}'s; members must share them")
        configs.append(config)
    if len({folder.name for folder in folders}) != len(folders):
        raise UserError(f"member folder names repeat ({', '.join(f.name for f in folders)}); each must be unique")
    return configs


def runner(model_dir: Path, config: dict[str, Any], backend: str) -> Any:
    """The members' runners (``backend``: keras, tflite or onnx) as one ``EnsemblePair``."""
    from apps.g2p.model import load_runner
    from export.seq2seq import EnsemblePair

    return EnsemblePair([load_runner(folder, backend)[0] for folder in member_dirs(model_dir, config)])


def first_member_model(model_dir: Path, config: dict[str, Any]) -> tuple[Any, str]:
    """(the first member's Keras model, its folder name): an ensemble has no single attention to draw."""
    from suite.modeldir import load_model_dir

    folder = member_dirs(model_dir, config)[0]
    return load_model_dir(folder)[0], folder.name


def assemble(folders: list[Path], first: dict[str, Any], into: Path, command: str) -> dict[str, Any]:
    """Copy the members (``check_members``' folders, ``first`` the first one's config) into the empty folder
    ``into`` and write the ensemble's config.json; returns it."""
    # No "preset": an ensemble is not trained by one; each member's config.json names its preset and command.
    config = {"app": "g2p", "task": first.get("task", "seq2seq"), "command": command,
              MEMBERS: [folder.name for folder in folders], "data": first.get("data", {}),
              **{key: first[key] for key in SHARED_KEYS if key in first}}
    for folder in folders:
        shutil.copytree(folder, into / folder.name, ignore=shutil.ignore_patterns(".*"))
    (into / "config.json").write_text(json.dumps(config, indent=2, sort_keys=True))
    return config


def scores(folder: Path, config: dict[str, Any], beam_width: int = 0) -> dict[str, Any]:
    """metrics.json of an ensemble: validation and test WER/PER (Keras, greedy), the test beam, and per int8 format
    the test WER against the gate (export/tasks.py's seq2seq_decoding threshold over the Keras ensemble)."""
    from apps.g2p.evaluate import INT8_KEYS, evaluate, model_lexicon
    from export.tasks import MAX_WER_INCREASE

    splits = model_lexicon(config, None)
    validation = evaluate(folder, splits, "validation", with_baselines=False)
    test = evaluate(folder, splits, "test", with_baselines=False, beam_width=beam_width)
    figures = ("wer", "per", "words")
    metrics: dict[str, Any] = {"command": config["command"], "wer": test["wer"], "per": test["per"],
                               "validation": {k: validation[k] for k in figures},
                               "test": {k: test[k] for k in figures}, "members": config["members"], "int8": {}}
    if "beam" in test:
        metrics["test_beam"] = test["beam"]
    for backend, key in INT8_KEYS.items():
        if key in test:
            increase = round(test[key]["wer"] - test["wer"], 3)
            metrics["int8"][backend] = {"wer": test[key]["wer"], "per": test[key]["per"], "keras_wer": test["wer"],
                                        "wer_increase": increase, "threshold": MAX_WER_INCREASE,
                                        "passed": increase <= MAX_WER_INCREASE}
            if "beam" in test[key]:
                metrics["int8"][backend]["beam"] = test[key]["beam"]
    return metrics


def members_of(model_dir: Path, config: dict[str, Any]) -> list[Path]:
    """AppSpec.members: an ensemble's member folders (``export`` exports each), none for a single model."""
    return member_dirs(model_dir, config) if is_ensemble(config) else []


def rescored(model_dir: Path) -> dict[str, Any]:
    """After its members were exported: the ensemble's figures again, its int8 files being new (metrics.json
    keeps the beam figure, which the float members decide)."""
    from suite.modeldir import read_config

    result = scores(model_dir, read_config(model_dir))
    return {key: value for key, value in result.items() if key != "command"}
