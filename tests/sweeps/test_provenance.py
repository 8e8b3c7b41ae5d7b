"""A trial run's environment tags: versions, the commit, the BLAS threads in use now."""

from __future__ import annotations

from threadpoolctl import threadpool_info, threadpool_limits

from nnfs_lab.sweeps.provenance import environment_tags


def test_blas_threads_tag_follows_the_current_limit():
    if not [p for p in threadpool_info() if p.get("user_api") == "blas"]:
        assert environment_tags()["nnfs_lab.blas_threads"] == "none"
        return
    with threadpool_limits(limits=1, user_api="blas"):
        limited = environment_tags()["nnfs_lab.blas_threads"]
    assert limited and all(part.endswith(":1") for part in limited.split(","))
    tags = environment_tags()
    assert tags["nnfs_lab.version.numpy"] and tags["nnfs_lab.version.mlflow"]
