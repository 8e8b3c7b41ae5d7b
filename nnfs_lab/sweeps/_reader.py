"""Validation helpers for reading TOML tables: every error names the file and the dotted key."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

__all__ = ["ConfigError", "Reader", "join_key", "suggest", "type_name"]


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


class Reader:
    """Typed access to the tables of one file; each failure is a :class:`ConfigError`."""

    def __init__(self, file: str) -> None:
        self.file = file

    def fail(self, key: str, reason: str) -> ConfigError:
        """The error to raise for ``key``."""
        return ConfigError(self.file, key, reason)

    def table(self, raw: Any, key: str, allowed: set[str]) -> dict[str, Any]:
        """``raw`` as a dict, rejecting keys outside ``allowed`` (with a spelling hint)."""
        if not isinstance(raw, Mapping):
            raise self.fail(key, f"expected a table, got {type_name(raw)}")
        for k in raw:
            if k not in allowed:
                raise self.fail(join_key(key, k), "unknown key" + suggest(k, allowed))
        return dict(raw)

    def get(self, t: Mapping, key: str, name: str, types: tuple, default: Any) -> Any:
        """``t[name]`` checked against ``types`` (ints widen to float when both are allowed)."""
        if name not in t:
            return default
        v = t[name]
        path = join_key(key, name)
        # bool is an int subclass in Python; `n_trials = true` must not pass as 1.
        if isinstance(v, bool) and bool not in types:
            raise self.fail(path, f"expected {_type_names(types)}, got bool")
        if not isinstance(v, types):
            raise self.fail(path, f"expected {_type_names(types)}, got {type_name(v)}")
        if isinstance(v, float) and not math.isfinite(v):
            raise self.fail(path, "must be finite")
        return float(v) if float in types and int in types and not isinstance(v, bool) else v

    def positive(self, v: Any, key: str, *, allow_none: bool = True, strict: bool = True) -> None:
        """Reject ``v <= 0`` (``v < 0`` when not ``strict``)."""
        if v is None and allow_none:
            return
        if (strict and v <= 0) or v < 0:
            raise self.fail(key, f"must be {'> 0' if strict else '>= 0'}, got {v!r}")

    def choice(self, v: str, key: str, options: tuple[str, ...]) -> None:
        """Reject ``v`` outside ``options``."""
        if v not in options:
            raise self.fail(key, f"must be one of {list(options)}, got {v!r}")


def join_key(a: str, b: str) -> str:
    """``a.b``, or ``b`` at the top level."""
    return f"{a}.{b}" if a else b


def type_name(v: Any) -> str:
    """TOML's name for the type of ``v``."""
    return {dict: "table", list: "array", str: "string"}.get(type(v), type(v).__name__)


def _type_names(types: tuple) -> str:
    names = {bool: "bool", int: "int", float: "float", str: "string", list: "array", dict: "table"}
    return " or ".join(names.get(t, t.__name__) for t in types)


def suggest(key: str, allowed: set[str]) -> str:
    """A "did you mean" hint for a misspelt ``key``."""
    import difflib

    close = difflib.get_close_matches(key, sorted(allowed), n=1)
    return f" (did you mean {close[0]!r}?)" if close else f" (allowed: {sorted(allowed)})"
