from __future__ import annotations

import pytest

optuna = pytest.importorskip("optuna")

from nnfs_lab.sweeps import parse_experiment as parse_config  # noqa: E402
from nnfs_lab.sweeps import sampling  # noqa: E402


@pytest.mark.parametrize(
    ("kind", "cls"),
    [
        ("median", optuna.pruners.MedianPruner),
        ("successive_halving", optuna.pruners.SuccessiveHalvingPruner),
        ("hyperband", optuna.pruners.HyperbandPruner),
        ("none", optuna.pruners.NopPruner),
    ],
)
def test_make_pruner(kind, cls, space_text):
    cfg = parse_config(f'[pruner]\nkind = "{kind}"\n' + space_text, "p.toml")
    assert isinstance(sampling.make_pruner(cfg), cls)


def test_sampler_seeds_differ():
    seeds = {sampling.sampler_seed(0, w, n) for w in range(3) for n in (0, 5)}
    seeds.add(sampling.sampler_seed(0, "host-a", 123))
    assert len(seeds) == 7
    assert sampling.sampler_seed(0, 1, 2) == sampling.sampler_seed(0, 1, 2)


def test_make_sampler_is_seeded_tpe(space_text):
    cfg = parse_config(space_text, "s.toml")
    sampler = sampling.make_sampler(cfg, 3)
    assert isinstance(sampler, optuna.samplers.TPESampler)
    draws = []
    for _ in range(2):
        study = optuna.create_study(sampler=sampling.make_sampler(cfg, 3))
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=5)
        draws.append([t.params["x"] for t in study.trials])
    assert draws[0] == draws[1]


def test_reports_only_steps_the_pruner_evaluates():
    from nnfs_lab.sweeps.config import PrunerConfig
    from nnfs_lab.sweeps.sampling import pruner_can_act as _pruner_can_act

    median = PrunerConfig(kind="median", n_warmup_steps=10, interval_steps=5)
    assert [s for s in range(1, 31) if _pruner_can_act(median, s)] == [10, 15, 20, 25, 30]
    assert not any(_pruner_can_act(PrunerConfig(kind="none"), s) for s in range(1, 50))
    assert all(_pruner_can_act(PrunerConfig(kind="hyperband"), s) for s in range(1, 50))
