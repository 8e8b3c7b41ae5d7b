"""The engine's one scratch-buffer cache: reusable arrays so a training step allocates nothing
batch- or parameter-sized.

Layers, activations, losses and the :class:`~nnfs_lab.nn.Model` (for its shuffled minibatches)
all inherit :class:`Buffered`; ``fill_ones`` and ``fill_arange`` initialise constant buffers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["Buffered", "fill_arange", "fill_ones"]


def fill_ones(a: np.ndarray) -> None:
    """Initialise a buffer to ones (a row of ones turns a bias gradient into one matmul)."""
    a.fill(1)


def fill_arange(a: np.ndarray) -> None:
    """Initialise a buffer to ``0, 1, ..., n - 1`` along its first axis (row indices)."""
    a[...] = np.arange(a.shape[0])


class Buffered:
    """Reusable scratch arrays, so a training step allocates nothing batch- or parameter-sized.

    Buffers are never pickled or copied (:meth:`__getstate__` drops them with the cached
    activations); they are rebuilt on first use.
    """

    _buffers: dict[tuple[str, tuple[int, ...]], np.ndarray]

    def _buf(
        self,
        name: str,
        shape: tuple[int, ...],
        dtype: Any,
        init: Callable[[np.ndarray], None] | None = None,
    ) -> np.ndarray:
        """Scratch array ``name`` of ``shape``; ``init(array)`` fills a newly made one (for
        constants such as a row of ones), otherwise its contents are undefined."""
        # Keyed by shape so the full batches and the smaller last batch each keep their own
        # buffer instead of reallocating twice per epoch. Called ~15 times a step: the hit path
        # is one dict lookup.
        key = (name, shape)
        try:
            buf = self._buffers[key]
            if buf.dtype == dtype:
                return buf
        except AttributeError:  # first use, or unpickled (buffers are never pickled)
            self._buffers = {}
        except KeyError:
            pass
        buf = np.empty(shape, dtype=dtype)
        if init is not None:
            init(buf)
        self._buffers[key] = buf
        return buf

    def clear_buffers(self) -> None:
        """Drop the training buffers (they are rebuilt on the next training step)."""
        self.__dict__.pop("_buffers", None)

    def __getstate__(self) -> dict[str, Any]:
        # Buffers and cached activations are scratch space: never pickle or copy them.
        state = self.__dict__.copy()
        for name in ("_buffers", "inputs", "output", "_mask"):
            state.pop(name, None)
        return state
