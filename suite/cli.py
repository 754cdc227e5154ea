"""Shared command-line conventions for every app: ``python -m apps.<app> <command>``.

``suite.app.cli_of(__name__)`` gives a command module its app's ``App``; commands register
themselves on it and the app's ``commands/`` folder is discovered, so adding a command touches no
other file. User errors (``UserError``) print one line and exit 2. Every command takes
``--verbose``; without it, library chatter (TensorFlow, LiteRT, absl) stays off the terminal.
"""
from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Callable, Iterable, Optional, Sequence

from suite.errors import UserError

EXIT_USER_ERROR = 2

CommandFn = Callable[[argparse.Namespace], Optional[int]]
ArgumentsFn = Callable[[argparse.ArgumentParser], None]


class OneLineParser(argparse.ArgumentParser):
    """argparse that reports a bad option as a single line (no usage dump), exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USER_ERROR, f"{self.prog}: error: {message}\n")


class App:
    """A named group of subcommands with the shared error handling."""

    def __init__(self, name: str, description: str) -> None:
        self.name = name
        self.description = description
        self._commands: dict[str, tuple[str, ArgumentsFn | None, CommandFn, tuple[str, ...]]] = {}

    def command(self, name: str, help: str, arguments: ArgumentsFn | None = None,
                aliases: tuple[str, ...] = ()) -> Callable[[CommandFn], CommandFn]:
        """Register ``fn(args)`` as subcommand ``name``; ``arguments(parser)`` adds its options."""

        def register(fn: CommandFn) -> CommandFn:
            if name in self._commands:
                raise ValueError(f"command {name!r} is already registered in app {self.name!r}")
            self._commands[name] = (help, arguments, fn, aliases)
            return fn

        return register

    @property
    def command_names(self) -> list[str]:
        return sorted(self._commands)

    def parser(self) -> argparse.ArgumentParser:
        parser = OneLineParser(prog=f"python -m apps.{self.name}", description=self.description)
        subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=OneLineParser)
        subparsers.required = True
        for name, (help_text, arguments, fn, aliases) in sorted(self._commands.items()):
            sub = subparsers.add_parser(name, help=help_text, description=help_text, aliases=list(aliases))
            if arguments is not None:
                arguments(sub)
            sub.add_argument("--verbose", action="store_true", help="show library logs (TensorFlow, LiteRT)")
            sub.set_defaults(_run=fn)
        return parser

    def main(self, argv: Sequence[str] | None = None) -> int:
        args = self.parser().parse_args(argv)
        args._argv = list(argv) if argv is not None else sys.argv[1:]
        from suite.quiet import set_verbose

        set_verbose(args.verbose)
        try:
            code = args._run(args)
        except UserError as error:
            print(f"error: {error}", file=sys.stderr)
            return EXIT_USER_ERROR
        except KeyboardInterrupt:
            print("error: interrupted", file=sys.stderr)
            return 130
        return int(code or 0)


def add_json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON Lines, one object per result")


def add_config_options(parser: argparse.ArgumentParser, presets: Iterable[str], default: str,
                       help: str = "named preset") -> None:
    """``--config PRESET`` and repeatable ``--set key=value`` (validated by the config class)."""
    parser.add_argument("--config", default=default, choices=sorted(presets), metavar="PRESET", help=help)
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override one preset field; repeatable")


def add_strategy_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--strategy", default="auto", choices=["auto", "default", "mirrored", "multiworker", "tpu"],
                        help="distribution strategy for training")


def emit(record: dict[str, Any], as_json: bool, text: str | None = None) -> None:
    """Print one result: a JSON line with ``--json``, else ``text`` (or key=value pairs)."""
    if as_json:
        print(json.dumps(record, default=_json_default), flush=True)
    else:
        print(text if text is not None else "  ".join(f"{k}={v}" for k, v in record.items()), flush=True)


def _json_default(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def each_file(paths: Iterable[str], handle: Callable[[str], None]) -> int:
    """Batch commands: ``handle(path)`` for every path; a bad file (UserError) is one ``error:`` line and the
    others still run; the exit code is 2 at the end if any failed."""
    failed = 0
    for path in paths:
        try:
            handle(path)
        except UserError as error:
            print(f"error: {error}", file=sys.stderr, flush=True)
            failed += 1
    return EXIT_USER_ERROR if failed else 0


def progress(iterable: Iterable[Any], description: str, total: int | None = None, enabled: bool = True) -> Iterable[Any]:
    """A progress bar on stderr for long work (tqdm); a plain iterator when disabled."""
    if not enabled:
        return iterable
    from tqdm import tqdm

    return tqdm(iterable, desc=description, total=total, file=sys.stderr, leave=False, dynamic_ncols=True)
