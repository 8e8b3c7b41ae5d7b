"""The registry: every dataset by name, ``load(name, ...)``, and what each one accepts.

Generated datasets return ``(X, y)``; :func:`load` wraps them in a :class:`Dataset`. Fixed ones
(scikit-learn's bundled tables, Fashion-MNIST) build their own, with their own metadata.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from nnfs_lab.datasets import fashion
from nnfs_lab.datasets.book import sine, spiral, vertical
from nnfs_lab.datasets.bundled import BUNDLED, blobs, bundled_loader, moons
from nnfs_lab.datasets.dataset import Dataset, RandomState
from nnfs_lab.datasets.playground import circle, gaussian, playground_spiral, xor

__all__ = ["dataset_params", "format_dataset_table", "list_datasets", "load"]


@dataclass(frozen=True)
class _Entry:
    func: Callable[..., Any]
    kind: str  # 'generated' | 'bundled' | 'downloaded'
    task: str
    shape: str  # human-readable default shape for the table
    description: str


_REGISTRY: dict[str, _Entry] = {
    "spiral": _Entry(spiral, "generated", "classification", "300 x 2, 3 classes",
                     "The book's spiral: n_samples PER CLASS, one arm per class."),
    "vertical": _Entry(vertical, "generated", "classification", "300 x 2, 3 classes",
                       "The book's vertical data: one Gaussian blob per class at (k/3, 0.5)."),
    "sine": _Entry(sine, "generated", "regression", "1000 x 1",
                   "The book's sine: X = arange(n)/n, y = sin(2 pi X)."),
    "circle": _Entry(circle, "generated", "classification", "500 x 2, 2 classes",
                     "TF Playground circle: disc (1) inside a ring (0); noise = label noise."),
    "xor": _Entry(xor, "generated", "classification", "500 x 2, 2 classes",
                  "TF Playground exclusive-or quadrants with padding; noise = label noise."),
    "gaussian": _Entry(gaussian, "generated", "classification", "500 x 2, 2 classes",
                       "TF Playground two Gaussians; noise widens them."),
    "playground_spiral": _Entry(playground_spiral, "generated", "classification",
                                "500 x 2, 2 classes",
                                "TF Playground two-arm spiral; noise moves the points."),
    "moons": _Entry(moons, "generated", "classification", "500 x 2, 2 classes",
                    "sklearn make_moons: two interleaving half circles."),
    "blobs": _Entry(blobs, "generated", "classification", "500 x 2, 3 classes",
                    "sklearn make_blobs: isotropic Gaussian blobs."),
    # The fixed datasets keep their metadata next to their loaders, which put it in the Dataset.
    **{name: _Entry(bundled_loader(name), "bundled", s.task, s.shape, s.description)
       for name, s in BUNDLED.items()},
    "fashion_mnist": _Entry(fashion.fashion_mnist, "downloaded", "classification", fashion.SHAPE,
                            fashion.DESCRIPTION),
}  # fmt: skip

# Class names where "class k" would hide what the classes mean.
_GENERATED_TARGETS: dict[str, list[str]] = {
    "circle": ["ring", "disc"],
    "xor": ["quadrants II/IV", "quadrants I/III"],
}


def list_datasets() -> list[str]:
    """Names accepted by :func:`load`, in registry order.

    Returns
    -------
    list of str
    """
    return list(_REGISTRY)


def _entry(name: str) -> _Entry:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ValueError(
            f"unknown dataset {name!r}; available: {', '.join(list_datasets())}"
        ) from None


def dataset_params(name: str) -> dict[str, Any]:
    """Keyword parameters accepted by ``load(name, ...)`` with their defaults.

    Lets a config reader reject unknown keys before loading anything.

    Parameters
    ----------
    name : str
        One of :func:`list_datasets`.

    Returns
    -------
    dict
        ``parameter -> default``, ``random_state`` included.

    Raises
    ------
    ValueError
        Unknown name.
    """
    entry = _entry(name)
    return {
        p.name: p.default
        for p in inspect.signature(entry.func).parameters.values()
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    }


def load(name: str, *, random_state: RandomState = None, **params: Any) -> Dataset:
    """Load or generate a dataset by name.

    Parameters
    ----------
    name : str
        One of :func:`list_datasets`.
    random_state : int, Generator or None
        Seed for generation (or for the subset, for fixed datasets given ``n_samples``).
    **params
        Passed to the dataset's function (e.g. ``n_samples``, ``noise``); see
        :func:`dataset_params`.

    Returns
    -------
    Dataset

    Raises
    ------
    ValueError
        Unknown name (the message lists the available ones) or unknown parameter (the message
        names it and lists the accepted ones).
    """
    entry = _entry(name)
    accepted = dataset_params(name)
    unknown = sorted(set(params) - set(accepted))
    if unknown:
        raise ValueError(
            f"dataset {name!r} got unknown parameter(s) {', '.join(map(repr, unknown))}; "
            f"accepted: {', '.join(k for k in accepted if k != 'random_state')}"
        )
    result = entry.func(random_state=random_state, **params)
    if isinstance(result, Dataset):
        return result
    X, y = result
    if entry.task == "classification":
        n_classes = int(y.max()) + 1 if len(y) else 0
        target_names = list(_GENERATED_TARGETS.get(name, [f"class {k}" for k in range(n_classes)]))
    else:
        target_names = None
    return Dataset(
        name=name,
        X=X,
        y=y,
        task=entry.task,
        target_names=target_names,
        feature_names=[f"x{i}" for i in range(X.shape[1])],
        description=entry.description,
    )


def format_dataset_table() -> str:
    """A plain-text table of every dataset (for ``nnfs-lab datasets``), without loading any.

    Returns
    -------
    str
        One header line, one rule, one line per dataset.
    """
    rows = [("name", "source", "task", "default shape", "description")]
    rows += [(name, e.kind, e.task, e.shape, e.description) for name, e in _REGISTRY.items()]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = []
    for i, row in enumerate(rows):
        lines.append("  ".join(c.ljust(w) for c, w in zip(row[:4], widths)) + "  " + row[4])
        if i == 0:
            lines.append("  ".join("-" * w for w in widths) + "  " + "-" * len(row[4]))
    return "\n".join(lines)
