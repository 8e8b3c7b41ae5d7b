"""BLAS threads for fits whose results must not depend on where they ran.

A multi-threaded BLAS may sum in another order and change the last bits of a result. Deterministic
sweeps therefore train with one BLAS thread everywhere: the in-process worker, the spawned
workers, the held-out evaluation (in the pool or in the driver) and ``nnfs-lab replay``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

__all__ = ["blas_threads"]


@contextlib.contextmanager
def blas_threads(limit: int | None) -> Iterator[None]:
    """Limit BLAS to ``limit`` threads inside the block (``None``: leave it as it is)."""
    if limit is None:
        yield
        return
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=limit, user_api="blas"):
        yield
