"""How trials are proposed and stopped: the seeded sampler, the pruner, the steps reported."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from nnfs_lab.sweeps.config import ExperimentConfig, PrunerConfig

if TYPE_CHECKING:
    import optuna

__all__ = ["make_pruner", "make_sampler", "pruner_can_act", "sampler_seed"]


def make_pruner(cfg: ExperimentConfig) -> optuna.pruners.BasePruner:
    """The configured pruner. Steps are epochs (``fold * max_epochs + epoch`` under CV)."""
    import optuna

    p = cfg.pruner
    if p.kind == "median":
        return optuna.pruners.MedianPruner(
            n_startup_trials=p.n_startup_trials,
            n_warmup_steps=p.n_warmup_steps,
            interval_steps=p.interval_steps,
        )
    if p.kind == "successive_halving":
        return optuna.pruners.SuccessiveHalvingPruner(
            min_resource=p.min_resource, reduction_factor=p.reduction_factor
        )
    if p.kind == "hyperband":
        folds = cfg.split.cv or 1
        return optuna.pruners.HyperbandPruner(
            min_resource=p.min_resource,
            max_resource=cfg.budget.max_epochs * folds,
            reduction_factor=p.reduction_factor,
        )
    return optuna.pruners.NopPruner()


def make_sampler(cfg: ExperimentConfig, seed: int) -> optuna.samplers.BaseSampler:
    """Seeded TPE. ``constant_liar`` keeps parallel workers from proposing the same point."""
    import optuna

    startup = max(3, min(10, (cfg.budget.n_trials or 30) // 3))
    return optuna.samplers.TPESampler(seed=seed, n_startup_trials=startup, constant_liar=True)


def sampler_seed(cfg_seed: int, *salt: int | str) -> int:
    """A seed derived from the experiment's seed and ``salt`` (worker index, trials so far...).

    Distinct per worker (identical seeds would make workers propose identical random trials)
    and per resume (a resumed sweep must not replay the first session's random start).
    """
    ints = [cfg_seed] + [s if isinstance(s, int) else int.from_bytes(s.encode()[:8], "little")
                         for s in salt]  # fmt: skip
    return int(np.random.SeedSequence(ints).generate_state(1)[0])


def pruner_can_act(pruner: PrunerConfig, step: int) -> bool:
    """Whether a report at ``step`` can change a pruning decision.

    Every ``trial.report`` is a write to the Optuna storage (on the journal, an append that
    every process then reads and replays), so steps the pruner ignores are not reported: none
    at all without a pruner, and for the median pruner only the steps it evaluates
    (``n_warmup_steps`` onward, every ``interval_steps``). Every trial reports the same steps,
    so the medians compare like with like. Per-epoch curves go to MLflow regardless.
    """
    if pruner.kind == "none":
        return False
    if pruner.kind == "median":
        since = step - pruner.n_warmup_steps
        return since >= 0 and since % pruner.interval_steps == 0
    return True
