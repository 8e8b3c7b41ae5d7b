"""Statistics of the comparison between model families: paired folds and the accuracy/time front.

The verdict follows the project's comparison protocol (DESIGN.md): each family's best
configuration is scored over the same repeated stratified K-fold (r repetitions of k folds), so
fold ``(repeat, fold)`` of one family pairs with the same fold of the other (same rows, same
seed). Fold scores overlap in their training rows and are not independent; the plain paired
t-test then understates the variance. Nadeau & Bengio (2003) correct it:

    t = mean(d) / sqrt((1/J + n_test/n_train) * var(d)),   J - 1 degrees of freedom,

with ``d`` the J per-fold differences. Wilcoxon's signed-rank test is reported beside it as a
check, never as the verdict. scipy and pandas are imported inside the functions that use them.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "COMPARED_METRICS",
    "NOT_EVALUATED",
    "VERDICTS",
    "comparison_sentence",
    "corrected_resampled_ttest",
    "family_order",
    "paired_comparison",
    "pareto_front",
]

#: Verdicts of ``a`` relative to ``b``; the last one is for comparisons without two paired folds.
VERDICTS = ("better", "worse", "no detectable difference")
NOT_EVALUATED = "not evaluated"
#: Metrics compared between families -> whether higher is better.
COMPARED_METRICS = {"test_accuracy": True, "test_log_loss": False}
_KEYS = ("repeat", "fold")
_MIN_WILCOXON = 6  # non-zero pairs; below that the exact two-sided p cannot reach 0.05


def family_order(families: Any) -> list[str]:
    """Distinct family names, ``nnfs`` first, the others in the order given.

    Pairs are read in this order: "nnfs vs mlp", differences nnfs - mlp.
    """
    return sorted(dict.fromkeys(families), key=lambda f: f != "nnfs")


def corrected_resampled_ttest(
    diffs: Any,
    *,
    n_train: float,
    n_test: float,
    n_folds_total: int | None = None,
    alpha: float = 0.05,
) -> dict[str, float]:
    """Nadeau & Bengio's corrected resampled t-test on paired per-fold differences.

    Parameters
    ----------
    diffs : array-like of float
        Per-fold differences ``d_j = score_a - score_b``.
    n_train, n_test : float
        Rows used to train and to score in one fold (their means when folds differ by a row).
    n_folds_total : int, optional
        J, the number of paired folds (r * k); default ``len(diffs)``.
    alpha : float
        The interval is ``1 - alpha``.

    Returns
    -------
    dict
        ``mean``, ``se`` (corrected standard error), ``t_stat``, ``df``, ``p_value`` (two-sided),
        ``ci_low``, ``ci_high``. With fewer than two differences everything but ``mean`` is NaN.
        With zero variance t is undefined: p = 1 when the mean is 0 (identical models), p = 0 for
        a constant nonzero difference (t = +-inf); the interval then has zero width.
    """
    from scipy import stats

    d = np.asarray(diffs, dtype=float)
    j = int(n_folds_total if n_folds_total is not None else d.size)
    mean = float(d.mean()) if d.size else math.nan
    out = {"mean": mean, "se": math.nan, "t_stat": math.nan, "df": math.nan,
           "p_value": math.nan, "ci_low": math.nan, "ci_high": math.nan}  # fmt: skip
    if d.size < 2 or j < 2:
        return out
    var = float(d.var(ddof=1))
    se = math.sqrt((1.0 / j + n_test / n_train) * var)
    out.update(se=se, df=float(j - 1))
    if se == 0.0:
        out.update(ci_low=mean, ci_high=mean)
        if mean == 0.0:
            out.update(p_value=1.0)
        else:
            out.update(t_stat=math.copysign(math.inf, mean), p_value=0.0)
        return out
    t = mean / se
    half = float(stats.t.ppf(1 - alpha / 2, j - 1)) * se
    out.update(t_stat=t, p_value=float(2 * stats.t.sf(abs(t), j - 1)),
               ci_low=mean - half, ci_high=mean + half)  # fmt: skip
    return out


def paired_comparison(
    scores_a: pd.DataFrame,
    scores_b: pd.DataFrame,
    *,
    metric: str,
    higher_is_better: bool,
    alpha: float = 0.05,
) -> dict[str, Any]:
    """Compare two families' per-fold scores, fold by fold (``outer_scores.csv`` rows).

    Parameters
    ----------
    scores_a, scores_b : DataFrame
        One family each, columns ``family``, ``repeat``, ``fold``, ``status``, ``n_train``,
        ``n_test`` and ``metric``. Rows pair on ``(repeat, fold)``; a pair where either side is
        not ``COMPLETE`` (or has no score) is dropped and counted in ``n_failed``.
    metric : str
        Column compared, e.g. ``"test_accuracy"``.
    higher_is_better : bool
        False for losses.
    alpha : float
        Significance level of the verdict; the interval is ``1 - alpha``.

    Returns
    -------
    dict
        ``a``, ``b``, ``metric``, ``n_pairs``, ``n_failed``, ``mean_a``, ``mean_b``,
        ``mean_diff`` (a - b), ``ci_low``, ``ci_high``, ``t_stat``, ``p_corrected``,
        ``p_wilcoxon`` (NaN below 6 non-zero pairs), ``alpha``, ``higher_is_better`` and
        ``verdict``: ``a`` is "better" / "worse" than ``b`` / "no detectable difference", or
        "not evaluated" without two paired folds.
    """
    pair = scores_a.merge(scores_b, on=list(_KEYS), suffixes=("_a", "_b"))
    ok = (
        (pair["status_a"] == "COMPLETE")
        & (pair["status_b"] == "COMPLETE")
        & np.isfinite(pair[f"{metric}_a"].astype(float))
        & np.isfinite(pair[f"{metric}_b"].astype(float))
    )
    kept = pair[ok]
    a_sc, b_sc = kept[f"{metric}_a"].to_numpy(float), kept[f"{metric}_b"].to_numpy(float)
    diffs = a_sc - b_sc
    sizes = np.concatenate([kept["n_train_a"], kept["n_train_b"]]).astype(float)
    tests = np.concatenate([kept["n_test_a"], kept["n_test_b"]]).astype(float)
    res = corrected_resampled_ttest(
        diffs,
        n_train=float(sizes.mean()) if sizes.size else math.nan,
        n_test=float(tests.mean()) if tests.size else math.nan,
        alpha=alpha,
    )
    row = {
        "a": _family(scores_a), "b": _family(scores_b), "metric": metric,
        "n_pairs": int(len(kept)), "n_failed": int((~ok).sum()),
        "mean_a": _mean(a_sc), "mean_b": _mean(b_sc), "mean_diff": res["mean"],
        "ci_low": res["ci_low"], "ci_high": res["ci_high"], "t_stat": res["t_stat"],
        "p_corrected": res["p_value"], "p_wilcoxon": _wilcoxon(diffs),
        "alpha": alpha, "higher_is_better": higher_is_better,
    }  # fmt: skip
    row["verdict"] = _verdict(row["mean_diff"], row["p_corrected"], alpha, higher_is_better)
    return row


def _family(scores: pd.DataFrame) -> str:
    names = scores["family"].dropna().unique() if "family" in scores else []
    return str(names[0]) if len(names) else "?"


def _mean(a: np.ndarray) -> float:
    return float(a.mean()) if a.size else math.nan


def _wilcoxon(diffs: np.ndarray) -> float:
    from scipy import stats

    if np.count_nonzero(diffs) < _MIN_WILCOXON:
        return math.nan
    return float(stats.wilcoxon(diffs).pvalue)


def _verdict(mean_diff: float, p: float, alpha: float, higher_is_better: bool) -> str:
    if not math.isfinite(p):
        return NOT_EVALUATED
    if p >= alpha or mean_diff == 0:
        return "no detectable difference"
    return "better" if (mean_diff > 0) == higher_is_better else "worse"


def comparison_sentence(row: dict[str, Any]) -> str:
    """A :func:`paired_comparison` result in plain words.

    Example: "nnfs is better than mlp on test accuracy: +0.021 (95% CI +0.004 to +0.038,
    corrected t-test p = 0.02, Wilcoxon p = 0.03, 15 paired folds)".
    """
    what = str(row["metric"]).replace("_", " ")
    a, b, verdict = row["a"], row["b"], row["verdict"]
    dropped = f", {row['n_failed']} dropped (FAILED)" if row.get("n_failed") else ""
    n = row["n_pairs"]
    folds = f"{n} paired fold{'' if n == 1 else 's'}{dropped}"
    if verdict == NOT_EVALUATED:
        return f"{a} vs {b} on {what}: not evaluated ({folds})"
    head = f"{a} is {verdict} than {b}" if verdict in ("better", "worse") else (
        f"{a} vs {b}: no detectable difference")  # fmt: skip
    level = round(100 * (1 - float(row.get("alpha", 0.05))))
    return (
        f"{head} on {what}: {row['mean_diff']:+.3f} ({level}% CI {row['ci_low']:+.3f} to "
        f"{row['ci_high']:+.3f}, corrected t-test p = {_p(row['p_corrected'])}, "
        f"Wilcoxon p = {_p(row['p_wilcoxon'])}, {folds})"
    )


def _p(v: float) -> str:
    return "n/a" if not math.isfinite(v) else f"{v:.2g}"


def pareto_front(points: pd.DataFrame, *, x: str = "ms_per_epoch", y: str = "val_accuracy_mean"):
    """The non-dominated rows of ``points``: no other row has lower-or-equal ``x`` and
    higher-or-equal ``y`` with one of them strict. Rows with a missing value are ignored.

    Returns
    -------
    DataFrame
        The front, sorted by ``x`` (so ``y`` increases along it); of exact duplicates one is kept.
    """
    pts = points[np.isfinite(points[x].astype(float)) & np.isfinite(points[y].astype(float))]
    pts = pts.sort_values([x, y], ascending=[True, False], kind="stable")
    keep, best = [], -math.inf
    for idx, val in zip(pts.index, pts[y].astype(float)):
        if val > best:
            keep.append(idx)
            best = val
    return pts.loc[keep]
