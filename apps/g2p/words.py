"""Words to pronounce, from the command line or a file: checked, lower-cased, each bad one named."""
from __future__ import annotations

from pathlib import Path

from apps.g2p.data import MAX_LETTERS, check_word
from suite.errors import UserError


def check_words(words: list[str], places: list[str] | None = None) -> tuple[list[str], list[str]]:
    """(good lower-cased words, one problem line per bad word); ``places`` name each word (default: itself)."""
    good, problems = [], []
    for word, where in zip(words, places or [repr(w) for w in words]):
        lowered = word.strip().lower()
        try:
            check_word(lowered, where)
            if len(lowered) > MAX_LETTERS:
                raise UserError(f"{where}: {word!r} is longer than the model's {MAX_LETTERS} letters")
        except UserError as error:
            problems.append(str(error))
            continue
        good.append(lowered)
    return good, problems


def read_word_file(file: str) -> tuple[list[str], list[str]]:
    """The words of a one-word-per-line file, each with its ``FILE:LINE`` (a trailing blank line is no word)."""
    try:
        lines = Path(file).read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        raise UserError(f"{file}: not UTF-8 text") from None
    except OSError as error:
        raise UserError(f"{file}: cannot be read ({error.strerror})") from None
    while lines and not lines[-1].strip():
        lines.pop()
    return [line.strip() for line in lines], [f"{file}:{number}" for number in range(1, len(lines) + 1)]
