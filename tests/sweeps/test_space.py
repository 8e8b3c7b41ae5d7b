from __future__ import annotations

import pytest

optuna = pytest.importorskip("optuna")

from nnfs_lab.sweeps import parse_experiment as parse_config  # noqa: E402
from nnfs_lab.sweeps import space  # noqa: E402


def test_suggest_and_decode_roundtrip(space_text):
    cfg = parse_config(space_text, "space.toml")
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
