"""Sweep bookkeeping for :mod:`nnfs_lab.bench`, timed through the real sweep driver.

Each run is :func:`nnfs_lab.sweeps.sweep` itself, the function ``make sweep`` calls, on an
experiment file (by default ``experiments/spiral.toml``: its data, search space, pruner and
budget; ``--quick`` shrinks the budget) in a fresh directory holding a new MLflow sqlite store
and a new Optuna journal, with ``compare=False`` (the comparison run is a report, not a cost of
the sweep) and ``overlap_summaries=False`` (no study's summary runs beside the next study's
trials, so each phase is timed alone). Runs alternate worker counts (1 2 2 1) so that a change
in the machine's load affects both counts alike.

What is measured, and where it comes from:

- *store creation*: the schema migrations of a new MLflow sqlite store, done and timed before
  the driver starts, because ``make sweep`` pays them once per store, not per trial;
- *worker phase*: ``SweepResult.wall_seconds``, from the start of the first worker to the end
  of the last one. Creating the study and parent run before it, and evaluating the best model,
  drawing the study's figures and logging the model after it, are outside; the driver's total
  time is reported beside it;
- *per trial*, from the Optuna study in the journal: the duration (``datetime_complete -
  datetime_start``) and the user attribute ``fit_seconds`` the objective records (seconds
  inside the estimators' training epochs).

*Bookkeeping per trial* is the mean of ``duration - fit_seconds``: sampling, the MLflow child
run, pruner reports, the trial's final logging, Optuna's bookkeeping (validation scoring at the
logged epochs is part of the protocol's training loop, in ``fit_seconds``). The *bookkeeping
share* is ``1 - sum(fit_seconds) / (workers * wall)``: all the worker time not spent training,
which also counts waiting for the next generation, a process idle while the other runs the
study's last trial, and waiting on the storages (reported apart as the share outside trials).
"""

from __future__ import annotations

import contextlib
import math
import re
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the sweep driver needs tomli there too
    import tomli as tomllib

from nnfs_lab.bench.costs import explain, measure_costs
from nnfs_lab.bench.stores import (
    count_child_runs,
    create_store,
    quiet_mlflow,
    record_rows,
    trial_records,
)

__all__ = ["DEFAULT_CONFIG", "budget_config", "measure_sweep", "run_sweep", "summarize"]

#: The experiment timed by default: the README's default sweep.
DEFAULT_CONFIG = Path(__file__).resolve().parents[2] / "experiments" / "spiral.toml"


# ---------------------------------------------------------------------------- the experiment


def _set_budget_key(text: str, key: str, value: int) -> str:
    """``text`` with the ``[budget]`` line of ``key`` set to ``value``."""
    lines = text.splitlines(keepends=True)
    in_budget = False
    for i, line in enumerate(lines):
        stripped = line.split("#", 1)[0].strip()
        if stripped.startswith("["):
            in_budget = stripped == "[budget]"
        elif in_budget and re.match(rf"{key}\s*=", stripped):
            lines[i] = f"{key} = {value}\n"
            return "".join(lines)
    raise ValueError(f"no [budget] {key} line to override")


def budget_config(
    source: Path,
    dest: Path,
    *,
    max_epochs: int | None = None,
    generation_size: int | None = None,
) -> dict[str, Any]:
    """Copy an experiment file, overriding budget keys the driver has no argument for.

    The copy is what the driver reads, by path, exactly as ``nnfs-lab sweep`` would: the
    benchmark depends on no config API. Trials per family are passed to the driver instead.
    Only keys the file's ``[budget]`` already sets are overridden: which keys exist is the
    experiment schema's business, and a key it does not know would fail the sweep.

    Parameters
    ----------
    source, dest : Path
        The experiment file and where to write the copy.
    max_epochs, generation_size : int, optional
        New ``[budget]`` values (None keeps the file's).

    Returns
    -------
    dict
        The copy, parsed (to report its name and budget); ``"skipped_overrides"`` lists the
        requested keys the file does not set.
    """
    text = source.read_text(encoding="utf-8")
    present = tomllib.loads(text).get("budget", {})
    wanted = {"max_epochs": max_epochs, "generation_size": generation_size}
    skipped = [k for k, v in wanted.items() if v is not None and k not in present]
    for key, value in wanted.items():
        if value is not None and key in present:
            text = _set_budget_key(text, key, int(value))
    parsed = tomllib.loads(text)  # fail here, not in the driver, on a broken edit
    for key, value in wanted.items():
        if key not in skipped and value is not None and parsed["budget"][key] != value:
            raise ValueError(f"{source}: could not set [budget] {key} = {value}")
    dest.write_text(text, encoding="utf-8")
    return {**parsed, "skipped_overrides": skipped}


# ------------------------------------------------------------------------------- one run


def _family_part(
    result: Any, journal: Path, tracking_uri: str, workers: int, count_rows: bool
) -> dict[str, Any]:
    trials = trial_records(journal, result.study_name)
    ids = (tracking_uri, result.experiment_id, result.parent_run_id)
    return {
        "family": result.family,
        "study": result.study_name,
        "trials_run": result.trials_run,
        "counts": dict(result.counts),
        "wall_seconds": result.wall_seconds,
        # The driver starts no more local workers than there are trials to run.
        "workers": max(1, min(workers, result.trials_run)),
        "mlflow_child_runs": count_child_runs(*ids),
        "record_rows": record_rows(*ids) if count_rows else None,
        "trials": trials,
    }


def run_sweep(
    config: Path,
    workers: int,
    workdir: Path,
    *,
    n_trials: int | None = None,
    families: Sequence[str] | None = None,
    count_rows: bool = False,
) -> dict[str, Any]:
    """One sweep through the public driver in ``workdir``, and what it recorded.

    Parameters
    ----------
    config : Path
        The experiment file.
    workers : int
        Local worker processes (1 runs in this process, as the driver does).
    workdir : Path
        An empty directory for ``mlflow.db``, its artifacts and ``optuna-journal.log``.
    n_trials : int, optional
        Trials per model family (default: the file's budget).
    families : sequence of str, optional
        Model families to sweep (default: all the file enables).
    count_rows : bool
        Also count the metric rows and params of every trial run (a request per metric and
        run).

    Returns
    -------
    dict
        ``workers``, ``store_seconds``, ``driver_seconds`` and ``parts``: per family the
        worker phase, the trial counts, the MLflow child runs (and their ``record_rows`` when
        counted) and the per-trial records.
    """
    from nnfs_lab.sweeps import sweep

    uri = f"sqlite:///{workdir / 'mlflow.db'}"
    journal = workdir / "optuna-journal.log"
    log: list[str] = []
    with quiet_mlflow():
        store_seconds = create_store(uri)
        t0 = time.perf_counter()
        results = sweep(
            [str(config)],
            n_trials=n_trials,
            workers=workers,
            tracking_uri=uri,
            storage=str(journal),
            families=list(families) if families else None,
            echo=log.append,
            compare=False,
            # Each study's phase alone: a summary beside it would take cores its trials need.
            overlap_summaries=False,
        )
        driver_seconds = time.perf_counter() - t0
    if not results:
        raise ValueError(f"{config}: no model family swept (families={families})")
    return {
        "workers": workers,
        "store_seconds": store_seconds,
        "driver_seconds": driver_seconds,
        "parts": [_family_part(r, journal, uri, workers, count_rows) for r in results],
        "driver_log": log,
    }


# ------------------------------------------------------------------------------ figures


def summarize(parts: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Bookkeeping figures pooled over family sweeps (totals first, then rates).

    Parameters
    ----------
    parts : sequence of dict
        ``parts`` entries of :func:`run_sweep` results.

    Returns
    -------
    dict
        ``trials``, ``wall_seconds`` (worker phases), ``trials_per_minute``,
        ``bookkeeping_ms_per_trial``, ``fit_ms_per_trial``, ``trial_ms``,
        ``bookkeeping_share``, ``outside_trials_share``, ``counts``,
        ``trials_without_fit_seconds``; per trial (mean) ``optuna_params_per_trial``,
        ``reports_per_trial`` and, where counted, ``metric_rows_per_trial`` and
        ``mlflow_params_per_trial``.
    """
    trials = [t for p in parts for t in p["trials"]]
    rows = [r for p in parts for r in p.get("record_rows") or ()]  # where the runs were counted
    timed = [t for t in trials if t["fit_seconds"] is not None]
    wall = sum(p["wall_seconds"] for p in parts)
    worker_seconds = sum(p["workers"] * p["wall_seconds"] for p in parts)
    fit = sum(t["fit_seconds"] for t in timed)
    inside = sum(t["seconds"] for t in timed)
    n = len(timed)
    counts: dict[str, int] = {}
    for t in trials:
        counts[t["state"]] = counts.get(t["state"], 0) + 1
    nan = math.nan
    return {
        "trials": len(trials),
        "wall_seconds": wall,
        "trials_per_minute": 60.0 * len(trials) / wall if wall else nan,
        "bookkeeping_ms_per_trial": 1000.0 * (inside - fit) / n if n else nan,
        "fit_ms_per_trial": 1000.0 * fit / n if n else nan,
        "trial_ms": 1000.0 * inside / n if n else nan,
        "bookkeeping_share": 1.0 - fit / worker_seconds if worker_seconds else nan,
        "outside_trials_share": 1.0 - inside / worker_seconds if worker_seconds else nan,
        "counts": counts,
        "trials_without_fit_seconds": len(trials) - n,
        "optuna_params_per_trial": _mean(t.get("params") for t in trials),
        "reports_per_trial": _mean(t.get("reports") for t in trials),
        "metric_rows_per_trial": _mean(r["metrics"] for r in rows),
        "mlflow_params_per_trial": _mean(r["params"] for r in rows),
    }


def _mean(values: Any) -> float:
    """The mean of the values that are not None (nan for none)."""
    known = [v for v in values if v is not None]
    return sum(known) / len(known) if known else math.nan


def _pool(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """All runs with one worker count: pooled over families, and per family."""
    parts = [p for r in runs for p in r["parts"]]
    out = summarize(parts)
    out["workers"] = runs[0]["workers"]
    out["runs"] = len(runs)
    out["driver_seconds"] = sum(r["driver_seconds"] for r in runs)
    out["families"] = {
        fam: summarize([p for p in parts if p["family"] == fam])
        for fam in dict.fromkeys(p["family"] for p in parts)
    }
    return out


def _results(
    config: Path, parsed: dict[str, Any], runs: list[dict[str, Any]], n_trials: int | None
) -> dict[str, Any]:
    """The section's result: the experiment, every run, and the figures per worker count."""
    budget = parsed.get("budget", {})
    order = [r["workers"] for r in runs]
    out: dict[str, Any] = {
        "config": str(config),
        "experiment": parsed.get("name"),
        "n_trials": n_trials if n_trials is not None else budget.get("n_trials"),
        "max_epochs": budget.get("max_epochs"),
        "skipped_overrides": parsed.get("skipped_overrides", []),
        "families": list(dict.fromkeys(p["family"] for r in runs for p in r["parts"])),
        "order": order,
        "store_seconds": [r["store_seconds"] for r in runs],
        "runs": runs,
    }
    for w in sorted(set(order)):
        out[str(w)] = _pool([r for r in runs if r["workers"] == w])
    if "1" in out and "2" in out:
        out["speedup_2_vs_1"] = out["2"]["trials_per_minute"] / out["1"]["trials_per_minute"]
    return out


def measure_sweep(
    config: Path | str | None = None,
    *,
    n_trials: int | None = None,
    max_epochs: int | None = None,
    order: Sequence[int] = (1, 2, 2, 1),
    families: Sequence[str] | None = None,
    workdir: Path | str | None = None,
    cost_rounds: int = 40,
) -> dict[str, Any]:
    """Time the real sweep with each worker count of ``order``, each on fresh stores.

    Parameters
    ----------
    config : path, optional
        Experiment file (default :data:`DEFAULT_CONFIG`).
    n_trials : int, optional
        Trials per model family and run (default: the file's budget).
    max_epochs, generation_size : int, optional
        Override the file's budget.
    order : sequence of int
        Worker counts, run in this order; alternating (1 2 2 1) evens out load drifts.
    families : sequence of str, optional
        Model families (default: all the file enables).
    workdir : path, optional
        Keep the runs' stores here (default: a temporary directory, removed afterwards).
    cost_rounds : int
        Rounds of :func:`~nnfs_lab.bench.costs.measure_costs` after the runs (0 skips it).
        The records of the first one-worker run are counted to be explained with them.

    Returns
    -------
    dict
        The experiment and budget, ``store_seconds`` per run, the ``runs`` themselves, and per
        worker count (keys ``"1"``, ``"2"``, ...) the pooled figures of :func:`summarize`;
        ``speedup_2_vs_1`` when both ran; ``costs`` (the records' costs) and, per family of
        the one-worker runs and for all of them (``"all"``), ``explained``
        (:func:`~nnfs_lab.bench.costs.explain`).
    """
    config = Path(config) if config is not None else DEFAULT_CONFIG
    if not config.is_file():
        raise FileNotFoundError(f"experiment file {config} not found (--sweep-config PATH)")
    with contextlib.ExitStack() as stack:
        if workdir is None:
            workdir = stack.enter_context(tempfile.TemporaryDirectory(prefix="nnfs-bench-"))
        root = Path(workdir)
        root.mkdir(parents=True, exist_ok=True)
        parsed = budget_config(config, root / config.name, max_epochs=max_epochs)
        runs = []
        counted = list(order).index(1) if 1 in order else None
        for i, w in enumerate(order):
            run_dir = root / f"run{i}-w{w}"
            run_dir.mkdir()
            runs.append(run_sweep(root / config.name, w, run_dir, n_trials=n_trials,
                                  families=families, count_rows=i == counted))  # fmt: skip
        out = _results(config, parsed, runs, n_trials)
        if cost_rounds > 0:
            (root / "costs").mkdir()
            out["costs"] = measure_costs(root / "costs", rounds=cost_rounds)
            out["explained"] = _explained(out)
    return out


def _explained(out: dict[str, Any]) -> dict[str, Any]:
    """Per family of the one-worker runs and for all of them, what the costs account for."""
    one = out.get("1")
    if one is None:
        return {}
    figures = dict(one["families"])
    if len(figures) > 1:
        figures["all"] = one
    return {
        family: explain(
            out["costs"],
            fit_ms=f["fit_ms_per_trial"],
            bookkeeping_ms=f["bookkeeping_ms_per_trial"],
            metric_rows=f["metric_rows_per_trial"],
            mlflow_params=f["mlflow_params_per_trial"],
            optuna_params=f["optuna_params_per_trial"],
            checks=f["reports_per_trial"],
        )
        for family, f in figures.items()
    }
