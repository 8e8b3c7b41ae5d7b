"""A validated experiment: an experiment file checked against the data sets and the estimators.

:mod:`nnfs_lab.sweeps.config` checks a file against its own schema; this module checks what the
file names against what exists: the data set and its parameters in the registry, and every fixed
or searched hyperparameter against its family's estimator. Errors are :class:`ConfigError`s
naming the file, the dotted key and the reason, raised before anything is created in a store.
"""

from __future__ import annotations

from pathlib import Path

from nnfs_lab.sweeps._reader import ConfigError, suggest
from nnfs_lab.sweeps.config import ExperimentConfig, load_config, parse_config
from nnfs_lab.sweeps.families import get_family

__all__ = ["check_experiment", "load_experiment", "parse_experiment"]


def _check_dataset(cfg: ExperimentConfig) -> None:
    from nnfs_lab import datasets

    name, file = cfg.dataset.name, cfg.path
    names = datasets.list_datasets()
    if name not in names:
        raise ConfigError(file, "dataset.name", f"unknown data set {name!r}; available: {names}")
    accepted = set(datasets.dataset_params(name)) - {"random_state"}
    for k in cfg.dataset.params:
        if k == "random_state":
            raise ConfigError(file, "dataset.params.random_state", "is set by the top-level 'seed'")
        if k not in accepted:
            reason = "unknown parameter" + suggest(k, accepted)
            raise ConfigError(file, f"dataset.params.{k}", reason)


def _check_model_params(cfg: ExperimentConfig) -> None:
    for model in cfg.models:
        known = get_family(model.family).param_names()
        named = [("fixed", k) for k in model.fixed] + [("search", s.name) for s in model.search]
        for table, k in named:
            if k not in known:
                reason = "unknown parameter of the estimator" + suggest(k, known)
                raise ConfigError(cfg.path, f"models.{model.family}.{table}.{k}", reason)


def check_experiment(cfg: ExperimentConfig) -> ExperimentConfig:
    """Check ``cfg`` against the data set registry and its families' estimators; return it.

    Raises
    ------
    ConfigError
        Naming the file, the key and the reason.
    """
    _check_dataset(cfg)
    _check_model_params(cfg)
    return cfg


def parse_experiment(text: str, file: str = "<string>") -> ExperimentConfig:
    """:func:`~nnfs_lab.sweeps.config.parse_config` followed by :func:`check_experiment`."""
    return check_experiment(parse_config(text, file))


def load_experiment(path: str | Path) -> ExperimentConfig:
    """:func:`~nnfs_lab.sweeps.config.load_config` followed by :func:`check_experiment`."""
    return check_experiment(load_config(path))
