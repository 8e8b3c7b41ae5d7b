"""``nnfs-lab replay RUN_ID``: retrain a logged trial (or a parent's held-out evaluation) from
what its runs recorded and show the recorded and replayed numbers side by side.

A trial run records its Optuna parameters (tag ``nnfs_lab.optuna_params``); its parent holds
the experiment file (``config.toml``), which fixes the data, the split and the seed. With the
same library versions (tags ``nnfs_lab.version.*``) and one BLAS thread, as deterministic sweeps
train, the replayed curves equal the recorded ones exactly.
"""

from __future__ import annotations

import json
import math
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nnfs_lab import tracking
from nnfs_lab.nn import logs
from nnfs_lab.sweeps.config import ExperimentConfig
from nnfs_lab.sweeps.data import SplitData, fold_arrays, prepare_data
from nnfs_lab.sweeps.evaluation import evaluate_family
from nnfs_lab.sweeps.experiment import parse_experiment
from nnfs_lab.sweeps.families import get_family
from nnfs_lab.sweeps.objective import OPTUNA_PARAMS_TAG
from nnfs_lab.sweeps.protocol import TRAIN_LOSS, VAL_ACCURACY, VAL_LOSS, EpochProtocol, StoppingRule
from nnfs_lab.sweeps.space import decode_params
from nnfs_lab.sweeps.threads import blas_threads

__all__ = ["Replay", "replay_run"]

_CURVES = (TRAIN_LOSS, VAL_LOSS, VAL_ACCURACY)


@dataclass
class Replay:
    """Recorded and replayed values: ``rows`` of (label, key, recorded, replayed)."""

    run_id: str
    what: str
    rows: list[tuple[str, str, float, float]] = field(default_factory=list)

    @property
    def max_difference(self) -> float:
        diffs = [abs(a - b) for _, _, a, b in self.rows if not (math.isnan(a) and math.isnan(b))]
        return max(diffs, default=math.nan)

    def table(self) -> str:
        """Recorded and replayed values side by side, then the verdict."""
        lines = [f"{'':<22} {'metric':<14} {'recorded':>22} {'replayed':>22}"]
        for label, key, recorded, replayed in self.rows:
            mark = "" if recorded == replayed else "  <- differs"
            lines.append(f"{label:<22} {key:<14} {recorded!r:>22} {replayed!r:>22}{mark}")
        same = "identical" if self.identical else f"max |difference| {self.max_difference:.3g}"
        lines.append(f"{self.what}: {len(self.rows)} values, {same}")
        return "\n".join(lines)

    @property
    def identical(self) -> bool:
        """Every recorded value reproduced bit for bit (NaN matching NaN)."""
        same = all(a == b or (math.isnan(a) and math.isnan(b)) for _, _, a, b in self.rows)
        return bool(self.rows) and same


class _Stop(Exception):
    """Raised to end a replay at the step where the trial was pruned."""


def _config(client, parent_id: str) -> ExperimentConfig:
    parent = client.get_run(parent_id)
    with tempfile.TemporaryDirectory() as tmp:
        path = client.download_artifacts(parent_id, "config.toml", tmp)
        text = Path(path).read_text(encoding="utf-8")
    return parse_experiment(text, parent.data.tags.get("nnfs_lab.config_path", "config.toml"))


def _params(cfg: ExperimentConfig, family: str, optuna_params: dict[str, Any]) -> dict:
    model = cfg.model(family)
    return {**model.fixed, **decode_params(model.search, optuna_params)}


def _replay_folds(cfg, family: str, params, data: SplitData, last_step: float) -> dict:
    """Retrain every fold as the trial did; ``(key, step) -> value`` of the replayed curves."""
    fam, out = get_family(family), {}
    for k in range(len(data.folds)):
        X_tr, y_tr, X_va, y_va = fold_arrays(data, k, cfg.dataset.scale)
        offset = k * cfg.budget.max_epochs

        def then(record: dict, offset: int = offset) -> None:
            step = offset + int(record[logs.EPOCH])
            out.update({(key, step): record[key] for key in _CURVES if key in record})
            if step >= last_step:
                raise _Stop

        est = fam.build(params, seed=cfg.seed, max_epochs=cfg.budget.max_epochs)
        protocol = EpochProtocol(X_va, y_va, StoppingRule(cfg.protocol), then=then)
        try:
            fam.train(est, X_tr, y_tr, on_epoch=protocol)
        except _Stop:
            break
    return out


def _replay_trial(client, run, echo) -> Replay:
    tags = run.data.tags
    cfg = _config(client, tags[tracking.TAG_PARENT])
    family = tags[tracking.TAG_FAMILY]
    params = _params(cfg, family, json.loads(tags[OPTUNA_PARAMS_TAG]))
    echo(f"replaying {run.info.run_name} ({family}): {params}")
    last_step = run.data.metrics.get("pruned_step", math.inf)
    replayed = _replay_folds(cfg, family, params, prepare_data(cfg), last_step)
    result = Replay(run.info.run_id, f"trial {tags.get(tracking.TAG_TRIAL)} of {cfg.name}")
    for key in _CURVES:
        for m in sorted(client.get_metric_history(run.info.run_id, key), key=lambda m: m.step):
            if m.step >= 1:  # step 0 holds the single values
                result.rows.append((f"step {m.step}", key, m.value,
                                    replayed.get((key, m.step), math.nan)))  # fmt: skip
    return result


def _replay_evaluation(client, run, echo) -> Replay:
    import pandas as pd

    tags = run.data.tags
    cfg, family = _config(client, run.info.run_id), tags[tracking.TAG_FAMILY]
    best = client.get_run(tags["nnfs_lab.best_run_id"])
    params = _params(cfg, family, json.loads(best.data.tags[OPTUNA_PARAMS_TAG]))
    echo(f"replaying the held-out evaluation of {run.info.run_name}: {params}")
    with tempfile.TemporaryDirectory() as tmp:
        recorded = pd.read_csv(client.download_artifacts(run.info.run_id, "outer_scores.csv", tmp))
    replayed = evaluate_family(cfg, family, params, prepare_data(cfg))
    result = Replay(run.info.run_id, f"held-out evaluation of {run.info.run_name}")
    for (_, a), (_, b) in zip(recorded.iterrows(), replayed.iterrows()):
        for key in ("test_accuracy", "test_log_loss"):
            label = f"repeat {a['repeat']} fold {a['fold']}"
            result.rows.append((label, key, float(a[key]), float(b[key])))
    return result


def replay_run(run_id: str, *, tracking_uri: str | None = None,
               echo: Callable[[str], None] = print) -> Replay:  # fmt: skip
    """Replay a trial run (its per-epoch curves) or a parent run (its held-out evaluation).

    Raises
    ------
    nnfs_lab.tracking.NotFoundError
        When the run does not exist or is not a sweep's trial or parent run.
    """
    uri = tracking.resolve_tracking_uri(tracking_uri)
    tracking.check_tracking_uri(uri, write=False)
    client = tracking.get_client(uri)
    try:
        run = client.get_run(run_id)
    except Exception:
        raise tracking.NotFoundError(f"no run {run_id!r} in {tracking.mask_url(uri)}") from None
    role = run.data.tags.get(tracking.TAG_ROLE)
    if role == "trial" and OPTUNA_PARAMS_TAG in run.data.tags:
        how = _replay_trial
    elif role == "parent" and "nnfs_lab.best_run_id" in run.data.tags:
        how = _replay_evaluation
    else:
        raise tracking.NotFoundError(
            f"run {run_id} is not a finished trial or parent run of a sweep (role {role!r})"
        )
    with blas_threads(1):  # as deterministic workers train
        return how(client, run, echo)
