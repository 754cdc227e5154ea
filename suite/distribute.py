"""Distribution strategies: ``strategy(kind)`` with kind ``auto|tpu|mirrored|multiworker|default``."""
from __future__ import annotations

import json
import os
from functools import lru_cache

from suite.errors import UserError
from suite.keras import tf

KINDS = ("auto", "default", "mirrored", "multiworker", "tpu")


def strategy(kind: str = "auto", tpu: str = "") -> tf.distribute.Strategy:
    """``auto``: a TPU if one resolves, else Mirrored with more than one GPU, else the default strategy.

    One strategy per kind and process: a multi-worker strategy must exist before the first tensor
    (collective ops are configured at start-up), so the train command creates it before any data and
    ``fit`` gets the same object back.
    """
    if kind not in KINDS:
        raise UserError(f"--strategy: unknown kind {kind!r}; choose one of {', '.join(KINDS)}")
    return _create(kind, tpu)


@lru_cache(maxsize=None)
def _create(kind: str, tpu: str) -> tf.distribute.Strategy:
    if kind == "default":
        return tf.distribute.get_strategy()
    if kind == "tpu":
        return tpu_strategy(tpu)
    if kind == "mirrored":
        return mirrored_strategy()
    if kind == "multiworker":
        return multiworker_strategy()
    try:
        return tpu_strategy(tpu)
    except UserError:
        pass
    if len(tf.config.list_logical_devices("GPU")) > 1:
        return mirrored_strategy()
    return tf.distribute.get_strategy()


def mirrored_strategy() -> tf.distribute.Strategy:
    """Mirror over all GPUs, or over the logical CPU devices when there is no GPU but several CPUs."""
    gpus = tf.config.list_logical_devices("GPU")
    cpus = tf.config.list_logical_devices("CPU")
    devices = [d.name for d in gpus] if gpus else [d.name for d in cpus] if len(cpus) > 1 else None
    return tf.distribute.MirroredStrategy(devices=devices)


def tpu_strategy(tpu: str = "") -> tf.distribute.Strategy:
    """Resolve, connect and initialize a TPU system, then return a TPUStrategy."""
    try:
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=tpu)
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
    except (ValueError, RuntimeError, tf.errors.NotFoundError, tf.errors.UnavailableError) as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise UserError(f"--strategy tpu: no TPU found ({first_line})") from None
    return tf.distribute.TPUStrategy(resolver)


def multiworker_strategy() -> tf.distribute.Strategy:
    """MultiWorkerMirroredStrategy configured from the TF_CONFIG environment variable."""
    raw = os.environ.get("TF_CONFIG")
    if not raw:
        raise UserError("--strategy multiworker: TF_CONFIG is not set (see the TensorFlow multi-worker guide)")
    try:
        config = json.loads(raw)
        config["cluster"]["worker"]
    except (json.JSONDecodeError, KeyError, TypeError):
        raise UserError("--strategy multiworker: TF_CONFIG must be JSON with cluster.worker and task") from None
    return tf.distribute.MultiWorkerMirroredStrategy()
