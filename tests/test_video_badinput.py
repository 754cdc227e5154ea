"""Bad input: one line naming the file, exit 2, nothing written."""
import os
import re
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from apps.video.decode import iter_frames, load_clip
from apps.video.encode import write_video
from apps.video.ucf101 import load_arrays, scan_folder
from suite.app import main
from suite.errors import UserError

REPO = Path(__file__).resolve().parents[1]
# TensorFlow's start-up chatter (absl/cudart) is not ours; everything else on stderr must be our one line.
TF_STARTUP = re.compile(r"^(WARNING: All log messages before absl|[IWE]\d{4} \d\d:\d\d:\d\d)")


def make_bad_files(folder: Path) -> dict[str, Path]:
    """An undecodable file, an empty file, and a valid AVI container holding zero frames."""
    garbage = folder / "garbage.mp4"
    garbage.write_bytes(b"this is not a video " * 50)
    empty = folder / "empty.avi"
    empty.write_bytes(b"")
    zero = folder / "zero.avi"
    writer = cv2.VideoWriter(str(zero), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (64, 48))
    writer.release()
    assert zero.stat().st_size > 0
    return {"undecodable": garbage, "empty": empty, "zero frames": zero}


EXPECTED = {"undecodable": "cannot decode", "empty": "empty file", "zero frames": "zero frames"}


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_library_raises_one_line_user_error(case, tmp_path):
    path = make_bad_files(tmp_path)[case]
    with pytest.raises(UserError) as raised:
        load_clip(path)
    message = str(raised.value)
    assert message.startswith(f"{path}: ") and EXPECTED[case] in message and "\n" not in message
    with pytest.raises(UserError):
        next(iter_frames(path))


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_cli_bad_file_exits_2_and_writes_nothing(case, tmp_path, capsys):
    path = make_bad_files(tmp_path)[case]
    before = sorted(os.listdir(tmp_path))
    sheet = tmp_path / "sheet.png"
    assert main("video", ["info", str(path), "--sheet", str(sheet)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {path}: ") and EXPECTED[case] in lines[0]
    assert sorted(os.listdir(tmp_path)) == before  # no sheet, no temp file


def test_missing_file_and_folder(tmp_path, capsys):
    missing_file = tmp_path / "nowhere.mp4"
    missing_folder = tmp_path / "no_such_dataset"
    assert main("video", ["info", str(missing_file)]) == 2
    assert capsys.readouterr().err == f"error: {missing_file}: no such file\n"
    assert main("video", ["info", str(missing_folder)]) == 2
    assert capsys.readouterr().err == f"error: {missing_folder}: no such folder\n"
    with pytest.raises(UserError, match="no such folder"):
        scan_folder(missing_folder)
    assert sorted(os.listdir(tmp_path)) == []


def test_folder_without_videos_and_bad_clip_in_a_folder(tmp_path):
    (tmp_path / "walk").mkdir()
    with pytest.raises(UserError, match="no class subfolders"):
        scan_folder(tmp_path)
    write_video(tmp_path / "walk" / "good.avi", np.zeros((4, 32, 32, 3), np.uint8), fps=10)
    (tmp_path / "walk" / "bad.mp4").write_bytes(b"\x00" * 100)
    folder = scan_folder(tmp_path)
    with pytest.raises(UserError, match=re.escape(str(tmp_path / "walk" / "bad.mp4"))):
        load_arrays(folder.files, show_progress=False)


def test_make_data_bad_options_write_nothing(tmp_path, capsys):
    out = tmp_path / "clips"
    assert main("video", ["make-data", "--out", str(out), "--clips-per-class", "0"]) == 2
    assert capsys.readouterr().err == "error: --clips-per-class: must be at least 1, not 0\n"
    assert sorted(os.listdir(tmp_path)) == []


def test_module_entry_point_prints_one_line(tmp_path):
    garbage = make_bad_files(tmp_path)["undecodable"]
    result = subprocess.run([sys.executable, "-m", "apps.video", "info", str(garbage)], cwd=REPO,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and result.stdout == ""
    ours = [line for line in result.stderr.splitlines() if not TF_STARTUP.match(line)]
    assert len(ours) == 1 and ours[0].startswith(f"error: {garbage}: cannot decode")
