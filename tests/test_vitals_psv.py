"""PSV reading/writing against a hand-written file, and every bad-input case through the CLI."""
import math
import warnings

import numpy as np
import pytest

from apps.vitals.psv import (ALL_COLUMNS, FEATURE_COLUMNS, ImpossibleValueWarning, Stay, format_psv, read_folder,
                             read_psv, write_psv)
from suite.app import main
from suite.errors import UserError

# The challenge's column order, spelled out independently of the module under test.
CHALLENGE_HEADER = (
    "HR|O2Sat|Temp|SBP|MAP|DBP|Resp|EtCO2|BaseExcess|HCO3|FiO2|pH|PaCO2|SaO2|AST|BUN|Alkalinephos|Calcium|"
    "Chloride|Creatinine|Bilirubin_direct|Glucose|Lactate|Magnesium|Phosphate|Potassium|Bilirubin_total|"
    "TroponinI|Hct|Hgb|PTT|WBC|Fibrinogen|Platelets|Age|Gender|Unit1|Unit2|HospAdmTime|ICULOS|SepsisLabel"
)
HEADER_NAMES = CHALLENGE_HEADER.split("|")


def row(label="0", **cells) -> str:
    """One data line: the given cells, NaN elsewhere, fixed demographics."""
    demographics = {"Age": "68.5", "Gender": "1", "Unit1": "0", "Unit2": "1", "HospAdmTime": "-12.03"}
    values = {**demographics, **cells}
    return "|".join(values.get(name, "NaN") for name in HEADER_NAMES[:-1]) + "|" + label


HAND_WRITTEN = "\n".join([
    CHALLENGE_HEADER,
    row(HR="80", O2Sat="97", Temp="36.8", SBP="120", MAP="85", DBP="65", Resp="16", ICULOS="1"),
    row(HR="95.5", Resp="22", Lactate="2.4", WBC="13.1", ICULOS="2"),
    row(label="1", HR="110", SBP="95", Temp="38.6", ICULOS="3"),
]) + "\n"


def write(tmp_path, text, name="p000001.psv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_header_matches_the_challenge_order():
    assert "|".join(ALL_COLUMNS) == CHALLENGE_HEADER
    assert len(ALL_COLUMNS) == 41 and len(FEATURE_COLUMNS) == 40


def test_reads_a_hand_written_file(tmp_path):
    stay = read_psv(write(tmp_path, HAND_WRITTEN))
    assert stay.name == "p000001" and stay.values.shape == (3, 40)
    np.testing.assert_array_equal(stay.column("HR"), [80.0, 95.5, 110.0])
    np.testing.assert_array_equal(stay.column("ICULOS"), [1, 2, 3])
    assert stay.column("Lactate")[1] == 2.4 and math.isnan(stay.column("Lactate")[0])
    assert stay.column("HospAdmTime")[2] == -12.03
    np.testing.assert_array_equal(stay.labels, [0, 0, 1])
    # observed cells per row: 7 vitals + ICULOS + 5 demographics; 4 + ICULOS + 5; 3 + ICULOS + 5
    assert np.isnan(stay.values).sum() == 3 * 40 - (13 + 10 + 9)
    assert stay.impossible == {}


def test_label_column_is_optional(tmp_path):
    lines = [line.rsplit("|", 1)[0] for line in HAND_WRITTEN.splitlines()]
    stay = read_psv(write(tmp_path, "\n".join(lines)))
    assert stay.labels is None and stay.values.shape == (3, 40)


def test_columns_are_found_by_name_in_any_order(tmp_path):
    lines = [line.split("|") for line in HAND_WRITTEN.splitlines()]
    swapped = ["|".join([cells[1], cells[0]] + cells[2:]) for cells in lines]
    stay = read_psv(write(tmp_path, "\n".join(swapped)))
    np.testing.assert_array_equal(stay.column("HR"), [80.0, 95.5, 110.0])


def test_write_then_read_round_trips(tmp_path):
    stay = read_psv(write(tmp_path, HAND_WRITTEN))
    write_psv(tmp_path / "copy.psv", stay)
    text = (tmp_path / "copy.psv").read_text()
    assert text.splitlines()[0] == CHALLENGE_HEADER
    assert text.splitlines()[2].startswith("95.5|NaN|NaN|")
    again = read_psv(tmp_path / "copy.psv")
    np.testing.assert_array_equal(again.values, stay.values)
    np.testing.assert_array_equal(again.labels, stay.labels)
    unlabelled = format_psv(Stay("x", stay.values, None))
    assert unlabelled.splitlines()[0] == CHALLENGE_HEADER.rsplit("|", 1)[0]


def test_impossible_values_become_missing_with_a_counting_warning(tmp_path):
    text = "\n".join([CHALLENGE_HEADER, row(HR="900", Temp="80", ICULOS="1"), row(HR="72", Temp="98.6", ICULOS="2")])
    with pytest.warns(ImpossibleValueWarning, match=r"3 physiologically impossible values .*Temp 2, HR 1"):
        stay = read_psv(write(tmp_path, text))
    assert stay.impossible == {"HR": 1, "Temp": 2}
    assert np.isnan(stay.column("HR")[0]) and stay.column("HR")[1] == 72
    assert np.isnan(stay.column("Temp")).all()


def test_folder_read_warns_once_with_totals(tmp_path):
    bad = "\n".join([CHALLENGE_HEADER, row(HR="900", ICULOS="1")])
    write(tmp_path, bad, "p1.psv")
    write(tmp_path, bad, "p2.psv")
    write(tmp_path, HAND_WRITTEN, "p3.psv")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        stays = read_folder(tmp_path)
    messages = [str(w.message) for w in caught if w.category is ImpossibleValueWarning]
    assert [stay.name for stay in stays] == ["p1", "p2", "p3"]
    assert len(messages) == 1 and "2 physiologically impossible values" in messages[0] and "in 2 of 3 files" in messages[0]


BAD_FILES = {
    "missing_columns": (CHALLENGE_HEADER.replace("Lactate|", "").replace("|Age", ""), "missing columns: Lactate, Age"),
    "non_numeric": (None, "line 3, column HR: non-numeric value 'high'"),
    "empty": ("", "empty file"),
    "header_only": (CHALLENGE_HEADER + "\n", "no data rows"),
    "comma": (CHALLENGE_HEADER.replace("|", ","), "wrong delimiter: the header is comma-separated"),
    "tab": (CHALLENGE_HEADER.replace("|", "\t"), "wrong delimiter: the header is tab-separated"),
    "ragged": (CHALLENGE_HEADER + "\n1|2|3\n", "line 2 has 3 fields, the header has 41"),
    "bad_label": (None, "column SepsisLabel: expected 0 or 1"),
}


def bad_text(case: str) -> str:
    text, _ = BAD_FILES[case]
    if case == "non_numeric":
        return HAND_WRITTEN.replace("95.5", "high")
    if case == "bad_label":
        return "\n".join([CHALLENGE_HEADER, row(label="2", ICULOS="1")])
    if case in ("missing_columns", "comma", "tab"):
        return text + "\n" + "\n".join(HAND_WRITTEN.splitlines()[1:]) + "\n"
    return text


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_input_is_one_line_naming_file_and_problem(tmp_path, case):
    path = write(tmp_path, bad_text(case), f"{case}.psv")
    with pytest.raises(UserError) as error:
        read_psv(path)
    message = str(error.value)
    assert message.startswith(str(path) + ": ") and BAD_FILES[case][1] in message and "\n" not in message


def command_line(command: str, path, tmp_path) -> list[str]:
    """The command run on one bad file (with the shipped model: its int8 step model loads in milliseconds)."""
    return {
        "check": ["check", str(path), "--json"],
        "score": ["score", str(path), "--json"],
        "evaluate": ["evaluate", "--data", str(path), "--out", str(tmp_path / "evaluation"), "--json"],
        "monitor": ["monitor", str(path), "--json"],
    }[command]


@pytest.mark.parametrize("command", ["check", "score", "evaluate", "monitor"])
@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_input_exits_2_from_the_cli_and_writes_nothing(tmp_path, capsys, case, command):
    path = write(tmp_path, bad_text(case), f"{case}.psv")
    before = sorted(p.name for p in tmp_path.iterdir())
    assert main("vitals", command_line(command, path, tmp_path)) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and BAD_FILES[case][1] in captured.err and str(path) in captured.err
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_check_summarises_good_files(tmp_path, capsys):
    write(tmp_path, HAND_WRITTEN)
    assert main("vitals", ["check", str(tmp_path), "--json"]) == 0
    out = capsys.readouterr().out
    assert '"stays": 1' in out and '"hours": 3' in out and '"septic_stays": 1' in out


def test_missing_file_and_empty_folder_are_user_errors(tmp_path, capsys):
    assert main("vitals", ["check", str(tmp_path / "nope.psv")]) == 2
    assert "nope.psv: no such file" in capsys.readouterr().err
    assert main("vitals", ["check", str(tmp_path)]) == 2
    assert "no .psv files" in capsys.readouterr().err


def test_help_says_research_tool_not_a_medical_device():
    from suite.app.registry import build_cli

    assert "not a medical device" in build_cli("vitals").parser().format_help()
