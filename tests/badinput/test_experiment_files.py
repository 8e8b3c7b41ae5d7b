"""Generated mutations of the shipped experiments/*.toml: each file is read either as a valid
experiment or refused with a ConfigError naming the file and a key (never a traceback)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pytest

from nnfs_lab.sweeps import ConfigError, parse_experiment

SCALE = 5 if os.environ.get("NNFS_FULL_SUITE", "") not in ("", "0") else 1
FILES = sorted((Path(__file__).resolve().parents[2] / "experiments").glob("*.toml"))
VALUES = ["-1", "0", "1", "2", "0.5", "1.5", "-0.5", "1e308", "nan", "inf", "-inf", "true",
          '"abc"', '""', '"lbfgs"', "[]", "[0]", '["16", "32"]', "{}", "{ low = 0.9, high = 1.5 }",
          "{ choices = [] }", "1000000", "100000000000", "9223372036854775807", "-5",
          "{ low = 1, high = 0 }", '"spiral"', '"sine"', "4294967296", "[[64], [0]]"]  # fmt: skip
#: `key = value` anywhere: top-level lines and entries of inline tables.
ASSIGN = re.compile(r"(\b[A-Za-z_][A-Za-z0-9_]*\s*=\s*)([^,}\n#]+)")


def _mutate(text: str, r: np.random.Generator) -> str:
    how = int(r.integers(5))
    lines = text.splitlines()
    if how == 0:  # drop a line
        del lines[int(r.integers(len(lines)))]
        return "\n".join(lines)
    if how == 1:  # cut the file short
        return text[: int(r.integers(len(text)))]
    if how == 2:  # an unknown key in some table
        i = int(r.integers(len(lines)))
        lines.insert(i, "surprise = 1")
        return "\n".join(lines)
    matches = list(ASSIGN.finditer(text))  # 3, 4: replace a value
    m = matches[int(r.integers(len(matches)))]
    value = VALUES[int(r.integers(len(VALUES)))]
    return text[: m.start(2)] + value + text[m.end(2) :]


def _cases() -> list:
    r = np.random.default_rng(5)
    n = 60 * SCALE
    return [pytest.param(FILES[i % len(FILES)], int(r.integers(1 << 30)),
                         id=f"{FILES[i % len(FILES)].stem}-{i}") for i in range(n)]  # fmt: skip


@pytest.mark.parametrize("path, seed", _cases())
def test_mutated_experiment_files(tally, path, seed):
    text = _mutate(path.read_text(), np.random.default_rng(seed))
    try:
        cfg = parse_experiment(text, "mutated.toml")
    except ConfigError as exc:
        assert exc.file == "mutated.toml" and exc.reason, str(exc)
        assert exc.key or "TOML" in exc.reason or "missing" in exc.reason, str(exc)
        tally("experiment files", "clear error")
        return
    assert cfg.models and cfg.budget.max_epochs >= 1
    tally("experiment files", "valid result")
