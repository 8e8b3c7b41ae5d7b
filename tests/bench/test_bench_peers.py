"""Workloads and peers: every peer starts from the same weights and trains the same epochs."""

from __future__ import annotations

import numpy as np

from nnfs_lab.bench.peers import make_peers
from nnfs_lab.bench.timing import interleave
from nnfs_lab.bench.workloads import epoch_flops, make_workload


def test_same_initial_weights_for_every_peer():
    wl = make_workload("spiral", 32, quick=True, min_batches=1, cache={})
    wl.learning_rate = 1e-9  # one epoch then leaves every peer at its initial weights
    peers, _ = make_peers(wl, ["nnfs32", "nnfs64", "mlp64", "floor64"], threads=1)
    for p in peers:
        p.run_block()
    mlp = peers[2].est
    for nnfs in (peers[0].est, peers[1].est):
        for a, b in zip(nnfs.coefs_ + nnfs.intercepts_, mlp.coefs_ + mlp.intercepts_):
            np.testing.assert_allclose(a, b, atol=1e-5)
    assert np.abs(mlp.coefs_[0]).max() > 0.1  # real (Glorot) weights, not zeros


def test_torch_is_skipped_with_a_reason(monkeypatch):
    monkeypatch.setattr("nnfs_lab.bench.peers.torch_available", lambda: "no torch here")
    wl = make_workload("spiral", 128, quick=True, min_batches=1, cache={})
    peers, skipped = make_peers(wl, ["nnfs32", "torch32"], threads=1)
    assert [p.name for p in peers] == ["nnfs32"]
    assert skipped == {"torch32": "no torch here"}


def test_interleave_keeps_every_timed_round():
    wl = make_workload("spiral", 128, quick=True, min_batches=1, cache={})
    peers, _ = make_peers(wl, ["nnfs32", "floor32"], threads=1)
    timing = interleave(peers, rounds=3, warmup=1)
    assert {k: len(v) for k, v in timing["times"].items()} == {"nnfs32": 2, "floor32": 2}
    assert all(p.epochs == 3 * wl.epochs_per_block for p in peers)


def test_epoch_flops_counts_no_input_gradient():
    # 2-4-3: forward 2*4 + 4*3, weight gradients the same, input gradient only for layer 2.
    assert epoch_flops([2, 4, 3], 10) == 2.0 * 10 * (2 * (8 + 12) + 12)
