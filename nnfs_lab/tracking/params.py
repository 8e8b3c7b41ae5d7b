"""Hyperparameters under names shared across model families, as MLflow params.

The families name the same ideas differently (NNFS ``learning_rate`` is MLP's
``learning_rate_init``, while MLP's ``learning_rate`` is its schedule; NNFS ``l2`` is MLP's
``alpha / (2 * batch_size)``). MLflow's compare view and parallel-coordinates plot line runs up
by parameter name, so every run logs the shared ideas under one canonical, scalar-valued name
(``lr``, ``l2``, ``hidden_layers`` = ``"64x64"``, ``depth``, ``width``, ...) and keeps each
family-native value as ``<family>.<name>``, so nothing is lost and nothing collides.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["CANONICAL_NAMES", "canonical_params", "hidden_layers_str"]

#: family -> native estimator parameter -> canonical name. Unlisted parameters keep only their
#: ``<family>.<name>`` param. ``l2`` of the MLP family is derived (see :func:`canonical_params`).
CANONICAL_NAMES: dict[str, dict[str, str]] = {
    "nnfs": {"learning_rate": "lr", "decay": "lr_decay", "l2": "l2", "l1": "l1",
             "optimizer": "optimizer", "momentum": "momentum", "batch_size": "batch_size",
             "dropout": "dropout", "activation": "activation", "beta_1": "beta_1",
             "beta_2": "beta_2", "epsilon": "epsilon"},
    "mlp": {"learning_rate_init": "lr", "learning_rate": "lr_schedule", "solver": "optimizer",
            "momentum": "momentum", "batch_size": "batch_size", "activation": "activation",
            "power_t": "lr_power_t", "beta_1": "beta_1", "beta_2": "beta_2",
            "epsilon": "epsilon"},
}  # fmt: skip


def hidden_layers_str(sizes: Any) -> str:
    """Hidden layer sizes as one scalar string: ``(64, 32)`` -> ``"64x32"``."""
    if isinstance(sizes, (int, str)):
        return str(sizes)
    return "x".join(str(int(s)) for s in sizes)


def _scalar(v: Any) -> Any:
    if isinstance(v, (tuple, list)):
        return hidden_layers_str(v)
    return v


def canonical_params(family: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """MLflow params of one configuration: canonical names first, then ``<family>.<name>``.

    Parameters
    ----------
    family : str
        Model family (``nnfs``, ``mlp``, ...).
    params : mapping
        Estimator parameters as the family's estimator takes them.

    Returns
    -------
    dict
        Scalar values (strings, numbers): ``hidden_layers`` (``"64x64"``), ``depth`` and
        ``width`` (the widest layer) from ``hidden_layer_sizes``; ``l2`` for MLP as
        ``alpha / (2 * batch_size)``, NNFS's penalty of the same strength, when the batch
        size is a number; the other shared ideas renamed per :data:`CANONICAL_NAMES`.
    """
    names = CANONICAL_NAMES.get(family, {})
    out: dict[str, Any] = {}
    for k, v in params.items():
        if k == "hidden_layer_sizes":
            sizes = (v,) if isinstance(v, int) else tuple(v)
            out.update(hidden_layers=hidden_layers_str(sizes), depth=len(sizes),
                       width=max(sizes) if sizes else 0)  # fmt: skip
        elif k in names:
            out[names[k]] = _scalar(v)
    alpha, batch = params.get("alpha"), params.get("batch_size")
    if family == "mlp" and isinstance(alpha, (int, float)) and isinstance(batch, int):
        out["l2"] = float(alpha) / (2 * batch)
    out.update({f"{family}.{k}": _scalar(v) for k, v in params.items()})
    return out
