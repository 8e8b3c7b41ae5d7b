"""A validated experiment: an experiment file checked against the data sets and the estimators.

:mod:`nnfs_lab.sweeps.config` checks a file against its own schema; this module checks what the
file names and sets against what exists, completely, before anything runs:

- the top-level ``seed`` (a NumPy/scikit-learn seed: an integer in ``[0, 2**32 - 1]``);
- the data set: its name and parameter names in the registry, every parameter's value, and
  (for generated and bundled data sets, which cost milliseconds) the data set itself, made and
  split exactly as the sweep will (a classification task with >= 2 classes, every split and
  evaluation fold possible);
- every fixed value, every end of a searched range (and 0 for ``allow_zero``) and every choice,
  against the family's estimator's own constraints: NNFS through
  :func:`nnfs_lab.estimators.check_param`; scikit-learn's MLP through its public ``fit`` on
  four samples (its constraint table is private API), cached per value, plus ``partial_fit``
  being available, which the sweep trains with;
- sanity limits that the schema's types cannot express (:data:`MAX_HIDDEN_UNITS`, finite
  ``protocol.min_delta``, :data:`MAX_EVALUATION_FITS`).

Errors are :class:`ConfigError`\\ s naming the file, the dotted key, the value and what is
accepted.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from nnfs_lab import tracking
from nnfs_lab.sweeps._reader import ConfigError, suggest
from nnfs_lab.sweeps.config import ExperimentConfig, ModelConfig, load_config, parse_config
from nnfs_lab.sweeps.families import get_family

__all__ = [
    "MAX_EVALUATION_FITS",
    "MAX_HIDDEN_UNITS",
    "MAX_SEED",
    "check_experiment",
    "load_experiment",
    "parse_experiment",
]

#: Largest seed NumPy's legacy seeding and scikit-learn accept.
MAX_SEED = 2**32 - 1
#: Units of one hidden layer in an experiment file: far beyond any sweep on a CPU.
MAX_HIDDEN_UNITS = 100_000
#: ``evaluation.repeats * evaluation.folds``: fits per family for the verdict.
MAX_EVALUATION_FITS = 10_000
#: Largest ``n_samples``-like data set parameter (the data is made to check the file).
MAX_SAMPLES = 10_000_000


def _integer(v: Any) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def _real(v: Any) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(v)


def _int_in(low: int, high: int) -> tuple[str, Any]:
    return f"an integer in [{low}, {high}]", lambda v: _integer(v) and low <= v <= high


#: Data set parameter -> (what is accepted, test). Parameters not listed are checked by
#: making the data set.
_DATASET_VALUES = {
    "n_samples": _int_in(1, MAX_SAMPLES),
    "n_test_samples": _int_in(1, MAX_SAMPLES),
    "n_classes": _int_in(2, 1000),
    "n_features": _int_in(1, 100_000),
    "noise": ("a finite number >= 0", lambda v: _real(v) and v >= 0),
    "standardize": ("true or false", lambda v: isinstance(v, bool)),
    "download": ("true or false", lambda v: isinstance(v, bool)),
    "data_home": ("a path string", lambda v: isinstance(v, str)),
    "base_url": ("a URL string", lambda v: isinstance(v, str)),
}  # fmt: skip


def _check_seed(cfg: ExperimentConfig) -> None:
    if not 0 <= cfg.seed <= MAX_SEED:
        raise ConfigError(
            cfg.path, "seed", f"must be an integer in [0, {MAX_SEED}], got {cfg.seed!r}"
        )


def _check_dataset(cfg: ExperimentConfig) -> None:
    from nnfs_lab import datasets

    name, file = cfg.dataset.name, cfg.path
    names = datasets.list_datasets()
    if name not in names:
        raise ConfigError(file, "dataset.name", f"unknown data set {name!r}; available: {names}")
    accepted = set(datasets.dataset_params(name)) - {"random_state"}
    for k, v in cfg.dataset.params.items():
        key = f"dataset.params.{k}"
        if k == "random_state":
            raise ConfigError(file, key, "is set by the top-level 'seed'")
        if k not in accepted:
            raise ConfigError(file, key, "unknown parameter" + suggest(k, accepted))
        expected, ok = _DATASET_VALUES.get(k, ("", lambda _: True))
        if not ok(v):
            raise ConfigError(file, key, f"invalid value {v!r}; expected {expected}")
    if not accepted & {"download", "data_home"}:  # a downloaded data set is not fetched here
        _dry_run(cfg)


def _dry_run(cfg: ExperimentConfig) -> None:
    """Make and split the data set as the sweep will; any failure names the data set's keys."""
    import numpy as np

    from nnfs_lab import datasets
    from nnfs_lab.sweeps.data import prepare_data
    from nnfs_lab.sweeps.evaluation import outer_folds

    file, params = cfg.path, cfg.dataset.params
    where = "dataset.params" if params else "dataset.name"
    try:
        ds = datasets.load(cfg.dataset.name, random_state=cfg.seed, **params)
    except (ValueError, TypeError, MemoryError) as exc:
        raise ConfigError(
            file, where, f"the data set cannot be made with {params}: {exc}"
        ) from None
    if ds.task != "classification":
        reason = f"{cfg.dataset.name!r} is a {ds.task} data set; sweeps compare classifiers"
        raise ConfigError(file, "dataset.name", reason + ": choose a classification data set")
    classes, counts = np.unique(np.asarray(ds.y), return_counts=True)
    if classes.size < 2:
        key = next(
            (f"dataset.params.{k}" for k in ("n_classes", "n_samples") if k in params), where
        )
        raise ConfigError(file, key, f"gives {classes.size} class; a classifier needs >= 2")
    try:
        outer_folds(cfg, prepare_data(cfg))
    except ValueError as exc:
        key = "dataset.params.n_samples" if "n_samples" in params else "split"
        raise ConfigError(file, key, f"the data set ({len(ds.y)} samples, smallest class "
                          f"{counts.min()}) cannot be split as [split] and [evaluation] "
                          f"ask: {exc}") from None  # fmt: skip


def _model_values(model: ModelConfig) -> Iterator[tuple[str, str, Any]]:
    """(dotted key, parameter, value) of every fixed value, range end and choice."""
    base = f"models.{model.family}"
    for k, v in model.fixed.items():
        yield f"{base}.fixed.{k}", k, v
    for spec in model.search:
        key = f"{base}.search.{spec.name}"
        if spec.kind == "categorical":
            for i, c in enumerate(spec.choices):
                yield f"{key}.choices[{i}]", spec.name, c
            continue
        yield f"{key}.low", spec.name, spec.low
        yield f"{key}.high", spec.name, spec.high
        if spec.allow_zero:
            yield f"{key}.allow_zero", spec.name, 0.0


def _nnfs_reason(name: str, value: Any) -> str | None:
    from nnfs_lab.estimators import check_param

    try:
        check_param(name, value)
    except ValueError as exc:
        return str(exc)
    return None


_MLP_CACHE: dict[tuple[str, str, str], str | None] = {}


def _mlp_reason(name: str, value: Any) -> str | None:
    """MLPClassifier's own verdict on one value: a fit on four samples (cached per value)."""
    key = (name, type(value).__name__, repr(value))
    if key not in _MLP_CACHE:
        with tracking.autolog_disabled():  # a probe fit must not become a user's autolog run
            _MLP_CACHE[key] = _mlp_fit(name, value)
    return _MLP_CACHE[key]


def _mlp_fit(name: str, value: Any) -> str | None:
    import numpy as np
    from sklearn.neural_network import MLPClassifier

    X, y = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0]]), np.array([0, 1, 0, 1])
    est = MLPClassifier(**{name: value, "max_iter": 1, "random_state": 0})
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est.fit(X, y)
    except (ValueError, TypeError) as exc:
        return str(exc)
    if not hasattr(est, "partial_fit"):  # available for the stochastic solvers only
        return (f"the sweep trains MLPClassifier epoch by epoch with partial_fit, which "
                f"{name}={value!r} does not provide; use solver 'adam' or 'sgd'")  # fmt: skip
    return None


def _too_many_units(name: str, value: Any) -> str | None:
    if name != "hidden_layer_sizes":
        return None
    sizes = value if isinstance(value, (tuple, list)) else (value,)
    if any(_integer(s) and s > MAX_HIDDEN_UNITS for s in sizes):
        return f"each hidden layer may have at most {MAX_HIDDEN_UNITS} units"
    return None


def _check_model_params(cfg: ExperimentConfig) -> None:
    for model in cfg.models:
        known = get_family(model.family).param_names()
        named = [("fixed", k) for k in model.fixed] + [("search", s.name) for s in model.search]
        for table, k in named:
            if k not in known:
                reason = "unknown parameter of the estimator" + suggest(k, known)
                raise ConfigError(cfg.path, f"models.{model.family}.{table}.{k}", reason)
        judge = _nnfs_reason if model.family == "nnfs" else _mlp_reason
        for key, name, value in _model_values(model):
            reason = _too_many_units(name, value) or judge(name, value)
            if reason:
                raise ConfigError(cfg.path, key, f"invalid value {value!r}: {reason}")


def _check_limits(cfg: ExperimentConfig) -> None:
    delta = cfg.protocol.min_delta
    if not math.isfinite(delta):
        raise ConfigError(cfg.path, "protocol.min_delta", f"must be finite >= 0, got {delta!r}")
    fits = cfg.evaluation.repeats * cfg.evaluation.folds
    if fits > MAX_EVALUATION_FITS:
        raise ConfigError(cfg.path, "evaluation.repeats", f"repeats x folds = {fits} fits per "
                          f"family; at most {MAX_EVALUATION_FITS}")  # fmt: skip


def check_experiment(cfg: ExperimentConfig) -> ExperimentConfig:
    """Check ``cfg`` against the data set registry and its families' estimators; return it.

    Parameters
    ----------
    cfg : ExperimentConfig
        A file read by :func:`~nnfs_lab.sweeps.config.parse_config`.

    Returns
    -------
    ExperimentConfig
        ``cfg`` itself.

    Raises
    ------
    ConfigError
        Naming the file, the key, the value and what is accepted.
    """
    _check_seed(cfg)
    _check_limits(cfg)
    _check_model_params(cfg)
    _check_dataset(cfg)
    return cfg


def parse_experiment(text: str, file: str = "<string>") -> ExperimentConfig:
    """:func:`~nnfs_lab.sweeps.config.parse_config` followed by :func:`check_experiment`."""
    return check_experiment(parse_config(text, file))


def load_experiment(path: str | Path) -> ExperimentConfig:
    """:func:`~nnfs_lab.sweeps.config.load_config` followed by :func:`check_experiment`."""
    return check_experiment(load_config(path))
