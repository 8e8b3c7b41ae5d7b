"""The search space: the one home of a searched hyperparameter's parsing, sampling, decoding and
description.

A searched parameter is a :class:`ParamSpec` read from ``[models.<family>.search]``:

- ``{ low, high }`` with two integers is an integer range, with floats a float range;
  ``log = true`` samples log-uniformly, ``step`` quantizes;
- ``allow_zero = true`` (float ranges with ``log = true``) adds a boolean Optuna parameter
  ``use_<name>``: when it is false the value is exactly ``0.0``, otherwise it is drawn
  log-uniformly from ``[low, high]``. This is how "decay / L1 / L2 including 0" is searched: a
  log-uniform range cannot contain 0, and a linear one would almost never try small values;
- ``{ choices = [...] }`` is categorical; choices may be lists of integers (hidden layer sizes),
  which travel through Optuna as strings such as ``"64x32"``;
- ``when = { optimizer = "sgd" }`` samples the parameter only when an earlier one has that value
  (or one of a list of values); otherwise the estimator default applies.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from nnfs_lab.sweeps._reader import Reader, join_key, type_name

if TYPE_CHECKING:
    import optuna

__all__ = [
    "ParamSpec",
    "decode_params",
    "describe_space",
    "encode_choice",
    "parse_param",
    "suggest_params",
    "use_flag",
]

_RANGE_KEYS = {"type", "low", "high", "log", "step", "allow_zero", "choices", "when"}


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


def use_flag(name: str) -> str:
    """Name of the boolean Optuna parameter that switches an ``allow_zero`` parameter on."""
    return f"use_{name}"


def encode_choice(choice: Any) -> Any:
    """A categorical choice as Optuna stores it (scalars only: ``(64, 32)`` -> ``"64x32"``)."""
    return "x".join(map(str, choice)) if isinstance(choice, tuple) else choice


def _decode_choice(value: Any, spec: ParamSpec) -> Any:
    for c in spec.choices:
        if encode_choice(c) == value:
            return c
    return value


# -------------------------------------------------------------------------------------- parse


def _parse_when(r: Reader, t: dict, key: str) -> dict[str, tuple[Any, ...]]:
    when: dict[str, tuple[Any, ...]] = {}
    for k, v in r.get(t, key, "when", (dict,), {}).items():
        vals = tuple(v) if isinstance(v, list) else (v,)
        if not vals or not all(isinstance(x, (str, int, float, bool)) for x in vals):
            raise r.fail(
                join_key(join_key(key, "when"), k), "expected a scalar or an array of scalars"
            )
        when[k] = vals
    return when


def _parse_choices(r: Reader, t: dict, key: str, name: str, when: dict) -> ParamSpec:
    extra = set(t) - {"type", "choices", "when"}
    if extra:
        raise r.fail(join_key(key, sorted(extra)[0]), "not allowed with 'choices'")
    choices = r.get(t, key, "choices", (list,), None)
    if not choices:
        raise r.fail(join_key(key, "choices"), "expected a non-empty array")
    out = []
    for i, c in enumerate(choices):
        ckey = f"{join_key(key, 'choices')}[{i}]"
        if isinstance(c, list):
            if not c or not all(isinstance(x, int) and not isinstance(x, bool) for x in c):
                raise r.fail(ckey, "array choices must be non-empty arrays of integers")
            out.append(tuple(c))
        elif isinstance(c, (str, int, float, bool)):
            out.append(c)
        else:
            raise r.fail(ckey, f"unsupported choice type {type_name(c)}")
    return ParamSpec(name=name, kind="categorical", choices=tuple(out), when=when)


def _parse_range(r: Reader, t: dict, key: str, name: str, kind: str | None, when: dict):
    for req in ("low", "high"):
        if req not in t:
            raise r.fail(
                join_key(key, req), "missing (a range needs 'low' and 'high', or 'choices')"
            )
    low = r.get(t, key, "low", (int, float), None)
    high = r.get(t, key, "high", (int, float), None)
    log = r.get(t, key, "log", (bool,), False)
    step = r.get(t, key, "step", (int, float), None)
    allow_zero = r.get(t, key, "allow_zero", (bool,), False)
    is_int = (
        isinstance(t["low"], int) and isinstance(t["high"], int) and not isinstance(step, float)
    )
    kind = kind or ("int" if is_int and not allow_zero else "float")
    if kind == "int" and not is_int:
        raise r.fail(join_key(key, "low"), "type = 'int' needs integer 'low' and 'high'")
    if low > high:
        raise r.fail(join_key(key, "high"), f"must be >= low ({low!r}), got {high!r}")
    if log and low <= 0:
        raise r.fail(join_key(key, "low"), f"must be > 0 with log = true, got {low!r}")
    if log and step is not None:
        raise r.fail(join_key(key, "step"), "cannot be combined with log = true")
    if allow_zero and not (kind == "float" and log):
        raise r.fail(join_key(key, "allow_zero"), "only for float ranges with log = true")
    if step is not None:
        r.positive(step, join_key(key, "step"))
    cast = int if kind == "int" else float
    return ParamSpec(name=name, kind=kind, low=cast(low), high=cast(high), log=log, step=step,
                     allow_zero=allow_zero, when=when)  # fmt: skip


def parse_param(r: Reader, raw: Any, key: str, name: str) -> ParamSpec:
    """Read one ``[models.<family>.search]`` entry; ``key`` is its dotted path for errors."""
    t = r.table(raw, key, _RANGE_KEYS)
    kind = r.get(t, key, "type", (str,), None)
    if kind is not None:
        r.choice(kind, join_key(key, "type"), ("float", "int", "categorical"))
    when = _parse_when(r, t, key)
    if "choices" in t or kind == "categorical":
        return _parse_choices(r, t, key, name, when)
    return _parse_range(r, t, key, name, kind, when)


# ------------------------------------------------------------------------------------- sample

_MISSING = object()


def _sample(trial: optuna.Trial, spec: ParamSpec) -> Any:
    if spec.kind == "categorical":
        return trial.suggest_categorical(spec.name, [encode_choice(c) for c in spec.choices])
    if spec.kind == "int":
        return trial.suggest_int(spec.name, spec.low, spec.high, step=int(spec.step or 1),
                                 log=spec.log)  # fmt: skip
    if spec.allow_zero:
        trial.suggest_categorical(use_flag(spec.name), [True, False])
    return trial.suggest_float(spec.name, spec.low, spec.high, log=spec.log, step=spec.step)


def suggest_params(trial: optuna.Trial, specs: Sequence[ParamSpec]) -> dict[str, Any]:
    """Sample one configuration; returns estimator parameters (decoded, zeros filled in).

    Every parameter is sampled in every trial, also an ``allow_zero`` value whose ``use_``
    flag is off and a ``when`` parameter whose condition fails (the estimator then gets 0.0,
    or its default): Optuna's importance evaluators skip parameters missing from some trials,
    and decay, L1 or L2 would otherwise never get an importance.
    """
    for spec in specs:
        _sample(trial, spec)
    return decode_params(specs, trial.params)


def decode_params(specs: Sequence[ParamSpec], params: dict[str, Any]) -> dict[str, Any]:
    """Estimator parameters of a trial from its Optuna ``params``."""
    out: dict[str, Any] = {}
    for spec in specs:
        if any(out.get(k, _MISSING) not in vals for k, vals in spec.when.items()):
            continue  # the condition fails: the estimator's default applies
        if spec.allow_zero and params.get(use_flag(spec.name)) is False:
            out[spec.name] = 0.0
        elif spec.name in params:
            v = params[spec.name]
            out[spec.name] = _decode_choice(v, spec) if spec.kind == "categorical" else v
    return out


def describe_space(specs: Sequence[ParamSpec]) -> dict[str, str]:
    """One line per searched parameter, e.g. ``{"space.decay": "float[1e-06, 0.01] log +0"}``."""
    out: dict[str, str] = {}
    for s in specs:
        if s.kind == "categorical":
            desc = f"choice{[encode_choice(c) for c in s.choices]}"
        else:
            desc = f"{s.kind}[{s.low}, {s.high}]" + (" log" if s.log else "")
            desc += " +0" if s.allow_zero else ""
        if s.when:
            desc += f" when {s.when}"
        out[f"space.{s.name}"] = desc
    return out
