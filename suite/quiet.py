"""Keep library chatter off the terminal unless ``--verbose``.

TensorFlow, absl and LiteRT write straight to file descriptor 2 from C++ (e.g. LiteRT's
``INFO: Created TensorFlow Lite XNNPACK delegate for CPU.``), which Python's logging cannot stop, so
``native_quiet()`` points fd 2 at /dev/null for the duration of a call that may print.
"""
from __future__ import annotations

import contextlib
import logging
import os
import warnings
from typing import Iterator

VERBOSE_ENV = "RNN_SUITE_VERBOSE"


def set_verbose(verbose: bool) -> None:
    """Record the choice for this process and its children; quiet Python-side loggers too."""
    os.environ[VERBOSE_ENV] = "1" if verbose else "0"
    if verbose:
        os.environ["RNN_SUITE_TF_LOGS"] = "1"
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    for name in ("tensorflow", "absl", "tf2onnx", "h5py", "matplotlib"):
        logging.getLogger(name).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", category=UserWarning)
    warnings.filterwarnings("ignore", category=FutureWarning)


def is_verbose() -> bool:
    return os.environ.get(VERBOSE_ENV) == "1"


@contextlib.contextmanager
def native_quiet() -> Iterator[None]:
    """Silence fd 2 (native library logs) inside the block, unless verbose."""
    if is_verbose():
        yield
        return
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
