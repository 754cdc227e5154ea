"""Bad input: one UserError line naming the file, CLI exit 2, nothing written."""
from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
import soundfile

from apps.speech import audio
from suite.app import main
from suite.errors import UserError


def corrupt_wav(path: Path) -> None:
    """A RIFF/WAVE header whose fmt chunk is garbage."""
    path.write_bytes(b"RIFF" + struct.pack("<I", 36) + b"WAVE" + b"fmt " + b"\xff" * 24)


def zero_frame_wav(path: Path) -> None:
    soundfile.write(path, np.zeros((0, 1)), 16_000, subtype="PCM_16")


@pytest.mark.parametrize(
    "name, make, problem",
    [
        ("notes.wav", lambda p: p.write_text("hello, not audio\n"), "not a WAV file"),
        ("empty.wav", lambda p: p.write_bytes(b""), "empty file"),
        ("corrupt.wav", corrupt_wav, "corrupt or unsupported WAV"),
        ("silent.wav", zero_frame_wav, "no audio samples"),
        ("missing.wav", lambda p: None, "no such file"),
        ("folder.wav", lambda p: p.mkdir(), "is a folder"),
    ],
)
def test_bad_wav_is_one_user_error_line(tmp_path: Path, name: str, make, problem: str):
    path = tmp_path / name
    make(path)
    with pytest.raises(UserError) as error:
        audio.read_wav(path)
    message = str(error.value)
    assert message.startswith(f"{path}: ") and problem in message and "\n" not in message


def run_cli(argv: list[str], capsys) -> tuple[int, str]:
    code = main("speech", argv)
    return code, capsys.readouterr().err


@pytest.mark.parametrize("command", ["prepare-data", "make-data"])  # make-data: the old name, an alias
def test_prepare_data_bad_options_exit_2_and_write_nothing(tmp_path: Path, capsys, command: str):
    out = tmp_path / "data"
    code, err = run_cli([command, "--out", str(out), "--per-word", "0"], capsys)
    assert code == 2 and err.strip().count("\n") == 0 and "--per-word" in err
    assert not out.exists() and list(tmp_path.iterdir()) == []

    existing_file = tmp_path / "taken"
    existing_file.write_text("keep me")
    code, err = run_cli([command, "--out", str(existing_file), "--per-word", "1"], capsys)
    assert code == 2 and "not a folder" in err and existing_file.read_text() == "keep me"

    foreign = tmp_path / "photos"
    foreign.mkdir()
    (foreign / "cat.jpg").write_bytes(b"jpeg")
    code, err = run_cli([command, "--out", str(foreign), "--per-word", "1"], capsys)
    assert code == 2 and "refusing to replace" in err
    assert [p.name for p in foreign.iterdir()] == ["cat.jpg"]


def test_unknown_option_is_one_line_exit_2(capsys):
    with pytest.raises(SystemExit) as stop:
        main("speech", ["prepare-data", "--out", "x", "--bogus"])
    assert stop.value.code == 2 and capsys.readouterr().err.strip().count("\n") == 0
