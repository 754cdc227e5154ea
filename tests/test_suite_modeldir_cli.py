"""Model directories are atomic and rebuildable; the shared CLI gives one-line errors with exit 2."""
from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pytest

from suite import build_model
from suite.cli import App, add_config_options, add_json_option, emit
from suite.config import resolve_config
from suite.errors import UserError
from suite.modeldir import load_model_dir, save_model_dir, update_metrics


def _config():
    return {"app": None, "task": "classification", "topology": "many_to_one", "preset": "toy",
            "model": {"cell": "lstm", "units": 4, "input_shape": [5, 3], "output_size": 2}}


def test_model_dir_round_trip_and_rebuild(tmp_path):
    config = _config()
    model = build_model(config["topology"], **config["model"])
    save_model_dir(tmp_path / "run", model, config, metrics={"accuracy": 0.5})
    loaded, loaded_config = load_model_dir(tmp_path / "run")
    x = np.random.default_rng(0).normal(size=(2, 5, 3)).astype("float32")
    np.testing.assert_array_equal(loaded(x).numpy(), model(x).numpy())
    rebuilt = build_model(loaded_config["topology"], **loaded_config["model"])
    assert rebuilt.count_params() == model.count_params()
    assert update_metrics(tmp_path / "run", int8_accuracy=0.49) == {"accuracy": 0.5, "int8_accuracy": 0.49}


def test_a_trained_model_is_saved_without_its_optimizer_state(tmp_path):
    config = _config()
    model = build_model(config["topology"], **config["model"])
    x = np.random.default_rng(0).normal(size=(8, 5, 3)).astype("float32")
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x, np.arange(8) % 2, epochs=1, verbose=0)
    save_model_dir(tmp_path / "run", model, config)
    model.save(tmp_path / "with_optimizer.keras")
    loaded, _ = load_model_dir(tmp_path / "run")
    np.testing.assert_array_equal(loaded(x).numpy(), model(x).numpy())
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]
    # Adam keeps two moments per weight: without them the weights file is about a third.
    weights_only = (tmp_path / "run" / "model.keras").stat().st_size
    assert weights_only < 0.6 * (tmp_path / "with_optimizer.keras").stat().st_size


def test_crash_while_saving_leaves_nothing(tmp_path):
    model = build_model("many_to_one", cell="gru", units=4, input_shape=(5, 3), output_size=2)

    def crash(_):
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        save_model_dir(tmp_path / "run", model, _config(), write_extra=crash)
    assert list(tmp_path.iterdir()) == []


def test_atomic_outputs_get_the_umask_mode(tmp_path):
    """Not mkstemp's 0600: a written file or folder has the mode open() and mkdir() would give."""
    import os

    from suite.atomic import atomic_path, write_text

    previous = os.umask(0o022)
    try:
        write_text(tmp_path / "out.txt", "x")
        with atomic_path(tmp_path / "folder", is_dir=True) as folder:
            (folder / "inner.txt").write_text("y")
    finally:
        os.umask(previous)
    assert (tmp_path / "out.txt").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "folder").stat().st_mode & 0o777 == 0o755


def test_missing_model_dir_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="not a model directory"):
        load_model_dir(tmp_path)


@dataclass(frozen=True)
class Toy:
    units: int = 8


def _app() -> App:
    app = App("toy", "a toy app")

    def arguments(parser):
        add_config_options(parser, {"small": Toy()}, default="small")
        add_json_option(parser)
        parser.add_argument("--file", default="")

    @app.command("run", "run the toy", arguments)
    def run(args):
        if args.file:
            raise UserError(f"{args.file}: not a WAV file")
        try:
            config = resolve_config({"small": Toy()}, args.config, args.overrides)
        except ValueError as error:
            raise UserError(f"--set: {error}") from None
        emit({"units": config.units}, args.json)

    return app


def test_cli_json_and_overrides(capsys):
    assert _app().main(["run", "--set", "units=3", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"units": 3}


@pytest.mark.parametrize("argv,message", [
    (["run", "--file", "x.wav"], "error: x.wav: not a WAV file\n"),
    (["run", "--set", "unitz=3"], "unitz"),
])
def test_cli_user_errors_are_one_line_exit_2(argv, message, capsys):
    assert _app().main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_cli_bad_option_is_one_line_exit_2(capsys):
    with pytest.raises(SystemExit) as exit_info:
        _app().main(["run", "--config", "huge"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "huge" in err and err.count("\n") == 1
