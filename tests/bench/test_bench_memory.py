"""The memory section: one subprocess per peer, two figures each."""

from __future__ import annotations

import pytest

from nnfs_lab.bench.memory import memory_section


@pytest.mark.slow
def test_memory_section_measures_each_peer():
    res = memory_section(["nnfs32", "mlp32", "floor32"], threads=1, quick=True, cache={})
    assert set(res["peers"]) == {"nnfs32", "mlp32"}  # a floor has no fit to measure
    for name, r in res["peers"].items():
        assert "error" not in r, (name, r)
        assert r["traced_mb"] > 0 and r["data_mb"] > 0 and r["seconds"] > 0
    assert res["workload"].startswith("mnist 2000 x 784")
