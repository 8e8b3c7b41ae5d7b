"""Paired statistics between model families."""

from __future__ import annotations

import itertools
import math
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["paired_tests"]


def paired_tests(seeds: pd.DataFrame) -> list[dict[str, Any]]:
    """Paired t-test (and Wilcoxon signed-rank when n >= 5) between families, seed by seed.

    Seed index ``i`` of every family is refit with the same ``random_state`` on the same data, so
    the pairs share everything but the model. With 5 seeds the exact Wilcoxon p-value cannot go
    below 0.0625 (two-sided); the t-test assumes roughly normal differences.
    """
    from scipy import stats

    out = []
    families = list(dict.fromkeys(seeds["family"]))
    for a, b in itertools.combinations(families, 2):
        for metric in ("test_accuracy", "test_log_loss"):
            wide = seeds.pivot_table(index="seed_index", columns="family", values=metric)
            pair = wide[[a, b]].dropna()
            n = len(pair)
            row: dict[str, Any] = {"a": a, "b": b, "metric": metric, "n": n}
            diff = (pair[a] - pair[b]).to_numpy()
            row["mean_diff"] = float(diff.mean()) if n else math.nan
            row["t_stat"] = row["t_pvalue"] = row["wilcoxon_pvalue"] = math.nan
            if n >= 2 and np.ptp(diff) > 0:
                t = stats.ttest_rel(pair[a], pair[b])
                row["t_stat"], row["t_pvalue"] = float(t.statistic), float(t.pvalue)
            elif n >= 2 and diff.any():  # constant nonzero difference: t is infinite
                row["t_pvalue"] = 0.0
            if n >= 5 and np.any(diff != 0):
                row["wilcoxon_pvalue"] = float(stats.wilcoxon(pair[a], pair[b]).pvalue)
            out.append(row)
    return out
