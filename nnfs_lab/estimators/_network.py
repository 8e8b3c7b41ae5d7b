"""The engine network behind an estimator: built from the hyperparameters, kept in sync with
them on warm start and ``partial_fit``."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnfs_lab.nn import Dense, Dropout, Linear, Model, ReLU, Sigmoid, Tanh, make_optimizer

__all__ = ["ACTIVATION_LAYERS", "build_network", "optimizer_kwargs", "sync_network"]

ACTIVATION_LAYERS = {"relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid, "linear": Linear}


def optimizer_kwargs(cfg: dict[str, Any]) -> dict[str, Any]:
    """The engine optimizer's keyword arguments from validated hyperparameters."""
    kw: dict[str, Any] = {"learning_rate": cfg["learning_rate"], "decay": cfg["decay"]}
    name = cfg["optimizer"]
    if name == "sgd":
        kw.update(momentum=cfg["momentum"], nesterov=cfg["nesterov"])
    elif name == "adam":
        kw.update(epsilon=cfg["epsilon"], beta_1=cfg["beta_1"], beta_2=cfg["beta_2"])
    elif name == "rmsprop":
        kw.update(epsilon=cfg["epsilon"], rho=cfg["rho"])
    else:
        kw.update(epsilon=cfg["epsilon"])
    return kw


def build_network(
    cfg: dict[str, Any], *, n_features: int, n_outputs: int, seed: int, head: tuple
) -> Model:
    """A finalized engine network for validated hyperparameters ``cfg``.

    Parameters
    ----------
    cfg : dict
        Output of ``validate_params``.
    n_features, n_outputs : int
    seed : int
        Spawns two streams: one initializes the weights, one shuffles and draws dropout masks.
    head : tuple (output activation, loss, metric)
        The estimator's output head.

    Returns
    -------
    Model
    """
    init_ss, train_ss = np.random.SeedSequence(seed).spawn(2)
    init = "glorot" if cfg["weight_init"] == "auto" else cfg["weight_init"]
    dense_kw = dict(
        weight_l1=cfg["l1"],
        weight_l2=cfg["l2"],
        init=init,
        rng=np.random.default_rng(init_ss),
        dtype=cfg["dtype"],
    )
    model = Model(random_state=np.random.default_rng(train_ss))
    prev = n_features
    for size in cfg["hidden_layer_sizes"]:
        model.add(Dense(prev, size, **dense_kw))
        model.add(ACTIVATION_LAYERS[cfg["activation"]]())
        if cfg["dropout"] > 0:
            model.add(Dropout(cfg["dropout"]))
        prev = size
    model.add(Dense(prev, n_outputs, **dense_kw))
    out_act, loss, metric = head
    model.add(out_act)
    optimizer = make_optimizer(cfg["optimizer"], **optimizer_kwargs(cfg))
    model.set(loss=loss, optimizer=optimizer, accuracy=metric)
    return model.finalize()


def sync_network(model: Model, cfg: dict[str, Any]) -> None:
    """Carry changed scalar hyperparameters into a warm-started model without touching its
    weights or the optimizer's moments (a new optimizer *type* starts with fresh state)."""
    opt = model.optimizer
    if type(opt).__name__.lower() != cfg["optimizer"]:
        model.set(optimizer=make_optimizer(cfg["optimizer"], **optimizer_kwargs(cfg)))
        model.finalize()
    else:
        for key, value in optimizer_kwargs(cfg).items():
            setattr(opt, key, value)
        if not opt.decay:
            opt.current_learning_rate = opt.learning_rate
    for layer in model.layers:
        if isinstance(layer, Dense):
            layer.weight_l1, layer.weight_l2 = cfg["l1"], cfg["l2"]
        elif isinstance(layer, Dropout):
            layer.rate = cfg["dropout"]
