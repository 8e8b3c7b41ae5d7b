"""Workloads and peers of :mod:`nnfs_lab.bench`, and the interleaved timer.

A *peer* trains one network on one workload, a block of epochs at a time; :func:`interleave`
times the peers round-robin (A B C, B C A, C A B, ...) so that a burst of load from elsewhere on
the machine hits every peer alike, discards the warm-up rounds and keeps every timing, so that
paired ratios (peer / reference within the same round) can be taken.

All peers of a workload start from the same weights: scikit-learn's Glorot draw for
``random_state=seed`` (read off an MLPClassifier that took one SGD step with learning rate 1e-12),
copied into NNFSClassifier through an ``on_train_begin`` callback and into PyTorch's layers.
"""

from __future__ import annotations

import math
import os
import time
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "Workload",
    "Peer",
    "PEER_NAMES",
    "make_workload",
    "make_peers",
    "mlp_initial_weights",
    "interleave",
    "epoch_flops",
    "others_busy_cores",
]

#: Peers in table order. ``floor*`` time the epoch's matrix products alone.
PEER_NAMES = ("nnfs32", "nnfs64", "mlp64", "mlp32", "torch32", "floor32", "floor64")
_DTYPE = {
    "nnfs32": np.float32,
    "nnfs64": np.float64,
    "mlp64": np.float64,
    "mlp32": np.float32,
    "torch32": np.float32,
    "floor32": np.float32,
    "floor64": np.float64,
}


@dataclass
class Workload:
    """One dataset, network and batch size; ``X_*`` are float64, standardized."""

    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    hidden: tuple[int, ...]
    batch_size: int
    learning_rate: float = 1e-3
    epochs_per_block: int = 1
    small: bool = False
    seed: int = 0
    _cast: dict = field(default_factory=dict, repr=False)

    @property
    def n_classes(self) -> int:
        return int(self.y_train.max()) + 1

    @property
    def steps_per_epoch(self) -> int:
        return -(-self.X_train.shape[0] // self.batch_size)

    @property
    def layer_sizes(self) -> list[int]:
        return [self.X_train.shape[1], *self.hidden, self.n_classes]

    def data(self, dtype: Any) -> tuple[np.ndarray, np.ndarray]:
        """Train and test inputs in ``dtype``, cast once and shared by the peers."""
        key = np.dtype(dtype).name
        if key not in self._cast:
            self._cast[key] = (
                np.ascontiguousarray(self.X_train, dtype=dtype),
                np.ascontiguousarray(self.X_test, dtype=dtype),
            )
        return self._cast[key]


def epoch_flops(layer_sizes: list[int], n_samples: int) -> float:
    """Floating-point operations of one epoch's matrix products: forward ``x @ W`` per layer,
    backward ``x.T @ d`` per layer and ``d @ W.T`` for all but the first layer (whose input
    gradient no peer computes); 2 flops per multiply-add."""
    pairs = list(zip(layer_sizes[:-1], layer_sizes[1:]))
    macs = sum(3 * i * o for i, o in pairs) - pairs[0][0] * pairs[0][1]
    return 2.0 * macs * n_samples


# ----------------------------------------------------------------------------------- workloads


def synthetic_mnist(n_train: int, n_test: int, seed: int = 0) -> tuple[np.ndarray, ...]:
    """MNIST-shaped synthetic data: 784 features, 10 classes, two clusters per class in a
    40-dimensional latent space, mixed into 784 dimensions with a tanh and pixel noise."""
    rng = np.random.default_rng(seed)
    n, latent, k = n_train + n_test, 40, 10
    centers = rng.standard_normal((2 * k, latent)) * 0.55
    y = rng.integers(0, k, n)
    z = centers[2 * y + rng.integers(0, 2, n)]
    z += rng.standard_normal((n, latent))
    mix = rng.standard_normal((latent, 784)) / math.sqrt(latent)
    X = np.tanh(z @ mix)
    X += 0.5 * rng.standard_normal(X.shape)
    return _standardize(X[:n_train], X[n_train:]) + (y[:n_train], y[n_train:])


def _standardize(X_train: np.ndarray, X_test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean = X_train.mean(axis=0)
    std = X_train.std(axis=0)
    std[std == 0] = 1.0
    return (X_train - mean) / std, (X_test - mean) / std


def make_workload(
    kind: str, batch_size: int, *, quick: bool, min_batches: int, seed: int = 0, cache: dict
) -> Workload:
    """``kind`` is ``mnist`` (synthetic 60000 x 784, 784-128-64-10), ``digits`` (1797 x 64,
    64-128-64-10) or ``spiral`` (3000 x 2, 2-64-3). Data is built once per kind (``cache``)."""
    from sklearn.model_selection import train_test_split

    if kind not in cache:
        if kind == "mnist":
            n_train, n_test = (2000, 500) if quick else (60000, 10000)
            cache[kind] = synthetic_mnist(n_train, n_test, seed)
        elif kind == "digits":
            from sklearn.datasets import load_digits

            X, y = load_digits(return_X_y=True)
            parts = train_test_split(X / 16.0, y, test_size=0.2, stratify=y, random_state=seed)
            cache[kind] = (*_standardize(parts[0], parts[1]), parts[2], parts[3])
        elif kind == "spiral":
            from nnfs_lab.datasets import spiral

            X, y = spiral(300 if quick else 1000, 3, random_state=seed)
            parts = train_test_split(X, y, test_size=0.2, stratify=y, random_state=seed)
            cache[kind] = (parts[0], parts[1], parts[2], parts[3])
        else:
            raise ValueError(f"unknown workload {kind!r}")
    X_train, X_test, y_train, y_test = cache[kind]
    hidden = {"mnist": (128, 64), "digits": (128, 64), "spiral": (64,)}[kind]
    # Adam at 1e-3, except the spiral: at 1e-3 it is still in its slow early phase after the
    # benchmark's epochs, where one seed's accuracy swings by several points.
    lr = 0.01 if kind == "spiral" else 1e-3
    wl = Workload(
        f"{kind}/b{batch_size}",
        X_train,
        y_train,
        X_test,
        y_test,
        hidden,
        batch_size,
        learning_rate=lr,
        small=kind != "mnist",
        seed=seed,
    )
    if wl.small:
        # Small epochs take milliseconds: time blocks of epochs long enough to measure.
        wl.epochs_per_block = max(1, math.ceil(min_batches / wl.steps_per_epoch))
    return wl


def mlp_initial_weights(wl: Workload) -> list[tuple[np.ndarray, np.ndarray]]:
    """The weights ``MLPClassifier(random_state=wl.seed)`` starts from, as (W, b) float64 pairs.

    scikit-learn draws them inside the first ``fit``/``partial_fit``; one SGD step with learning
    rate 1e-12 moves them by ~1e-12, so the probe's coefficients are the initial draw.
    """
    from sklearn.neural_network import MLPClassifier

    k = wl.n_classes
    idx = np.concatenate([np.flatnonzero(wl.y_train == c)[:1] for c in range(k)])
    probe = MLPClassifier(
        wl.hidden,
        solver="sgd",
        learning_rate_init=1e-12,
        momentum=0.0,
        nesterovs_momentum=False,
        alpha=0.0,
        batch_size=len(idx),
        random_state=wl.seed,
    )
    probe.partial_fit(wl.X_train[idx], wl.y_train[idx], classes=np.arange(k))
    return [(w.copy(), b.copy()) for w, b in zip(probe.coefs_, probe.intercepts_)]


# ---------------------------------------------------------------------------------------- peers


class Peer:
    """Trains one network a block of epochs at a time."""

    name = ""

    def __init__(self, name: str, wl: Workload, init: list[tuple[np.ndarray, np.ndarray]]):
        self.name, self.wl, self.init = name, wl, init
        self.dtype = _DTYPE[name]
        self.X, self.X_test = wl.data(self.dtype)
        self.classes = np.arange(wl.n_classes)
        self.epochs = 0
        self.engine_seconds: list[float] = []

    def run_block(self) -> None:
        for _ in range(self.wl.epochs_per_block):
            self.epoch()
            self.epochs += 1

    def epoch(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def accuracy(self) -> float:
        return float("nan")


class _InitFrom:
    """Callback: load the shared initial weights when NNFSClassifier builds its network."""

    def __init__(self, init: list[tuple[np.ndarray, np.ndarray]]):
        self.init, self.done = init, False

    def on_train_begin(self, est: Any) -> None:
        if not self.done:
            est.model_.set_parameters(self.init)
            self.done = True


class NNFSPeer(Peer):
    """``NNFSClassifier.partial_fit``, one call per epoch (as MLPClassifier is timed)."""

    def __init__(self, name, wl, init):
        super().__init__(name, wl, init)
        from nnfs_lab import NNFSClassifier

        self.est = NNFSClassifier(
            wl.hidden,
            learning_rate=wl.learning_rate,
            batch_size=wl.batch_size,
            dtype=np.dtype(self.dtype).name,
            random_state=wl.seed,
            callbacks=[_InitFrom(init)],
        )

    def epoch(self):
        self.est.partial_fit(self.X, self.wl.y_train, classes=self.classes)
        self.engine_seconds.append(self.est.history_[-1]["seconds"])

    def accuracy(self):
        return float(self.est.score(self.X_test, self.wl.y_test))


class MLPPeer(Peer):
    """``MLPClassifier.partial_fit`` (Adam, same epsilon, no L2), one call per epoch."""

    def __init__(self, name, wl, init):
        super().__init__(name, wl, init)
        from sklearn.neural_network import MLPClassifier

        self.est = MLPClassifier(
            wl.hidden,
            solver="adam",
            learning_rate_init=wl.learning_rate,
            batch_size=wl.batch_size,
            alpha=0.0,
            epsilon=1e-7,
            random_state=wl.seed,
        )

    def epoch(self):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.est.partial_fit(self.X, self.wl.y_train, classes=self.classes)

    def accuracy(self):
        return float(self.est.score(self.X_test, self.wl.y_test))


class TorchPeer(Peer):
    """PyTorch CPU: the same layers, Adam and batch size; shuffled index batches, loss read back
    every step (as the other peers compute theirs)."""

    def __init__(self, name, wl, init):
        super().__init__(name, wl, init)
        import torch

        self.torch = torch
        layers: list = []
        for i, (w, b) in enumerate(init):
            lin = torch.nn.Linear(w.shape[0], w.shape[1])
            with torch.no_grad():
                lin.weight.copy_(torch.from_numpy(np.ascontiguousarray(w.T, np.float32)))
                lin.bias.copy_(torch.from_numpy(b.astype(np.float32)))
            layers.append(lin)
            if i < len(init) - 1:
                layers.append(torch.nn.ReLU())
        self.net = torch.nn.Sequential(*layers)
        self.opt = torch.optim.Adam(self.net.parameters(), lr=wl.learning_rate, eps=1e-7)
        self.loss = torch.nn.CrossEntropyLoss()
        self.Xt = torch.from_numpy(self.X)
        self.yt = torch.from_numpy(wl.y_train.astype(np.int64))
        self.gen = torch.Generator().manual_seed(wl.seed)

    def epoch(self):
        torch, n, bs = self.torch, self.Xt.shape[0], self.wl.batch_size
        perm = torch.randperm(n, generator=self.gen)
        total = 0.0
        for lo in range(0, n, bs):
            idx = perm[lo : lo + bs]
            xb, yb = self.Xt.index_select(0, idx), self.yt.index_select(0, idx)
            self.opt.zero_grad(set_to_none=True)
            loss = self.loss(self.net(xb), yb)
            loss.backward()
            self.opt.step()
            total += loss.item()

    def accuracy(self):
        with self.torch.no_grad():
            out = self.net(self.torch.from_numpy(self.X_test))
        return float((out.argmax(1).numpy() == self.wl.y_test).mean())


class FloorPeer(Peer):
    """The epoch's matrix products alone, into preallocated outputs, over contiguous batches:
    forward ``x @ W`` per layer, ``x.T @ d`` per layer, ``d @ W.T`` except for the first."""

    def __init__(self, name, wl, init):
        super().__init__(name, wl, init)
        rng = np.random.default_rng(wl.seed)
        self.W = [w.astype(self.dtype) for w, _ in init]
        self.dW = [np.empty_like(w) for w in self.W]
        n, bs = self.X.shape[0], wl.batch_size
        self.bufs = {}
        for rows in {bs, n - (wl.steps_per_epoch - 1) * bs}:
            acts = [np.empty((rows, w.shape[1]), self.dtype) for w in self.W]
            deltas = [rng.standard_normal((rows, w.shape[1])).astype(self.dtype) for w in self.W]
            self.bufs[rows] = (acts, deltas)

    def epoch(self):
        n, bs, W, dW = self.X.shape[0], self.wl.batch_size, self.W, self.dW
        for lo in range(0, n, bs):
            x = self.X[lo : lo + bs]
            acts, deltas = self.bufs[x.shape[0]]
            inp = x
            for w, a in zip(W, acts):
                np.matmul(inp, w, out=a)
                inp = a
            for i in range(len(W) - 1, -1, -1):
                np.matmul((acts[i - 1] if i else x).T, deltas[i], out=dW[i])
                if i:
                    np.matmul(deltas[i], W[i].T, out=deltas[i - 1])


def _torch_available() -> str | None:
    try:
        import torch  # noqa: F401
    except ImportError as exc:
        return f"torch is not importable ({exc}); `pip install torch` to add the row"
    return None


def make_peers(wl: Workload, names: list[str], threads: int) -> tuple[list[Peer], dict]:
    """Build the requested peers; returns ``(peers, skipped)`` with a reason per skipped peer."""
    init = mlp_initial_weights(wl)
    classes = {"nnfs": NNFSPeer, "mlp": MLPPeer, "torch": TorchPeer, "floor": FloorPeer}
    peers, skipped = [], {}
    for name in names:
        if name.startswith("torch"):
            why = _torch_available()
            if why:
                skipped[name] = why
                continue
            import torch

            torch.set_num_threads(threads)
        peers.append(classes[name.rstrip("0123456789")](name, wl, init))
    return peers, skipped


# ---------------------------------------------------------------------------------------- timer


def _machine_busy_seconds() -> float | None:
    """CPU seconds the whole machine has spent busy (Linux ``/proc/stat``), else None."""
    try:
        with open("/proc/stat") as fh:
            fields = [float(v) for v in fh.readline().split()[1:]]
    except OSError:
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0.0)
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def others_busy_cores(seconds: float) -> float | None:
    """Cores the rest of the machine keeps busy, sampled over ``seconds`` (None off Linux)."""
    busy0, own0, t0 = _machine_busy_seconds(), _own_cpu(), time.perf_counter()
    if busy0 is None:
        return None
    time.sleep(seconds)
    busy1 = _machine_busy_seconds()
    return max(0.0, (busy1 - busy0 - (_own_cpu() - own0)) / (time.perf_counter() - t0))


def _own_cpu() -> float:
    t = os.times()
    return t.user + t.system


def interleave(peers: list[Peer], rounds: int, warmup: int) -> dict[str, Any]:
    """Time ``rounds`` blocks of every peer, rotating the order each round.

    Returns ``{"times": {peer: [s, ...]}, "cpu": {peer: [cpu/wall, ...]}, "others_cores": x}``
    with the first ``warmup`` rounds dropped; ``others_cores`` is the mean number of cores the
    rest of the machine kept busy meanwhile (a noise gauge; None off Linux).
    """
    times: dict[str, list[float]] = {p.name: [] for p in peers}
    cpu: dict[str, list[float]] = {p.name: [] for p in peers}
    busy0, own0, wall0 = _machine_busy_seconds(), _own_cpu(), time.perf_counter()
    for r in range(rounds):
        if r == warmup:
            busy0, own0, wall0 = _machine_busy_seconds(), _own_cpu(), time.perf_counter()
        k = r % len(peers)
        for peer in peers[k:] + peers[:k]:
            c0, t0 = time.process_time(), time.perf_counter()
            peer.run_block()
            dt = time.perf_counter() - t0
            if r >= warmup:
                times[peer.name].append(dt)
                cpu[peer.name].append((time.process_time() - c0) / dt)
    wall = time.perf_counter() - wall0
    busy1 = _machine_busy_seconds()
    others = None
    if busy0 is not None and busy1 is not None and wall > 0:
        others = max(0.0, (busy1 - busy0 - (_own_cpu() - own0)) / wall)
    return {"times": times, "cpu": cpu, "others_cores": others}
