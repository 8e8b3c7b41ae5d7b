"""Experiment files: ``experiments/*.toml`` read into frozen dataclasses.

An experiment file names a data set, how to split it, the fixed and searched hyperparameters of each
model family, the search budget and the pruner. Every key of the file's schema is checked here: an
unknown key or a value of the wrong type raises :class:`ConfigError` naming the file, the dotted
key and the reason, so a typo fails before any trial runs instead of being silently ignored.
This module reads TOML and imports no estimator; :mod:`nnfs_lab.sweeps.experiment` checks a
parsed file against the data set registry and the estimators' own parameters. The searched
parameters' syntax is documented in :mod:`nnfs_lab.sweeps.space`.

A minimal file::

    name = "spiral"
    seed = 0

    [dataset]
    name = "spiral"
    params = { n_samples = 200, n_classes = 3 }

    [models.nnfs.search]
    learning_rate = { low = 1e-4, high = 1e-1, log = true }
    decay = { low = 1e-6, high = 1e-2, log = true, allow_zero = true }
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nnfs_lab.sweeps._reader import ConfigError, Reader, join_key
from nnfs_lab.sweeps.families import FAMILIES
from nnfs_lab.sweeps.space import ParamSpec, parse_param

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    try:
        import tomli as tomllib
    except ImportError as exc:  # pragma: no cover
        raise ImportError(
            "reading experiment files on Python 3.10 needs the 'tomli' package: pip install tomli"
        ) from exc

__all__ = [
    "BUDGET_LIMITS",
    "BudgetConfig",
    "ConfigError",
    "DatasetConfig",
    "EvaluationConfig",
    "ExperimentConfig",
    "ModelConfig",
    "ParamSpec",
    "ProtocolConfig",
    "PrunerConfig",
    "SplitConfig",
    "load_config",
    "parse_config",
]


@dataclass(frozen=True)
class DatasetConfig:
    """Which data set to load and how to preprocess it."""

    name: str
    params: dict[str, Any] = field(default_factory=dict)
    #: ``"standard"`` (z-score), ``"minmax"`` ([0, 1]) or ``"none"``; fitted on the training split.
    scale: str = "standard"


@dataclass(frozen=True)
class SplitConfig:
    """The held-out set (``test_size``, never scored while tuning) and tuning's validation
    scheme on the rest (a ``validation`` holdout fraction, or ``cv`` folds when set)."""

    test_size: float = 0.25
    validation: float = 0.2
    cv: int | None = None
    stratify: bool = True


@dataclass(frozen=True)
class ModelConfig:
    """Fixed parameters and search space of one model family."""

    family: str
    enabled: bool = True
    fixed: dict[str, Any] = field(default_factory=dict)
    search: tuple[ParamSpec, ...] = ()


@dataclass(frozen=True)
class BudgetConfig:
    """Trials per model family (and/or a timeout in seconds) and epochs per fit."""

    n_trials: int | None = 20
    timeout: float | None = None
    max_epochs: int = 100
    #: Trials proposed together in a deterministic sweep (each generation is sampled from the
    #: earlier ones only): larger keeps more workers busy, smaller adapts the search sooner.
    generation_size: int = 8


@dataclass(frozen=True)
class ProtocolConfig:
    """How every family trains, applied by the sweep's own loop to all of them alike.

    ``stopping = "none"`` trains exactly ``budget.max_epochs`` epochs (pruning aside);
    ``"val_loss"`` stops once the validation log loss has not improved by ``min_delta`` for
    ``patience`` epochs.
    """

    stopping: str = "none"
    patience: int = 10
    min_delta: float = 1e-4


@dataclass(frozen=True)
class EvaluationConfig:
    """The verdict's resampling: ``repeats`` x ``folds`` stratified folds of the held-out set.

    Each fold's model trains on all development data plus the other held-out folds and is
    scored on its fold, which tuning never saw; seeds vary from fold to fold.
    """

    repeats: int = 3
    folds: int = 5
    alpha: float = 0.05


@dataclass(frozen=True)
class PrunerConfig:
    """Optuna pruner: ``median``, ``successive_halving``, ``hyperband`` or ``none``."""

    kind: str = "median"
    n_startup_trials: int = 5
    n_warmup_steps: int = 10
    interval_steps: int = 1
    reduction_factor: int = 3
    min_resource: int = 5


@dataclass(frozen=True)
class ExperimentConfig:
    """A whole experiment file."""

    name: str
    path: str
    description: str = ""
    seed: int = 0
    #: Validation metric optimized and used for pruning: ``accuracy`` (max) or ``log_loss`` (min).
    objective: str = "accuracy"
    trial_plots: bool = True
    dataset: DatasetConfig = field(default_factory=lambda: DatasetConfig(name="spiral"))
    split: SplitConfig = field(default_factory=SplitConfig)
    budget: BudgetConfig = field(default_factory=BudgetConfig)
    protocol: ProtocolConfig = field(default_factory=ProtocolConfig)
    evaluation: EvaluationConfig = field(default_factory=EvaluationConfig)
    pruner: PrunerConfig = field(default_factory=PrunerConfig)
    models: tuple[ModelConfig, ...] = ()
    #: The file's text, logged with the runs so a sweep can be reproduced from the store alone.
    source: str = ""

    @property
    def direction(self) -> str:
        """``"maximize"`` for accuracy, ``"minimize"`` for log loss."""
        return "maximize" if self.objective == "accuracy" else "minimize"

    def model(self, family: str) -> ModelConfig:
        """Return the configuration of ``family``."""
        for m in self.models:
            if m.family == family:
                return m
        raise KeyError(family)

    def study_name(self, family: str) -> str:
        """Optuna study name of one family's sweep (also the MLflow parent run name)."""
        return f"{self.name}-{family}"


_TOP_KEYS = {"name", "description", "seed", "objective", "trial_plots", "dataset", "split",
             "budget", "protocol", "evaluation", "pruner", "models"}  # fmt: skip
_RESERVED_REASON = "is set by the sweep (use [budget] / seed instead)"


def _parse_model(r: Reader, raw: Any, key: str, family: str) -> ModelConfig:
    t = r.table(raw, key, {"enabled", "fixed", "search"})
    reserved = FAMILIES[family].reserved
    fixed: dict[str, Any] = {}
    for k, v in r.get(t, key, "fixed", (dict,), {}).items():
        if k in reserved:
            raise r.fail(join_key(key, f"fixed.{k}"), _RESERVED_REASON)
        fixed[k] = tuple(v) if isinstance(v, list) else v  # e.g. hidden_layer_sizes = [64, 64]
    search: list[ParamSpec] = []
    for k, v in r.get(t, key, "search", (dict,), {}).items():
        path = join_key(key, f"search.{k}")
        if k in reserved:
            raise r.fail(path, _RESERVED_REASON)
        if k in fixed:
            raise r.fail(path, "is both fixed and searched")
        spec = parse_param(r, v, path, k)
        earlier = {s.name for s in search}
        for dep in spec.when:
            if dep not in earlier:
                raise r.fail(join_key(path, f"when.{dep}"), "must name an earlier searched key")
        search.append(spec)
    enabled = r.get(t, key, "enabled", (bool,), True)
    return ModelConfig(family=family, enabled=enabled, fixed=fixed, search=tuple(search))


def _parse_dataset(r: Reader, top: dict) -> DatasetConfig:
    if "dataset" not in top:
        raise r.fail("dataset", "missing (every experiment names a data set)")
    d = r.table(top["dataset"], "dataset", {"name", "params", "scale"})
    if "name" not in d:
        raise r.fail("dataset.name", "missing")
    scale = r.get(d, "dataset", "scale", (str,), "standard")
    r.choice(scale, "dataset.scale", ("standard", "minmax", "none"))
    return DatasetConfig(
        name=r.get(d, "dataset", "name", (str,), None),
        params=dict(r.get(d, "dataset", "params", (dict,), {})),
        scale=scale,
    )


def _parse_split(r: Reader, top: dict) -> SplitConfig:
    s = r.table(top.get("split", {}), "split", {"test_size", "validation", "cv", "stratify"})
    split = SplitConfig(
        test_size=r.get(s, "split", "test_size", (int, float), 0.25),
        validation=r.get(s, "split", "validation", (int, float), 0.2),
        cv=r.get(s, "split", "cv", (int,), None),
        stratify=r.get(s, "split", "stratify", (bool,), True),
    )
    for k in ("test_size", "validation"):
        v = getattr(split, k)
        if not 0 < v < 1:
            raise r.fail(f"split.{k}", f"must be a fraction in (0, 1), got {v!r}")
    if split.cv is not None and split.cv < 2:
        raise r.fail("split.cv", f"must be >= 2 folds, got {split.cv}")
    return split


#: Sanity limits of [budget]: beyond them a typo (an extra 0) would spend minutes enqueueing
#: trials or run for days; nothing this project runs comes near them.
BUDGET_LIMITS = {"n_trials": 100_000, "max_epochs": 1_000_000, "generation_size": 10_000,
                 "timeout": 366 * 24 * 3600.0}  # fmt: skip


def _parse_budget(r: Reader, top: dict) -> BudgetConfig:
    keys = {"n_trials", "timeout", "max_epochs", "generation_size"}
    b = r.table(top.get("budget", {}), "budget", keys)
    budget = BudgetConfig(
        n_trials=r.get(b, "budget", "n_trials", (int,), 20),
        timeout=r.get(b, "budget", "timeout", (int, float), None),
        max_epochs=r.get(b, "budget", "max_epochs", (int,), 100),
        generation_size=r.get(b, "budget", "generation_size", (int,), 8),
    )
    for k in keys:
        v = getattr(budget, k)
        r.positive(v, f"budget.{k}")
        if v is not None and not v <= BUDGET_LIMITS[k]:  # `not <=` also refuses NaN
            raise r.fail(f"budget.{k}", f"must be <= {BUDGET_LIMITS[k]:g}, got {v!r}")
    return budget


def _parse_protocol(r: Reader, top: dict) -> ProtocolConfig:
    p = r.table(top.get("protocol", {}), "protocol", {"stopping", "patience", "min_delta"})
    d = ProtocolConfig()
    protocol = ProtocolConfig(
        stopping=r.get(p, "protocol", "stopping", (str,), d.stopping),
        patience=r.get(p, "protocol", "patience", (int,), d.patience),
        min_delta=r.get(p, "protocol", "min_delta", (int, float), d.min_delta),
    )
    r.choice(protocol.stopping, "protocol.stopping", ("none", "val_loss"))
    r.positive(protocol.patience, "protocol.patience")
    r.positive(protocol.min_delta, "protocol.min_delta", strict=False)
    return protocol


def _parse_evaluation(r: Reader, top: dict) -> EvaluationConfig:
    e = r.table(top.get("evaluation", {}), "evaluation", {"repeats", "folds", "alpha"})
    d = EvaluationConfig()
    ev = EvaluationConfig(
        repeats=r.get(e, "evaluation", "repeats", (int,), d.repeats),
        folds=r.get(e, "evaluation", "folds", (int,), d.folds),
        alpha=r.get(e, "evaluation", "alpha", (float,), d.alpha),
    )
    r.positive(ev.repeats, "evaluation.repeats")
    if ev.folds < 2:
        raise r.fail("evaluation.folds", f"must be >= 2 folds, got {ev.folds}")
    if not 0 < ev.alpha < 1:
        raise r.fail("evaluation.alpha", f"must be in (0, 1), got {ev.alpha!r}")
    return ev


def _parse_pruner(r: Reader, top: dict) -> PrunerConfig:
    ints = ("n_startup_trials", "n_warmup_steps", "interval_steps", "reduction_factor",
            "min_resource")  # fmt: skip
    p = r.table(top.get("pruner", {}), "pruner", {"kind", *ints})
    defaults = PrunerConfig()
    pruner = PrunerConfig(
        kind=r.get(p, "pruner", "kind", (str,), defaults.kind),
        **{k: r.get(p, "pruner", k, (int,), getattr(defaults, k)) for k in ints},
    )
    r.choice(pruner.kind, "pruner.kind", ("median", "successive_halving", "hyperband", "none"))
    for k in ("n_startup_trials", "n_warmup_steps"):
        r.positive(getattr(pruner, k), f"pruner.{k}", strict=False)
    for k in ("interval_steps", "min_resource"):
        r.positive(getattr(pruner, k), f"pruner.{k}")
    if pruner.reduction_factor < 2:
        raise r.fail("pruner.reduction_factor", f"must be >= 2, got {pruner.reduction_factor}")
    return pruner


def _parse_models(r: Reader, top: dict) -> tuple[ModelConfig, ...]:
    m = r.table(top.get("models", {}), "models", set(FAMILIES))
    models = tuple(_parse_model(r, m[f], f"models.{f}", f) for f in FAMILIES if f in m)
    if not any(mc.enabled for mc in models):
        raise r.fail("models", f"no enabled model family (configure one of {list(FAMILIES)})")
    return models


def parse_config(text: str, file: str = "<string>") -> ExperimentConfig:
    """Parse the text of an experiment file and check it against the file's schema.

    Parameters
    ----------
    text : str
        TOML source.
    file : str
        Name used in error messages and as the default experiment name (its stem).

    Returns
    -------
    ExperimentConfig

    Raises
    ------
    ConfigError
        On invalid TOML, unknown keys, wrong types or inconsistent values.
    """
    r = Reader(file)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise r.fail("", f"invalid TOML: {exc}") from None
    top = r.table(raw, "", _TOP_KEYS)
    name = r.get(top, "", "name", (str,), Path(file).stem)
    if not name or any(c in name for c in "/\\'\""):
        raise r.fail("name", f"must be a non-empty name without slashes or quotes, got {name!r}")
    objective = r.get(top, "", "objective", (str,), "accuracy")
    r.choice(objective, "objective", ("accuracy", "log_loss"))
    return ExperimentConfig(
        name=name,
        path=file,
        description=r.get(top, "", "description", (str,), ""),
        seed=r.get(top, "", "seed", (int,), 0),
        objective=objective,
        trial_plots=r.get(top, "", "trial_plots", (bool,), True),
        dataset=_parse_dataset(r, top),
        split=_parse_split(r, top),
        budget=_parse_budget(r, top),
        protocol=_parse_protocol(r, top),
        evaluation=_parse_evaluation(r, top),
        pruner=_parse_pruner(r, top),
        models=_parse_models(r, top),
        source=text,
    )


def load_config(path: str | Path) -> ExperimentConfig:
    """Read an experiment file and check it against the file's schema.

    Parameters
    ----------
    path : str or Path
        A ``.toml`` file.

    Returns
    -------
    ExperimentConfig

    Raises
    ------
    ConfigError
        When the file is missing, unreadable or invalid.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(str(path), "", f"cannot read file: {exc.strerror or exc}") from None
    return parse_config(text, str(path))
