"""How a comparison reads: the terminal table, the overview of every experiment, HTML, figures.

Everything here renders a :class:`~nnfs_lab.tracking.report.Comparison` that
:mod:`~nnfs_lab.tracking.report` built from the tracking store; nothing here reads the store.
Missing numbers (a family never evaluated, an older store) read "-" or "not evaluated", never
"nan". pandas and matplotlib are imported inside the functions that use them.
"""

from __future__ import annotations

import html
import itertools
import math
from typing import TYPE_CHECKING

import numpy as np

from nnfs_lab.tracking.stats import COMPARED_METRICS, NOT_EVALUATED, family_order

if TYPE_CHECKING:
    import pandas as pd

    from nnfs_lab.tracking.report import Comparison

__all__ = [
    "comparison_figure",
    "comparison_html",
    "family_view",
    "format_comparison",
    "format_overview",
    "pareto_figure",
]

_CSS = """body{font:14px system-ui,sans-serif;margin:1.5em;color:#222}
h2,h3{margin:1em 0 .4em}ul.verdicts li{margin:.3em 0}div.wrap{overflow-x:auto;margin-bottom:1em}
table{border-collapse:collapse;font-size:13px}th{background:#eef1f5;text-align:left}
th,td{padding:4px 10px;border-bottom:1px solid #dde;white-space:nowrap;vertical-align:top}
td:last-child{white-space:normal;min-width:16em}tr:nth-child(even) td{background:#fafbfc}"""


def comparison_html(comp: Comparison) -> str:
    """A self-contained, styled HTML page: the verdicts first, then every table in full.

    Cells are never cut (``to_html`` ignores ``display.max_colwidth``); missing numbers read "-".
    """
    import pandas as pd

    def table(df: pd.DataFrame | None) -> str:
        if df is None or df.empty:
            return "<p>none</p>"
        body = df.to_html(index=False, border=0, na_rep="-", float_format=lambda v: f"{v:.4g}")
        return f'<div class="wrap">{body}</div>'

    sentences = (comp.sentences() or [f"No paired comparison ({NOT_EVALUATED})."]) + comp.notes
    items = "".join(f"<li>{html.escape(s)}</li>" for s in sentences)
    name = html.escape(comp.experiment)
    return (
        f'<!doctype html><html><head><meta charset="utf-8"><style>{_CSS}</style>'
        f"<title>{name}: comparison</title></head><body><h2>{name}: comparison</h2>"
        f'<ul class="verdicts">{items}</ul>'
        f"<h3>Model families</h3>{table(family_view(comp.table))}"
        f"<h3>Paired comparisons over the outer folds</h3>{table(pd.DataFrame(comp.tests))}"
        "<h3>Validation accuracy vs ms per epoch: Pareto front of the COMPLETE trials</h3>"
        f"{table(comp.pareto)}<h3>Outer evaluation, per fold</h3>{table(comp.scores)}"
        "</body></html>"
    )


def _pm(m: float, s: float) -> str:
    if not math.isfinite(m):
        return NOT_EVALUATED
    return f"{m:.4f} ± {s:.4f}" if math.isfinite(s) else f"{m:.4f}"


def _num(v: float, fmt: str) -> str:
    return format(v, fmt) if math.isfinite(v) else "-"


def _epochs(t: pd.DataFrame, prefix: str) -> list[str]:
    med, lo, hi = (t[f"{prefix}_{k}"] for k in ("median", "min", "max"))
    return [f"{m:g} [{a:g}-{b:g}]" if math.isfinite(m) else "-" for m, a, b in zip(med, lo, hi)]


def family_view(t: pd.DataFrame) -> pd.DataFrame:
    """The family table for reading: one column per idea, values formatted as text.

    Epochs read ``median [min-max]``; trial counts ``complete/pruned/failed/lost``.
    """
    import pandas as pd

    if t.empty:
        return t
    return pd.DataFrame({
        "family": t.family, "best val": t.best_val.map(lambda v: _num(v, ".4f")),
        "test acc": [_pm(m, s) for m, s in zip(t.test_accuracy_mean, t.test_accuracy_std)],
        "test log loss": [_pm(m, s) for m, s in zip(t.test_log_loss_mean, t.test_log_loss_std)],
        "ms/epoch": t.ms_per_epoch.map(lambda v: _num(v, ".2f")),
        "eval folds ok/failed": [f"{_num(c, '.0f')}/{_num(f, '.0f')}"
                                 for c, f in zip(t.eval_complete, t.eval_failed)],
        "epochs trials": _epochs(t, "trial_epochs"), "epochs eval": _epochs(t, "eval_epochs"),
        "trials c/p/f/lost": [f"{c}/{p}/{f}/{n}" for c, p, f, n in zip(
            t.trials_complete, t.trials_pruned, t.trials_fail, t.trials_lost)],
        "sweep s": t.sweep_wall_s.map(lambda v: _num(v, ".1f")),
        "best params": t.best_params,
    })  # fmt: skip


def comparison_figure(comp: Comparison):
    """Per-fold test accuracy and log loss per family (box and points), evaluation ms/epoch bars.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(12, 3.8))
    families = list(comp.table["family"])
    sc = comp.scores
    ok = sc[sc["status"] == "COMPLETE"] if "status" in sc else sc
    for ax, metric in zip(axes[:2], COMPARED_METRICS):
        data = [ok.loc[ok.family == f, metric].dropna() if len(ok) else [] for f in families]
        ax.boxplot(data, tick_labels=families)
        for i, d in enumerate(data, start=1):  # the folds themselves, not only their summary
            ax.scatter(i + np.linspace(-0.08, 0.08, len(d)), d, s=12, alpha=0.7, zorder=3)
        ax.set_title(f"{metric.replace('_', ' ')} per outer fold")
    axes[2].bar(families, comp.table["ms_per_epoch"].fillna(0.0), color="tab:gray")
    axes[2].set_title("evaluation: fit ms per epoch")
    fig.suptitle(comp.experiment)
    fig.tight_layout()
    return fig


def pareto_figure(comp: Comparison):
    """Every family's COMPLETE trials on one axes: validation accuracy against ms per epoch.

    Each family's Pareto front is a step line; a star marks its evaluated best configuration at
    its outer-evaluation ms/epoch and mean test accuracy.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, NullFormatter

    fig, ax = plt.subplots(figsize=(9.5, 4.5))
    done = comp.trials[comp.trials.state == "COMPLETE"]
    for i, row in enumerate(comp.table.itertuples()):
        fam, color = row.family, f"C{i}"
        pts, front = done[done.family == fam], comp.pareto[comp.pareto.family == fam]
        ax.scatter(pts.ms_per_epoch, pts.val_accuracy_mean, s=14, alpha=0.3, color=color,
                   label=f"{fam} trials")  # fmt: skip
        ax.step(front.ms_per_epoch, front.val_accuracy_mean, where="post", marker="o",
                color=color, label=f"{fam} Pareto front (validation)")  # fmt: skip
        if math.isfinite(row.ms_per_epoch) and math.isfinite(row.test_accuracy_mean):
            label = f"{fam} best, outer test ({row.ms_per_epoch:.3g} ms/epoch)"
            ax.scatter([row.ms_per_epoch], [row.test_accuracy_mean], marker="*", s=180,
                       color=color, edgecolor="k", zorder=4, label=label)  # fmt: skip
    ms = done.ms_per_epoch.dropna()
    if len(ms) and ms.min() > 0 and ms.max() > 10 * ms.min():  # timings over decades
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set(xlabel="ms per epoch", ylabel="accuracy", title=f"{comp.experiment}: accuracy vs time")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    return fig


def format_comparison(comp: Comparison) -> str:
    """A plain-text rendering of one comparison for the terminal.

    The family table (with the epochs each family ran in its trials and in the evaluation,
    median and range), each family's best configuration, the verdict sentences, the Pareto
    fronts' sizes and the logged run.
    """
    if comp.table.empty:
        return f"{comp.experiment}: no finished sweeps to compare"
    view = family_view(comp.table).drop(columns="best params")
    lines = [f"== {comp.experiment}: best of each family, outer repeated K-fold ==",
             view.to_string(index=False)]  # fmt: skip
    lines += [f"  best {f}: {p}" for f, p in zip(comp.table.family, comp.table.best_params)]
    lines += comp.sentences() or [f"no paired comparison ({NOT_EVALUATED})"]
    if comp.pareto is not None and len(comp.pareto):
        sizes = comp.pareto.groupby("family", sort=False).size()
        lines.append("Pareto front (val accuracy vs ms/epoch): "
                     + ", ".join(f"{f} {n} trials" for f, n in sizes.items()))  # fmt: skip
    if comp.run_id:
        lines.append(f"logged as run {comp.run_id} ('comparison' in experiment {comp.experiment})")
    return "\n".join(lines)


def _overview_row(comp: Comparison, a: str, b: str | None) -> tuple[dict[str, str], str]:
    t = comp.table
    acc = {r.family: _pm(r.test_accuracy_mean, r.test_accuracy_std) for r in t.itertuples()}
    row = {"dataset": comp.experiment, **{f"{f} test acc": acc.get(f, NOT_EVALUATED)
                                          for f in (a, b) if f}}  # fmt: skip
    key = (a, b, "test_accuracy")
    test = next((x for x in comp.tests if (x["a"], x["b"], x["metric"]) == key), None)
    verdict = test["verdict"] if test else NOT_EVALUATED
    if b is not None:
        done = verdict != NOT_EVALUATED
        row[f"{a} - {b} (95% CI)"] = (
            f"{test['mean_diff']:+.4f} [{test['ci_low']:+.4f}, {test['ci_high']:+.4f}]"
            if done else "-")  # fmt: skip
        row["p (corrected)"] = f"{test['p_corrected']:.2g}" if done else "-"
        row["verdict"] = verdict
    return row, verdict


def format_overview(comparisons: list[Comparison]) -> str:
    """One table over every experiment: test accuracy per family, the difference, the verdict.

    One row per experiment (per pair of families when there are more than two), then one line
    per pair: ``nnfs vs mlp: W wins, T ties, L losses``, wins being "better" verdicts of the
    first family on test accuracy, ties "no detectable difference"; experiments without a
    paired comparison (one family only, no outer scores) are counted apart as not evaluated.
    """
    import pandas as pd

    families = family_order(f for c in comparisons for f in c.table.get("family", []))
    pairs = list(itertools.combinations(families, 2)) or [(f, None) for f in families[:1]]
    rows, tally = [], {p: {} for p in pairs}
    for comp, (a, b) in itertools.product(comparisons, pairs):
        row, verdict = _overview_row(comp, a, b)
        rows.append(row)
        tally[(a, b)][verdict] = tally[(a, b)].get(verdict, 0) + 1
    if not rows:
        return "no experiments to compare"
    lines = ["== every experiment: test accuracy over the outer folds ==",
             pd.DataFrame(rows).to_string(index=False)]  # fmt: skip
    for (a, b), n in tally.items():
        if b is not None:
            extra = f" ({n[NOT_EVALUATED]} not evaluated)" if n.get(NOT_EVALUATED) else ""
            lines.append(f"{a} vs {b}: {n.get('better', 0)} wins, "
                         f"{n.get('no detectable difference', 0)} ties, "
                         f"{n.get('worse', 0)} losses{extra}")  # fmt: skip
    return "\n".join(lines)
