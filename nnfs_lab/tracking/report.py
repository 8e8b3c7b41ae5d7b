"""The comparison of model families, rebuilt from the MLflow tracking store alone.

What a sweep leaves per family (one ``parent`` run each): the chosen hyperparameters as
``best.<param>`` tags; single-value headline metrics (``test_accuracy_mean``, ``_std``,
``test_log_loss_mean``, ``_std``, ``ms_per_epoch_mean``, ``best_value``, ``eval_failed``); the
history ``sweep_wall_seconds`` (one value per session); and ``outer_scores.csv``, one row per
``(repeat, fold)`` of the outer repeated stratified K-fold, which pairs with the other family's
row of the same fold. Each trial child run holds ``val_accuracy_mean``, ``val_log_loss_mean``,
``n_epochs`` and ``ms_per_epoch`` and its Optuna state in ``nnfs_lab.state``.

From that this module builds one table per experiment, the paired comparisons of
:mod:`~nnfs_lab.tracking.stats`, each family's accuracy-vs-time Pareto front, and logs it all on
the experiment's ``comparison`` run. How it reads (terminal text, the overview over every
experiment, HTML, figures) lives in :mod:`~nnfs_lab.tracking.report_views`; ``format_comparison``
and ``format_overview`` are re-exported here.
Older stores (no ``outer_scores.csv``, one family only) show what exists and say "not evaluated".
"""

from __future__ import annotations

import itertools
import math
import tempfile
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from nnfs_lab.tracking import datasets, registry, runs, store
from nnfs_lab.tracking.report_views import (
    comparison_figure,
    comparison_html,
    format_comparison,
    format_overview,
    pareto_figure,
)
from nnfs_lab.tracking.stats import (
    COMPARED_METRICS,
    comparison_sentence,
    family_order,
    paired_comparison,
    pareto_front,
)

if TYPE_CHECKING:
    import pandas as pd
    from mlflow import MlflowClient

__all__ = [
    "Comparison",
    "build_report",
    "compare_experiment",
    "format_comparison",
    "format_overview",
]

SCORES_FILE = "outer_scores.csv"
#: Columns of ``outer_scores.csv`` the comparison needs; a file without them is not used.
SCORE_COLUMNS = {"repeat", "fold", "status", "test_accuracy", "test_log_loss", "n_epochs",
                 "ms_per_epoch", "n_train", "n_test"}  # fmt: skip
#: Columns of the table logged as ``<family>.<column>`` metrics.
LOGGED_COLUMNS = ("best_val", "test_accuracy_mean", "test_accuracy_std", "test_log_loss_mean",
                  "test_log_loss_std", "ms_per_epoch", "eval_complete", "eval_failed",
                  "trial_epochs_median", "eval_epochs_median", "sweep_wall_s")  # fmt: skip
#: Per-pair statistics logged as ``<a>_vs_<b>.<metric>.<key>`` metrics.
LOGGED_TEST_KEYS = ("mean_diff", "ci_low", "ci_high", "p_corrected", "p_wilcoxon")
_TRIAL_METRICS = ("val_accuracy_mean", "val_log_loss_mean", "n_epochs", "ms_per_epoch")


@dataclass
class Comparison:
    """One experiment's comparison.

    Attributes
    ----------
    experiment : str
    table : DataFrame
        One row per model family (numbers as numbers).
    scores : DataFrame
        Every family's ``outer_scores.csv`` rows (repeat, fold, status, scores, timings).
    tests : list of dict
        :func:`~nnfs_lab.tracking.stats.paired_comparison` results, per pair and metric.
    trials : DataFrame
        One row per trial run: family, trial, state, validation scores, epochs, ms per epoch.
    pareto : DataFrame
        Each family's non-dominated COMPLETE trials (higher val accuracy, lower ms per epoch).
    run_id : str or None
        The logged ``comparison`` run.
    """

    experiment: str
    table: pd.DataFrame
    scores: pd.DataFrame
    tests: list[dict[str, Any]] = field(default_factory=list)
    trials: pd.DataFrame | None = None
    pareto: pd.DataFrame | None = None
    run_id: str | None = None
    #: Sentences about the data and the registry (identical datasets, the champion alias).
    notes: list[str] = field(default_factory=list)

    def sentences(self) -> list[str]:
        """The verdicts in plain words, one per pair of families and metric."""
        return [comparison_sentence(t) for t in self.tests]


def _outer_scores(client: MlflowClient, run_id: str, family: str) -> pd.DataFrame | None:
    import pandas as pd

    if SCORES_FILE not in {f.path for f in client.list_artifacts(run_id)}:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        df = pd.read_csv(client.download_artifacts(run_id, SCORES_FILE, tmp))
    if "family" not in df:
        df.insert(0, "family", family)
    return df if SCORE_COLUMNS <= set(df.columns) else None


def _trials(client: MlflowClient, experiment_id: str, study: str, family: str) -> list[dict]:
    rows = []
    for run in runs.search_all_runs(
        client, experiment_id, runs.tag_filter(role="trial", study=study)
    ):
        tags, m = run.data.tags, run.data.metrics
        trial = tags.get(runs.TAG_TRIAL, "")
        rows.append({"family": family, "trial": int(trial) if trial.isdigit() else -1,
                     "state": tags.get(runs.TAG_STATE, "UNKNOWN"),
                     **{k: m.get(k, math.nan) for k in _TRIAL_METRICS},
                     "run_id": run.info.run_id})  # fmt: skip
    return sorted(rows, key=lambda r: r["trial"])


def _spread(values: Any, prefix: str) -> dict[str, float]:
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if not v.size:
        return {f"{prefix}_median": math.nan, f"{prefix}_min": math.nan, f"{prefix}_max": math.nan}
    return {f"{prefix}_median": float(np.median(v)), f"{prefix}_min": float(v.min()),
            f"{prefix}_max": float(v.max())}  # fmt: skip


def _evaluation(metrics: dict[str, float], scores: pd.DataFrame | None) -> dict[str, float]:
    """Headline evaluation numbers: the parent's metrics, else computed from its fold table."""
    ok = scores[scores["status"] == "COMPLETE"] if scores is not None else None

    def pick(metric: str, column: str, how: str) -> float:
        if metric in metrics:
            return float(metrics[metric])
        if ok is None or column not in ok or ok[column].notna().sum() < (2 if how == "std" else 1):
            return math.nan
        return float(ok[column].std(ddof=1) if how == "std" else ok[column].mean())

    out = {"best_val": float(metrics.get("best_value", math.nan))}
    for name in ("test_accuracy", "test_log_loss"):
        out[f"{name}_mean"] = pick(f"{name}_mean", name, "mean")
        out[f"{name}_std"] = pick(f"{name}_std", name, "std")
    out["ms_per_epoch"] = pick("ms_per_epoch_mean", "ms_per_epoch", "mean")
    failed = metrics.get("eval_failed", math.nan)
    out["eval_complete"] = float(len(ok)) if ok is not None else math.nan
    out["eval_failed"] = float(len(scores) - len(ok)) if scores is not None else float(failed)
    out.update(_spread(ok["n_epochs"] if ok is not None else [], "eval_epochs"))
    return out


def _family_row(client: MlflowClient, experiment_id: str, run: Any, scores, trials) -> dict:
    tags, rid = run.data.tags, run.info.run_id
    study = tags.get(runs.TAG_STUDY, run.info.run_name)
    counts = runs.trial_state_counts(client, experiment_id, study)
    ran = [t["n_epochs"] for t in trials if t["state"] in ("COMPLETE", "PRUNED")]
    best = ", ".join(f"{k[5:]}={_short(v)}" for k, v in sorted(tags.items())
                     if k.startswith("best."))  # fmt: skip
    return {
        "family": tags.get(runs.TAG_FAMILY, "?"), "study": study,
        "objective": tags.get("nnfs_lab.objective", ""),
        **_evaluation(run.data.metrics, scores), **_spread(ran, "trial_epochs"),
        **{f"trials_{s.lower()}": counts.get(s, 0)
           for s in ("COMPLETE", "PRUNED", "FAIL", "LOST", "RUNNING")},
        "sweep_wall_s": sum(m.value for m in client.get_metric_history(rid, "sweep_wall_seconds")),
        "best_params": best, "parent_run_id": rid,
    }  # fmt: skip


def _short(v: str) -> str:
    try:
        return f"{float(v):.3g}"
    except ValueError:
        return v


def compare_experiment(client: MlflowClient, experiment_id: str, *, log: bool = True) -> Comparison:
    """Build the comparison of one experiment from its runs; optionally log it as a run.

    The ``comparison`` run is found again by its tag and updated, so rebuilding it (``nnfs-lab
    report``) does not pile up runs. When logged, the run also records the parents' datasets,
    and the registered model's ``@champion`` alias moves to the family the verdict favours
    (:mod:`~nnfs_lab.tracking.registry`). MLflow autologging is off meanwhile.
    """
    with store.autolog_disabled():
        return _compare(client, experiment_id, log=log)


#: Comparisons built by this process, by store, experiment and the state of its parent runs
#: (status, end, tags and metrics; a summary rewrites them with the scores file): the overview
#: after a sweep reuses the comparisons the sweep logged instead of reading every trial run
#: and scores file again (~0.5 s per experiment). Logging always rebuilds. One entry per
#: (store, experiment), the latest: a long-lived process does not accumulate stale ones.
_BUILT: dict[tuple[str, str], tuple[tuple, Comparison]] = {}


def _state(parents: list) -> tuple:
    return tuple(sorted(
        (r.info.run_id, r.info.status, r.info.end_time, tuple(sorted(r.data.tags.items())),
         tuple(sorted(r.data.metrics.items()))) for r in parents))  # fmt: skip


def _compare(client: MlflowClient, experiment_id: str, *, log: bool) -> Comparison:
    parents = runs.search_all_runs(client, experiment_id, f"tags.`{runs.TAG_ROLE}` = 'parent'")
    where, state = (client.tracking_uri, experiment_id), _state(parents)
    if not log and where in _BUILT and _BUILT[where][0] == state:
        return _BUILT[where][1]
    comp = _build(client, experiment_id, parents)
    if log and len(comp.table):
        champion = _crown(client, comp, parents)
        comp.run_id = _log(client, experiment_id, comp)
        _record_data_and_champion(client, comp.run_id, parents, champion)
    _BUILT[where] = (state, comp)
    return comp


def _build(client: MlflowClient, experiment_id: str, parents: list) -> Comparison:
    import pandas as pd

    rows, scores, trials = [], [], []
    for run in sorted(parents, key=lambda r: r.info.start_time or 0):
        fam = run.data.tags.get(runs.TAG_FAMILY, "?")
        sc = _outer_scores(client, run.info.run_id, fam)
        tr = _trials(
            client, experiment_id, run.data.tags.get(runs.TAG_STUDY, run.info.run_name), fam
        )
        rows.append(_family_row(client, experiment_id, run, sc, tr))
        scores += [sc] if sc is not None else []
        trials += tr
    table = pd.DataFrame(rows)
    if len(table):  # nnfs first: pairs read "nnfs vs mlp"
        table = table.sort_values("family", key=lambda f: f != "nnfs", kind="stable")
        table = table.reset_index(drop=True)
    comp = Comparison(client.get_experiment(experiment_id).name, table,
                      pd.concat(scores, ignore_index=True) if scores else pd.DataFrame(),
                      trials=pd.DataFrame(trials, columns=["family", "trial", "state",
                                                           *_TRIAL_METRICS, "run_id"]))  # fmt: skip
    comp.tests = _paired(comp.scores)
    comp.pareto = _fronts(comp.trials)
    comp.notes = _data_note(parents)
    return comp


def _data_note(parents: list) -> list[str]:
    """Whether every family's parent recorded the same datasets (by digest)."""
    digests = {run.data.tags.get(runs.TAG_FAMILY, "?"): datasets.dataset_digests(run)
               for run in parents}  # fmt: skip
    seen = [d for d in digests.values() if d]
    if len(seen) < 2:
        return []
    same = all(d == seen[0] for d in seen)
    parts = ", ".join(f"{k} {v[:8]}" for k, v in sorted(seen[0].items()))
    return [f"Datasets: every family saw identical data ({parts})." if same else
            f"Datasets differ between families: {digests}."]  # fmt: skip


def _crown(client: MlflowClient, comp: Comparison, parents: list) -> registry.Champion | None:
    """Move ``@champion`` of the experiment's registered model to the favoured family."""
    versions, name = {}, None
    for run in parents:
        tags = run.data.tags
        if "nnfs_lab.model_version" in tags:
            versions[tags.get(runs.TAG_FAMILY, "?")] = tags["nnfs_lab.model_version"]
            name = tags.get("nnfs_lab.registered_model", name)
    if not versions or name is None:
        return None
    speed = {r.family: float(r.ms_per_epoch) for _, r in comp.table.iterrows()
             if r.family in versions}  # fmt: skip
    champion = registry.choose_champion(comp.tests, speed)
    if champion is None or registry.set_champion(client, name, versions, champion) is None:
        return None
    comp.notes.append(f"models:/{name}@{registry.CHAMPION} = {champion.family} "
                      f"(version {versions[champion.family]}): {champion.reason}.")  # fmt: skip
    return champion


def _record_data_and_champion(client: MlflowClient, run_id: str, parents: list,
                              champion: registry.Champion | None) -> None:  # fmt: skip
    inputs, seen = [], set()
    for run in parents:
        for di in run.inputs.dataset_inputs if run.inputs else ():
            key = (di.dataset.name, di.dataset.digest)
            if key not in seen:
                seen.add(key)
                inputs.append(di)
    datasets.log_dataset_inputs(client, run_id, inputs)
    if champion is not None:
        client.set_tag(run_id, "nnfs_lab.champion", champion.family)


def _paired(scores: pd.DataFrame) -> list[dict[str, Any]]:
    if scores.empty:
        return []
    out = []
    families = family_order(list(scores["family"]))
    for a, b in itertools.combinations(families, 2):
        for metric, higher in COMPARED_METRICS.items():
            sa, sb = scores[scores.family == a], scores[scores.family == b]
            out.append(paired_comparison(sa, sb, metric=metric, higher_is_better=higher))
    return out


def _fronts(trials: pd.DataFrame) -> pd.DataFrame:
    import pandas as pd

    done = trials[trials.state == "COMPLETE"]
    parts = [pareto_front(done[done.family == f]) for f in family_order(done.family)]
    return pd.concat(parts, ignore_index=True) if parts else done.iloc[:0]


def _log(client: MlflowClient, experiment_id: str, comp: Comparison) -> str:
    import matplotlib.pyplot as plt
    import pandas as pd

    note = (
        "Best configuration of each model family scored by repeated stratified K-fold on data "
        "the tuning never saw; paired per-fold differences, corrected resampled t-test."
    )
    run_id, _ = runs.ensure_role_run(client, experiment_id, role="comparison",
                                     run_name="comparison", tags={"mlflow.note.content": note},
                                     match={})  # fmt: skip
    metrics = []
    tags = {"mlflow.note.content": "\n\n".join([note, *comp.sentences(), *comp.notes])}
    for _, r in comp.table.iterrows():
        metrics += [(f"{r.family}.{k}", float(r[k]), 0) for k in LOGGED_COLUMNS
                    if math.isfinite(r[k])]  # fmt: skip
    for t in comp.tests:
        name = f"{t['a']}_vs_{t['b']}.{t['metric']}"
        metrics += [(f"{name}.{k}", float(t[k]), 0) for k in LOGGED_TEST_KEYS
                    if math.isfinite(t[k])]  # fmt: skip
        tags[f"{name}.verdict"] = t["verdict"]
    runs.log_batch_chunked(client, run_id, metrics=metrics, tags=tags)
    tables = {"comparison.csv": comp.table, SCORES_FILE: comp.scores,
              "paired_tests.csv": pd.DataFrame(comp.tests), "pareto.csv": comp.pareto}  # fmt: skip
    for name, df in tables.items():
        client.log_text(run_id, df.to_csv(index=False), name)
    client.log_text(run_id, comparison_html(comp), "comparison.html")
    for name, draw in (("comparison.png", comparison_figure), ("pareto.png", pareto_figure)):
        fig = draw(comp)
        client.log_figure(run_id, fig, name, save_kwargs={"dpi": 90})
        plt.close(fig)
    client.set_terminated(run_id, status="FINISHED")
    return run_id


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

    Raises
    ------
    NotFoundError
        ``experiment`` names no experiment in the store.
    """
    uri = store.resolve_tracking_uri(tracking_uri)
    store.check_tracking_uri(uri, write=log)
    client = store.get_client(uri)
    if experiment is not None:
        exp = client.get_experiment_by_name(experiment)
        if exp is None:
            raise store.NotFoundError(
                f"no experiment named {experiment!r} in {store.mask_url(uri)}"
            )
        exps = [exp]
    else:
        exps = client.search_experiments()
    out = []
    for exp in exps:
        comp = compare_experiment(client, exp.experiment_id, log=log)
        if not comp.table.empty or experiment is not None:
            out.append(comp)
    return out
