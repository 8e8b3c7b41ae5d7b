"""Hyperparameters under canonical, scalar names shared across families."""

from __future__ import annotations

from nnfs_lab import tracking


def test_shared_ideas_share_names():
    nnfs = tracking.canonical_params("nnfs", {"learning_rate": 0.01, "l2": 1e-4, "decay": 1e-3,
                                              "hidden_layer_sizes": (64, 32), "batch_size": 32,
                                              "optimizer": "sgd"})  # fmt: skip
    mlp_native = {"learning_rate_init": 0.01, "alpha": 6.4e-3, "hidden_layer_sizes": (64, 32),
                  "batch_size": 32, "solver": "sgd", "learning_rate": "adaptive"}  # fmt: skip
    mlp = tracking.canonical_params("mlp", mlp_native)
    shared = {"lr", "l2", "hidden_layers", "depth", "width", "batch_size", "optimizer"}
    assert shared <= set(nnfs) and shared <= set(mlp)
    assert nnfs["hidden_layers"] == mlp["hidden_layers"] == "64x32"
    assert nnfs["depth"] == 2 and nnfs["width"] == 64
    assert mlp["l2"] == 6.4e-3 / 64  # alpha / (2 * batch_size): NNFS's penalty of that strength
    assert mlp["lr_schedule"] == "adaptive" and nnfs["lr_decay"] == 1e-3
    assert "learning_rate" not in nnfs and "learning_rate" not in mlp  # natives are prefixed
    assert nnfs["nnfs.learning_rate"] == 0.01 and mlp["mlp.learning_rate"] == "adaptive"
    assert nnfs["nnfs.hidden_layer_sizes"] == "64x32"


def test_auto_batch_size_gives_no_derived_l2():
    out = tracking.canonical_params("mlp", {"alpha": 1e-4, "batch_size": "auto"})
    assert "l2" not in out and out["mlp.alpha"] == 1e-4


def test_unknown_family_keeps_prefixed_natives():
    assert tracking.canonical_params("torch", {"lr": 0.1}) == {"torch.lr": 0.1}
