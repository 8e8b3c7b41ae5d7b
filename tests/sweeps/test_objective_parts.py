from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

optuna = pytest.importorskip("optuna")

from nnfs_lab.sweeps import data, families, sampling, space  # noqa: E402
from nnfs_lab.sweeps import parse_experiment as parse_config  # noqa: E402
from nnfs_lab.sweeps import storage as sweep_storage  # noqa: E402

SPACE = """
[dataset]
name = "spiral"
params = { n_samples = 20 }
[models.mlp.search]
hidden_layer_sizes = { choices = [[8], [8, 4]] }
solver = { choices = ["adam", "sgd"] }
momentum = { low = 0.5, high = 0.9, when = { solver = "sgd" } }
alpha = { low = 1e-6, high = 1e-2, log = true, allow_zero = true }
batch_size = { low = 8, high = 64, log = true }
"""


def test_suggest_and_decode_roundtrip():
    cfg = parse_config(SPACE, "space.toml")
    specs = cfg.model("mlp").search
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    seen_zero = seen_nonzero = seen_sgd = seen_adam = False
    for _ in range(40):
        trial = study.ask()
        params = space.suggest_params(trial, specs)
        assert params["hidden_layer_sizes"] in {(8,), (8, 4)}
        assert isinstance(params["batch_size"], int) and 8 <= params["batch_size"] <= 64
        if params["solver"] == "sgd":
            seen_sgd = True
            assert 0.5 <= params["momentum"] <= 0.9
        else:
            seen_adam = True
            assert "momentum" not in params  # conditional: estimator default applies
        if params["alpha"] == 0.0:
            seen_zero = True
            assert trial.params["use_alpha"] is False
        else:
            seen_nonzero = True
            assert 1e-6 <= params["alpha"] <= 1e-2
        study.tell(trial, 0.0)
        assert space.decode_params(specs, trial.params) == params
    assert seen_zero and seen_nonzero and seen_sgd and seen_adam


def test_prepare_data_holdout_and_cv():
    cfg = parse_config(SPACE, "space.toml")
    d = data.prepare_data(cfg)
    assert len(d.X_train) + len(d.X_test) == 60
    ((tr, va),) = d.folds
    assert not set(tr) & set(va) and len(tr) + len(va) == len(d.X_train)
    cv = parse_config(SPACE.replace("[dataset]", "[split]\ncv = 3\n[dataset]"), "cv.toml")
    d2 = data.prepare_data(cv)
    assert len(d2.folds) == 3
    assert np.array_equal(np.sort(np.concatenate([va for _, va in d2.folds])), np.arange(45))
    # Deterministic for a given seed.
    assert np.array_equal(data.prepare_data(cfg).X_test, d.X_test)


def test_resolve_storage(tmp_path: Path):
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    assert sweep_storage.resolve_storage(None, uri) == f"journal:{tmp_path}/optuna-journal.log"
    assert sweep_storage.resolve_storage("pg.log", uri).startswith("journal:/")
    assert sweep_storage.resolve_storage("postgresql://u@h/db", uri) == "postgresql://u@h/db"
    with pytest.raises(ValueError, match="MLflow database"):
        sweep_storage.resolve_storage(uri, uri)


@pytest.mark.parametrize(
    ("kind", "cls"),
    [
        ("median", optuna.pruners.MedianPruner),
        ("successive_halving", optuna.pruners.SuccessiveHalvingPruner),
        ("hyperband", optuna.pruners.HyperbandPruner),
        ("none", optuna.pruners.NopPruner),
    ],
)
def test_make_pruner(kind, cls):
    cfg = parse_config(f'[pruner]\nkind = "{kind}"\n' + SPACE, "p.toml")
    assert isinstance(sampling.make_pruner(cfg), cls)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_scores_match_sklearn():
    from sklearn.metrics import accuracy_score, log_loss
    from sklearn.neural_network import MLPClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = np.array(["a", "b", "c"])[rng.integers(0, 3, 60)]
    est = MLPClassifier((5,), max_iter=30, random_state=0).fit(X, y)
    acc, ll = families.probability_scores(est, X, y)
    assert acc == pytest.approx(accuracy_score(y, est.predict(X)))
    assert ll == pytest.approx(log_loss(y, est.predict_proba(X), labels=est.classes_))


def test_sampler_seeds_differ():
    seeds = {sampling.sampler_seed(0, w, n) for w in range(3) for n in (0, 5)}
    seeds.add(sampling.sampler_seed(0, "host-a", 123))
    assert len(seeds) == 7
    assert sampling.sampler_seed(0, 1, 2) == sampling.sampler_seed(0, 1, 2)


def test_make_sampler_is_seeded_tpe():
    cfg = parse_config(SPACE, "s.toml")
    sampler = sampling.make_sampler(cfg, 3)
    assert isinstance(sampler, optuna.samplers.TPESampler)
    draws = []
    for _ in range(2):
        study = optuna.create_study(sampler=sampling.make_sampler(cfg, 3))
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=5)
        draws.append([t.params["x"] for t in study.trials])
    assert draws[0] == draws[1]


def test_bad_rdb_storage_fails_fast_with_masked_password():
    from nnfs_lab.tracking import StoreError

    url = "postgresql://nnfs:s3cret@127.0.0.1:1/optuna"
    with pytest.raises(StoreError) as info:
        sweep_storage.make_storage(url, heartbeat_interval=5, grace_period=10)
    msg = str(info.value)
    assert "postgresql://nnfs:***@127.0.0.1:1/optuna" in msg and "s3cret" not in msg


def test_reports_only_steps_the_pruner_evaluates():
    from nnfs_lab.sweeps.config import PrunerConfig
    from nnfs_lab.sweeps.sampling import pruner_can_act as _pruner_can_act

    median = PrunerConfig(kind="median", n_warmup_steps=10, interval_steps=5)
    assert [s for s in range(1, 31) if _pruner_can_act(median, s)] == [10, 15, 20, 25, 30]
    assert not any(_pruner_can_act(PrunerConfig(kind="none"), s) for s in range(1, 50))
    assert all(_pruner_can_act(PrunerConfig(kind="hyperband"), s) for s in range(1, 50))
