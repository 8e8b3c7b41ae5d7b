"""Paired tests between families: each branch against a hand calculation or scipy."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from nnfs_lab.tracking.stats import paired_tests


def _seeds(a: list[float], b: list[float], ll_a=None, ll_b=None) -> pd.DataFrame:
    n = len(a)
    rows = [{"family": "nnfs", "seed_index": i, "test_accuracy": a[i],
             "test_log_loss": (ll_a or a)[i]} for i in range(n)]  # fmt: skip
    rows += [{"family": "mlp", "seed_index": i, "test_accuracy": b[i],
              "test_log_loss": (ll_b or b)[i]} for i in range(n)]  # fmt: skip
    return pd.DataFrame(rows)


def _row(out, metric="test_accuracy"):
    (row,) = [r for r in out if r["metric"] == metric]
    return row


def test_t_test_matches_a_hand_calculation():
    a, b = [0.9, 0.85, 0.88, 0.91], [0.8, 0.84, 0.83, 0.86]
    row = _row(paired_tests(_seeds(a, b)))
    d = np.subtract(a, b)
    t = d.mean() / (d.std(ddof=1) / math.sqrt(len(d)))
    p = 2 * stats.t.sf(abs(t), df=len(d) - 1)
    assert row["a"] == "nnfs" and row["b"] == "mlp" and row["n"] == 4
    assert row["mean_diff"] == pytest.approx(d.mean())
    assert row["t_stat"] == pytest.approx(t) and row["t_pvalue"] == pytest.approx(p)
    assert math.isnan(row["wilcoxon_pvalue"])  # fewer than 5 pairs: no Wilcoxon


def test_wilcoxon_from_five_pairs():
    a, b = [0.9, 0.85, 0.88, 0.91, 0.87], [0.8, 0.84, 0.83, 0.86, 0.88]
    row = _row(paired_tests(_seeds(a, b)))
    assert row["wilcoxon_pvalue"] == pytest.approx(stats.wilcoxon(a, b).pvalue)


def test_constant_nonzero_difference_is_certain():
    row = _row(paired_tests(_seeds([1.0, 0.75, 0.5], [0.5, 0.25, 0.0])))  # exact in binary
    assert row["t_pvalue"] == 0.0 and math.isnan(row["t_stat"])


def test_identical_families_give_no_test():
    row = _row(paired_tests(_seeds([0.9, 0.8, 0.7, 0.6, 0.5], [0.9, 0.8, 0.7, 0.6, 0.5])))
    assert row["mean_diff"] == 0.0
    assert math.isnan(row["t_pvalue"]) and math.isnan(row["wilcoxon_pvalue"])


def test_one_pair_is_not_enough():
    row = _row(paired_tests(_seeds([0.9], [0.8])), "test_log_loss")
    assert row["n"] == 1 and math.isnan(row["t_pvalue"])
