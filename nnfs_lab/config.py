"""Experiment files: ``experiments/*.toml`` parsed into frozen dataclasses.

An experiment file names a data set, how to split it, the fixed and searched hyperparameters of each
model family, the search budget and the pruner. Every key is checked: an unknown key or a value of
the wrong type raises :class:`ConfigError` naming the file, the dotted key and the reason, so a typo
such as ``learnig_rate`` fails before any trial runs instead of being silently ignored.

A minimal file::

    name = "spiral"
    seed = 0

    [dataset]
    name = "spiral"
    params = { n_samples = 200, n_classes = 3 }

    [models.nnfs.search]
    learning_rate = { low = 1e-4, high = 1e-1, log = true }
    decay = { low = 1e-6, high = 1e-2, log = true, allow_zero = true }

Search-space entries
--------------------
``{ low, high }`` with two integers is an integer range, with floats a float range; ``log = true``
samples log-uniformly, ``step`` quantizes. ``allow_zero = true`` (floats with ``log = true``) adds a
boolean parameter ``use_<name>``: when it is false the value is exactly ``0.0``, otherwise it is
drawn log-uniformly from ``[low, high]``. This is how "decay / L1 / L2 including 0" is searched: a
log-uniform range cannot contain 0, and a linear one would almost never try small values.
``{ choices = [...] }`` is categorical; choices may be lists of integers (hidden layer sizes).
``when = { optimizer = "sgd" }`` only samples the parameter when an earlier one has that value (or
one of a list of values); otherwise the estimator default applies.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
    "FAMILIES",
    "BudgetConfig",
    "ConfigError",
    "DatasetConfig",
    "ExperimentConfig",
    "ModelConfig",
    "ParamSpec",
    "PrunerConfig",
    "SplitConfig",
    "load_config",
    "parse_config",
]

#: Model families a file may configure, in the order they are swept.
FAMILIES = ("nnfs", "mlp")

#: Parameters owned by the sweep itself (epoch budget, seeds, callbacks); setting them per model
#: would silently disagree with the budget, so they are rejected in ``fixed`` and ``search``.
_RESERVED = {
    "nnfs": {"max_epochs", "random_state", "callbacks", "warm_start", "verbose"},
    "mlp": {"max_iter", "random_state", "warm_start", "verbose", "early_stopping"},
}


class ConfigError(ValueError):
    """An experiment file is invalid.

    Parameters
    ----------
    file : str
        The file (or ``"<string>"``) being read.
    key : str
        Dotted path of the offending key, e.g. ``models.nnfs.search.decay.low``.
    reason : str
        What is wrong.
    """

    def __init__(self, file: str, key: str, reason: str) -> None:
        self.file, self.key, self.reason = file, key, reason
        super().__init__(f"{file}: {key or '<top level>'}: {reason}")


@dataclass(frozen=True)
class DatasetConfig:
    """Which data set to load and how to preprocess it."""

    name: str
    params: dict[str, Any] = field(default_factory=dict)
    #: ``"standard"`` (z-score), ``"minmax"`` ([0, 1]) or ``"none"``; fitted on the training split.
    scale: str = "standard"


@dataclass(frozen=True)
class SplitConfig:
    """Test split and validation scheme (holdout fraction, or ``cv`` folds when set)."""

    test_size: float = 0.25
    validation: float = 0.2
    cv: int | None = None
    stratify: bool = True


@dataclass(frozen=True)
class ParamSpec:
    """One searched hyperparameter."""

    name: str
    kind: str  # "float" | "int" | "categorical"
    low: float | None = None
    high: float | None = None
    log: bool = False
    step: float | None = None
    allow_zero: bool = False
    choices: tuple[Any, ...] = ()
    when: dict[str, tuple[Any, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class ModelConfig:
    """Fixed parameters and search space of one model family."""

    family: str
    enabled: bool = True
    fixed: dict[str, Any] = field(default_factory=dict)
    search: tuple[ParamSpec, ...] = ()


@dataclass(frozen=True)
class BudgetConfig:
    """Trials per model family (and/or a timeout in seconds), epochs per trial, refit seeds."""

    n_trials: int | None = 20
    timeout: float | None = None
    max_epochs: int = 100
    refit_seeds: int = 5


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


# ----------------------------------------------------------------------------------------------
# Validation helpers. Each takes the dotted path so errors can name the key.


class _Reader:
    def __init__(self, file: str) -> None:
        self.file = file

    def fail(self, key: str, reason: str) -> ConfigError:
        return ConfigError(self.file, key, reason)

    def table(self, raw: Any, key: str, allowed: set[str]) -> dict[str, Any]:
        if not isinstance(raw, Mapping):
            raise self.fail(key, f"expected a table, got {_tname(raw)}")
        for k in raw:
            if k not in allowed:
                hint = _suggest(k, allowed)
                raise self.fail(_join(key, k), "unknown key" + hint)
        return dict(raw)

    def get(self, t: Mapping, key: str, name: str, types: tuple, default: Any) -> Any:
        if name not in t:
            return default
        v = t[name]
        path = _join(key, name)
        # bool is an int subclass in Python; `n_trials = true` must not pass as 1.
        if isinstance(v, bool) and bool not in types:
            raise self.fail(path, f"expected {_tnames(types)}, got bool")
        if not isinstance(v, types):
            raise self.fail(path, f"expected {_tnames(types)}, got {_tname(v)}")
        if isinstance(v, float) and not math.isfinite(v):
            raise self.fail(path, "must be finite")
        return float(v) if float in types and int in types and not isinstance(v, bool) else v

    def positive(self, v: Any, key: str, *, allow_none: bool = True, strict: bool = True) -> None:
        if v is None and allow_none:
            return
        if (strict and v <= 0) or v < 0:
            raise self.fail(key, f"must be {'> 0' if strict else '>= 0'}, got {v!r}")

    def choice(self, v: str, key: str, options: tuple[str, ...]) -> None:
        if v not in options:
            raise self.fail(key, f"must be one of {list(options)}, got {v!r}")


def _join(a: str, b: str) -> str:
    return f"{a}.{b}" if a else b


def _tname(v: Any) -> str:
    return {dict: "table", list: "array", str: "string"}.get(type(v), type(v).__name__)


def _tnames(types: tuple) -> str:
    names = {bool: "bool", int: "int", float: "float", str: "string", list: "array", dict: "table"}
    return " or ".join(names.get(t, t.__name__) for t in types)


def _suggest(key: str, allowed: set[str]) -> str:
    import difflib

    close = difflib.get_close_matches(key, sorted(allowed), n=1)
    return f" (did you mean {close[0]!r}?)" if close else f" (allowed: {sorted(allowed)})"


def _estimator_params(family: str) -> set[str] | None:
    """Constructor parameter names of a family's estimator, or None when it cannot be imported."""
    try:
        if family == "mlp":
            from sklearn.neural_network import MLPClassifier as cls
        else:
            from nnfs_lab.estimators import NNFSClassifier as cls
    except ImportError:  # the estimator is optional at config time (e.g. docs builds)
        return None
    return set(cls().get_params(deep=False))


def _check_dataset(r: _Reader, dataset: DatasetConfig) -> None:
    """Reject unknown data set names and parameters before anything is loaded."""
    try:
        from nnfs_lab import datasets
    except ImportError:  # pragma: no cover - registry missing: the loader will complain later
        return
    names = datasets.list_datasets()
    if dataset.name not in names:
        raise r.fail("dataset.name", f"unknown data set {dataset.name!r}; available: {names}")
    accepted = set(datasets.dataset_params(dataset.name)) - {"random_state"}
    for k in dataset.params:
        if k == "random_state":
            raise r.fail("dataset.params.random_state", "is set by the top-level 'seed'")
        if k not in accepted:
            raise r.fail(f"dataset.params.{k}", "unknown parameter" + _suggest(k, accepted))


# ----------------------------------------------------------------------------------------------


def _parse_param(r: _Reader, raw: Any, key: str, name: str) -> ParamSpec:
    t = r.table(raw, key, {"type", "low", "high", "log", "step", "allow_zero", "choices", "when"})
    kind = r.get(t, key, "type", (str,), None)
    if kind is not None:
        r.choice(kind, _join(key, "type"), ("float", "int", "categorical"))
    when_raw = r.get(t, key, "when", (dict,), {})
    when: dict[str, tuple[Any, ...]] = {}
    for k, v in when_raw.items():
        vals = tuple(v) if isinstance(v, list) else (v,)
        if not vals or not all(isinstance(x, (str, int, float, bool)) for x in vals):
            raise r.fail(_join(_join(key, "when"), k), "expected a scalar or an array of scalars")
        when[k] = vals

    if "choices" in t or kind == "categorical":
        extra = set(t) - {"type", "choices", "when"}
        if extra:
            raise r.fail(_join(key, sorted(extra)[0]), "not allowed with 'choices'")
        choices = r.get(t, key, "choices", (list,), None)
        if not choices:
            raise r.fail(_join(key, "choices"), "expected a non-empty array")
        out = []
        for i, c in enumerate(choices):
            ckey = f"{_join(key, 'choices')}[{i}]"
            if isinstance(c, list):
                if not c or not all(isinstance(x, int) and not isinstance(x, bool) for x in c):
                    raise r.fail(ckey, "array choices must be non-empty arrays of integers")
                out.append(tuple(c))
            elif isinstance(c, (str, int, float, bool)):
                out.append(c)
            else:
                raise r.fail(ckey, f"unsupported choice type {_tname(c)}")
        return ParamSpec(name=name, kind="categorical", choices=tuple(out), when=when)

    for req in ("low", "high"):
        if req not in t:
            raise r.fail(_join(key, req), "missing (a range needs 'low' and 'high', or 'choices')")
    low = r.get(t, key, "low", (int, float), None)
    high = r.get(t, key, "high", (int, float), None)
    log = r.get(t, key, "log", (bool,), False)
    step = r.get(t, key, "step", (int, float), None)
    allow_zero = r.get(t, key, "allow_zero", (bool,), False)
    is_int = (
        isinstance(t["low"], int) and isinstance(t["high"], int) and not isinstance(step, float)
    )
    if kind is None:
        kind = "int" if is_int and not allow_zero else "float"
    if kind == "int" and not is_int:
        raise r.fail(_join(key, "low"), "type = 'int' needs integer 'low' and 'high'")
    if low > high:
        raise r.fail(_join(key, "high"), f"must be >= low ({low!r}), got {high!r}")
    if log and low <= 0:
        raise r.fail(_join(key, "low"), f"must be > 0 with log = true, got {low!r}")
    if log and step is not None:
        raise r.fail(_join(key, "step"), "cannot be combined with log = true")
    if allow_zero and not (kind == "float" and log):
        raise r.fail(_join(key, "allow_zero"), "only for float ranges with log = true")
    if step is not None:
        r.positive(step, _join(key, "step"))
    return ParamSpec(
        name=name,
        kind=kind,
        low=int(low) if kind == "int" else float(low),
        high=int(high) if kind == "int" else float(high),
        log=log,
        step=step,
        allow_zero=allow_zero,
        when=when,
    )


def _parse_model(r: _Reader, raw: Any, key: str, family: str) -> ModelConfig:
    t = r.table(raw, key, {"enabled", "fixed", "search"})
    enabled = r.get(t, key, "enabled", (bool,), True)
    fixed = r.get(t, key, "fixed", (dict,), {})
    search_raw = r.get(t, key, "search", (dict,), {})
    known = _estimator_params(family)
    reserved = _RESERVED[family]
    fixed_out: dict[str, Any] = {}
    for k, v in fixed.items():
        path = _join(_join(key, "fixed"), k)
        if k in reserved:
            raise r.fail(path, "is set by the sweep (use [budget] / seed instead)")
        if known is not None and k not in known:
            raise r.fail(path, "unknown parameter of the estimator" + _suggest(k, known))
        if isinstance(v, list):  # e.g. hidden_layer_sizes = [64, 64]
            v = tuple(v)
        fixed_out[k] = v
    search: list[ParamSpec] = []
    names_so_far: set[str] = set()
    for k, v in search_raw.items():
        path = _join(_join(key, "search"), k)
        if k in reserved:
            raise r.fail(path, "is set by the sweep (use [budget] / seed instead)")
        if known is not None and k not in known:
            raise r.fail(path, "unknown parameter of the estimator" + _suggest(k, known))
        if k in fixed_out:
            raise r.fail(path, "is both fixed and searched")
        spec = _parse_param(r, v, path, k)
        for dep in spec.when:
            if dep not in names_so_far:
                raise r.fail(_join(_join(path, "when"), dep), "must name an earlier searched key")
        names_so_far.add(k)
        search.append(spec)
    return ModelConfig(family=family, enabled=enabled, fixed=fixed_out, search=tuple(search))


def parse_config(text: str, file: str = "<string>") -> ExperimentConfig:
    """Parse and validate the text of an experiment file.

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
    r = _Reader(file)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise r.fail("", f"invalid TOML: {exc}") from None
    top = r.table(
        raw,
        "",
        {
            "name",
            "description",
            "seed",
            "objective",
            "trial_plots",
            "dataset",
            "split",
            "budget",
            "pruner",
            "models",
        },
    )
    name = r.get(top, "", "name", (str,), Path(file).stem)
    if not name or any(c in name for c in "/\\'\""):
        raise r.fail("name", f"must be a non-empty name without slashes or quotes, got {name!r}")
    seed = r.get(top, "", "seed", (int,), 0)
    objective = r.get(top, "", "objective", (str,), "accuracy")
    r.choice(objective, "objective", ("accuracy", "log_loss"))

    if "dataset" not in top:
        raise r.fail("dataset", "missing (every experiment names a data set)")
    d = r.table(top["dataset"], "dataset", {"name", "params", "scale"})
    if "name" not in d:
        raise r.fail("dataset.name", "missing")
    scale = r.get(d, "dataset", "scale", (str,), "standard")
    r.choice(scale, "dataset.scale", ("standard", "minmax", "none"))
    dataset = DatasetConfig(
        name=r.get(d, "dataset", "name", (str,), None),
        params=dict(r.get(d, "dataset", "params", (dict,), {})),
        scale=scale,
    )
    _check_dataset(r, dataset)

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

    b = r.table(
        top.get("budget", {}), "budget", {"n_trials", "timeout", "max_epochs", "refit_seeds"}
    )
    budget = BudgetConfig(
        n_trials=r.get(b, "budget", "n_trials", (int,), 20),
        timeout=r.get(b, "budget", "timeout", (int, float), None),
        max_epochs=r.get(b, "budget", "max_epochs", (int,), 100),
        refit_seeds=r.get(b, "budget", "refit_seeds", (int,), 5),
    )
    for k in ("n_trials", "timeout", "max_epochs", "refit_seeds"):
        r.positive(getattr(budget, k), f"budget.{k}")

    p = r.table(
        top.get("pruner", {}),
        "pruner",
        {
            "kind",
            "n_startup_trials",
            "n_warmup_steps",
            "interval_steps",
            "reduction_factor",
            "min_resource",
        },
    )
    pruner = PrunerConfig(
        kind=r.get(p, "pruner", "kind", (str,), "median"),
        n_startup_trials=r.get(p, "pruner", "n_startup_trials", (int,), 5),
        n_warmup_steps=r.get(p, "pruner", "n_warmup_steps", (int,), 10),
        interval_steps=r.get(p, "pruner", "interval_steps", (int,), 1),
        reduction_factor=r.get(p, "pruner", "reduction_factor", (int,), 3),
        min_resource=r.get(p, "pruner", "min_resource", (int,), 5),
    )
    r.choice(pruner.kind, "pruner.kind", ("median", "successive_halving", "hyperband", "none"))
    for k in ("n_startup_trials", "n_warmup_steps"):
        r.positive(getattr(pruner, k), f"pruner.{k}", strict=False)
    for k in ("interval_steps", "min_resource"):
        r.positive(getattr(pruner, k), f"pruner.{k}")
    if pruner.reduction_factor < 2:
        raise r.fail("pruner.reduction_factor", f"must be >= 2, got {pruner.reduction_factor}")

    m = r.table(top.get("models", {}), "models", set(FAMILIES))
    models = tuple(_parse_model(r, m[f], f"models.{f}", f) for f in FAMILIES if f in m)
    if not any(mc.enabled for mc in models):
        raise r.fail("models", f"no enabled model family (configure one of {list(FAMILIES)})")

    return ExperimentConfig(
        name=name,
        path=file,
        description=r.get(top, "", "description", (str,), ""),
        seed=seed,
        objective=objective,
        trial_plots=r.get(top, "", "trial_plots", (bool,), True),
        dataset=dataset,
        split=split,
        budget=budget,
        pruner=pruner,
        models=models,
        source=text,
    )


def load_config(path: str | Path) -> ExperimentConfig:
    """Read and validate an experiment file.

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
