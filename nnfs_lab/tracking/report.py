"""The comparison of model families, rebuilt from the MLflow tracking store alone.

Each family's parent run holds, after a sweep, its best configuration refit over several seeds and
scored on the held-out test set (metrics ``test_accuracy``, ``test_log_loss`` and
``fit_seconds_per_epoch`` with step = seed index), its sweep wall time (``sweep_wall_seconds``,
one value per sweep session) and, through its child runs' ``nnfs_lab.state`` tags, how many trials
finished, were pruned or failed. This module turns that into one table per experiment plus paired
tests across seeds, and logs it as the experiment's ``comparison`` run (CSV, HTML and a figure).
"""

from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from nnfs_lab.tracking.runs import (
    TAG_FAMILY,
    TAG_ROLE,
    TAG_STUDY,
    ensure_role_run,
    log_batch_chunked,
    metric_values,
    search_all_runs,
    trial_state_counts,
)
from nnfs_lab.tracking.stats import paired_tests
from nnfs_lab.tracking.store import (
    NotFoundError,
    check_tracking_uri,
    get_client,
    mask_url,
    resolve_tracking_uri,
)

if TYPE_CHECKING:
    import pandas as pd
    from mlflow import MlflowClient

__all__ = ["Comparison", "build_report", "compare_experiment", "format_comparison"]

_SEED_METRICS = ("test_accuracy", "test_log_loss", "fit_seconds_per_epoch")


@dataclass
class Comparison:
    """One experiment's comparison.

    Attributes
    ----------
    experiment : str
    table : DataFrame
        One row per model family.
    seeds : DataFrame
        Long format: family, seed index, test metrics.
    tests : list of dict
        Paired tests between each pair of families, per metric.
    run_id : str or None
        The logged ``comparison`` run.
    """

    experiment: str
    table: pd.DataFrame
    seeds: pd.DataFrame
    tests: list[dict[str, Any]] = field(default_factory=list)
    run_id: str | None = None


def _collect(client: MlflowClient, experiment_id: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    import pandas as pd

    parents = search_all_runs(client, experiment_id, f"tags.`{TAG_ROLE}` = 'parent'")
    rows, seed_rows = [], []
    for run in sorted(parents, key=lambda r: r.info.start_time or 0):
        rid, tags = run.info.run_id, run.data.tags
        family = tags.get(TAG_FAMILY, "?")
        study = tags.get(TAG_STUDY, run.info.run_name)
        per_seed = {k: metric_values(client, rid, k) for k in _SEED_METRICS}
        for i in per_seed["test_accuracy"]:
            seed_rows.append(
                {
                    "family": family,
                    "seed_index": i,
                    **{k: per_seed[k].get(i, math.nan) for k in _SEED_METRICS},
                }
            )
        counts = trial_state_counts(client, experiment_id, study)
        wall = sum(m.value for m in client.get_metric_history(rid, "sweep_wall_seconds"))
        acc = np.array(list(per_seed["test_accuracy"].values()), dtype=float)
        ll = np.array(list(per_seed["test_log_loss"].values()), dtype=float)
        spe = np.array(list(per_seed["fit_seconds_per_epoch"].values()), dtype=float)
        rows.append(
            {
                "family": family,
                "study": study,
                "best_val": run.data.metrics.get("best_value", math.nan),
                "test_acc_mean": _mean(acc),
                "test_acc_std": _std(acc),
                "test_logloss_mean": _mean(ll),
                "test_logloss_std": _std(ll),
                "ms_per_epoch": _mean(spe) * 1000,
                "sweep_wall_s": wall,
                "trials": sum(counts.values()),
                "complete": counts.get("COMPLETE", 0),
                "pruned": counts.get("PRUNED", 0),
                "failed": counts.get("FAIL", 0),
                "lost": counts.get("LOST", 0),
                "running": counts.get("RUNNING", 0),
                "seeds": len(acc),
                "best_params": ", ".join(
                    f"{k[5:]}={_short(v)}" for k, v in sorted(tags.items()) if k.startswith("best.")
                ),
                "parent_run_id": rid,
            }
        )
    return pd.DataFrame(rows), pd.DataFrame(
        seed_rows, columns=["family", "seed_index", *_SEED_METRICS]
    )


def _short(v: str) -> str:
    try:
        return f"{float(v):.3g}"
    except ValueError:
        return v


def _mean(a: np.ndarray) -> float:
    return float(a.mean()) if a.size else math.nan


def _std(a: np.ndarray) -> float:
    # Sample standard deviation: the seeds are a sample of the training randomness.
    return float(a.std(ddof=1)) if a.size > 1 else math.nan


def compare_experiment(client: MlflowClient, experiment_id: str, *, log: bool = True) -> Comparison:
    """Build the comparison of one experiment from its runs; optionally log it as a run.

    The ``comparison`` run is found again by its tag and updated, so rebuilding it (``nnfs-lab
    report``) does not pile up runs.
    """
    exp = client.get_experiment(experiment_id)
    table, seeds = _collect(client, experiment_id)
    comp = Comparison(exp.name, table, seeds, paired_tests(seeds) if len(seeds) else [])
    if log and len(table):
        comp.run_id = _log(client, experiment_id, comp)
    return comp


def _log(client: MlflowClient, experiment_id: str, comp: Comparison) -> str:
    import matplotlib.pyplot as plt
    import pandas as pd

    run_id, _ = ensure_role_run(
        client,
        experiment_id,
        role="comparison",
        run_name="comparison",
        tags={"mlflow.note.content": "Best configuration of each model family, refit over "
              "seeds and scored on the held-out test set; paired tests across seeds."},
        match={},
    )  # fmt: skip
    metrics = []
    for _, r in comp.table.iterrows():
        for k in ("test_acc_mean", "test_acc_std", "test_logloss_mean", "ms_per_epoch",
                  "sweep_wall_s", "best_val"):  # fmt: skip
            if math.isfinite(r[k]):
                metrics.append((f"{r['family']}.{k}", float(r[k]), 0))
    for t in comp.tests:
        for k in ("t_pvalue", "wilcoxon_pvalue", "mean_diff"):
            if math.isfinite(t[k]):
                metrics.append((f"{t['a']}_vs_{t['b']}.{t['metric']}.{k}", float(t[k]), 0))
    log_batch_chunked(client, run_id, metrics=metrics)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        comp.table.to_csv(tmp / "comparison.csv", index=False)
        comp.seeds.to_csv(tmp / "seed_scores.csv", index=False)
        tests = pd.DataFrame(comp.tests)
        tests.to_csv(tmp / "paired_tests.csv", index=False)
        html = (
            f"<h2>{comp.experiment}: comparison</h2>"
            + comp.table.to_html(index=False, float_format=lambda v: f"{v:.4g}")
            + "<h3>Paired tests across seeds</h3>"
            + tests.to_html(index=False, float_format=lambda v: f"{v:.4g}")
            + "<h3>Per-seed test scores</h3>"
            + comp.seeds.to_html(index=False, float_format=lambda v: f"{v:.4g}")
        )
        (tmp / "comparison.html").write_text(html, encoding="utf-8")
        fig = _figure(comp)
        fig.savefig(tmp / "comparison.png", dpi=90)
        plt.close(fig)
        for name in ("comparison.csv", "comparison.html", "seed_scores.csv", "paired_tests.csv",
                     "comparison.png"):  # fmt: skip
            client.log_artifact(run_id, str(tmp / name))
    client.set_terminated(run_id, status="FINISHED")
    return run_id


def _figure(comp: Comparison):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(12, 3.8))
    families = list(comp.table["family"])
    for ax, metric, title in zip(
        axes[:2], ("test_accuracy", "test_log_loss"), ("test accuracy", "test log loss")
    ):
        data = [comp.seeds.loc[comp.seeds.family == f, metric].dropna() for f in families]
        ax.boxplot(data, tick_labels=families)
        for i, d in enumerate(data, start=1):  # the seeds themselves, not only their summary
            ax.scatter(np.full(len(d), i), d, s=12, alpha=0.7, zorder=3)
        ax.set_title(f"{title} over seeds")
    axes[2].bar(families, comp.table["ms_per_epoch"], color="tab:gray")
    axes[2].set_title("fit time per epoch (ms)")
    fig.suptitle(comp.experiment)
    fig.tight_layout()
    return fig


def format_comparison(comp: Comparison) -> str:
    """A plain-text rendering of a comparison for the terminal."""
    if comp.table.empty:
        return f"{comp.experiment}: no finished sweeps to compare"
    t = comp.table
    lines = [f"== {comp.experiment}: best of each family, refit over seeds, held-out test set =="]
    view = t.assign(
        **{
            "test acc": [f"{m:.4f} ± {s:.4f}" for m, s in zip(t.test_acc_mean, t.test_acc_std)],
            "test log loss": [
                f"{m:.4f} ± {s:.4f}" for m, s in zip(t.test_logloss_mean, t.test_logloss_std)
            ],
            "best val": t.best_val.map(lambda v: f"{v:.4f}"),
            "ms/epoch": t.ms_per_epoch.map(lambda v: f"{v:.2f}"),
            "sweep s": t.sweep_wall_s.map(lambda v: f"{v:.1f}"),
            "trials c/p/f": [
                f"{c}/{p}/{f}" + (f" +{n} lost" if n else "")
                for c, p, f, n in zip(t.complete, t.pruned, t.failed, t.lost)
            ],
        }
    )[["family", "best val", "test acc", "test log loss", "ms/epoch", "sweep s", "trials c/p/f",
       "seeds"]]  # fmt: skip
    lines.append(view.to_string(index=False))
    for fam, params in zip(t.family, t.best_params):
        lines.append(f"  best {fam}: {params}")
    for r in comp.tests:
        lines.append(
            f"paired over {r['n']} seeds, {r['metric']}: {r['a']} - {r['b']} = "
            f"{r['mean_diff']:+.4f}; t-test p={_p(r['t_pvalue'])}, "
            f"Wilcoxon p={_p(r['wilcoxon_pvalue'])}"
        )
    if comp.run_id:
        lines.append(f"logged as run {comp.run_id} ('comparison' in experiment {comp.experiment})")
    return "\n".join(lines)


def _p(v: float) -> str:
    return "n/a" if not math.isfinite(v) else f"{v:.3g}"


def build_report(
    tracking_uri: str | None = None, experiment: str | None = None, *, log: bool = True
) -> list[Comparison]:
    """Rebuild the comparison of one experiment (or of every experiment with sweeps).

    Parameters
    ----------
    tracking_uri : str, optional
        Default ``$MLFLOW_TRACKING_URI`` or ``sqlite:///mlflow.db``.
    experiment : str, optional
        Experiment name; default all experiments that have parent runs.
    log : bool
        Update each experiment's ``comparison`` run.

    Returns
    -------
    list of Comparison
    """
    uri = resolve_tracking_uri(tracking_uri)
    check_tracking_uri(uri)
    client = get_client(uri)
    if experiment is not None:
        exp = client.get_experiment_by_name(experiment)
        if exp is None:
            raise NotFoundError(f"no experiment named {experiment!r} in {mask_url(uri)}")
        exps = [exp]
    else:
        exps = client.search_experiments()
    out = []
    for exp in exps:
        comp = compare_experiment(client, exp.experiment_id, log=log)
        if not comp.table.empty or experiment is not None:
            out.append(comp)
    return out
