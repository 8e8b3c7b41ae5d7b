"""Optuna sweeps of model families, every trial tracked in MLflow.

One concept per module: :mod:`~nnfs_lab.sweeps.config` (experiment files -> dataclasses),
:mod:`~nnfs_lab.sweeps.experiment` (files checked against data sets and estimators),
:mod:`~nnfs_lab.sweeps.space` (the search space), :mod:`~nnfs_lab.sweeps.families` (one adapter
per model family), :mod:`~nnfs_lab.sweeps.data` (splits and scaling),
:mod:`~nnfs_lab.sweeps.objective` (a trial), :mod:`~nnfs_lab.sweeps.sampling` (sampler and
pruner), :mod:`~nnfs_lab.sweeps.storage` (Optuna storages), :mod:`~nnfs_lab.sweeps.budget`,
:mod:`~nnfs_lab.sweeps.stale`, :mod:`~nnfs_lab.sweeps.workers` (the claim loop),
:mod:`~nnfs_lab.sweeps.summary` and :mod:`~nnfs_lab.sweeps.refit` (after the study),
:mod:`~nnfs_lab.sweeps.driver` (:func:`sweep`), :mod:`~nnfs_lab.sweeps.remote`
(:func:`join`), :mod:`~nnfs_lab.sweeps.generations` (deterministic proposals),
:mod:`~nnfs_lab.sweeps.locks`, :mod:`~nnfs_lab.sweeps.provenance` and
:mod:`~nnfs_lab.sweeps.replay`. Optuna and MLflow are imported
inside the functions that use them.
"""

from __future__ import annotations

from nnfs_lab.sweeps._reader import ConfigError
from nnfs_lab.sweeps.config import ExperimentConfig, load_config, parse_config
from nnfs_lab.sweeps.driver import sweep
from nnfs_lab.sweeps.experiment import check_experiment, load_experiment, parse_experiment
from nnfs_lab.sweeps.families import FAMILIES, Family
from nnfs_lab.sweeps.objective import SweepHooks
from nnfs_lab.sweeps.remote import join
from nnfs_lab.sweeps.summary import SweepResult, summary_table

__all__ = [
    "FAMILIES",
    "ConfigError",
    "ExperimentConfig",
    "Family",
    "SweepHooks",
    "SweepResult",
    "check_experiment",
    "join",
    "load_config",
    "load_experiment",
    "parse_config",
    "parse_experiment",
    "summary_table",
    "sweep",
]
