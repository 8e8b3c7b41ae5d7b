"""The peers :mod:`nnfs_lab.bench` times: each trains one network a block of epochs at a time.

``nnfs32``/``nnfs64`` are ``NNFSClassifier.partial_fit``, ``mlp64``/``mlp32`` scikit-learn's
``MLPClassifier.partial_fit`` on float64 and float32 input, ``torch32`` a PyTorch CPU loop (when
``torch`` is importable) and ``floor32``/``floor64`` the epoch's matrix products alone. All start
from the workload's shared initial weights (:func:`~nnfs_lab.bench.workloads.mlp_initial_weights`).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from nnfs_lab.bench.workloads import Workload, mlp_initial_weights

__all__ = [
    "PEER_DTYPES",
    "PEER_NAMES",
    "FloorPeer",
    "MLPPeer",
    "NNFSPeer",
    "Peer",
    "TorchPeer",
    "make_peers",
    "torch_available",
]

#: Peers in table order. ``floor*`` time the epoch's matrix products alone.
PEER_NAMES = ("nnfs32", "nnfs64", "mlp64", "mlp32", "torch32", "floor32", "floor64")
#: The dtype each peer computes in (and is fed).
PEER_DTYPES = {
    "nnfs32": np.float32,
    "nnfs64": np.float64,
    "mlp64": np.float64,
    "mlp32": np.float32,
    "torch32": np.float32,
    "floor32": np.float32,
    "floor64": np.float64,
}

Weights = list[tuple[np.ndarray, np.ndarray]]


class Peer:
    """Trains one network a block of epochs at a time.

    Parameters
    ----------
    name : str
        One of :data:`PEER_NAMES`.
    wl : Workload
        Data, network and batch size.
    init : list of (ndarray, ndarray)
        The shared initial weights, ``(W, b)`` per layer.
    """

    def __init__(self, name: str, wl: Workload, init: Weights):
        self.name, self.wl, self.init = name, wl, init
        self.dtype = PEER_DTYPES[name]
        self.X, self.X_test = wl.data(self.dtype)
        self.classes = np.arange(wl.n_classes)
        self.epochs = 0
        # Seconds per epoch as the engine itself measured them (NNFS only): what the epoch
        # costs without the estimator's per-call validation.
        self.engine_seconds: list[float] = []

    def run_block(self) -> None:
        """Train ``wl.epochs_per_block`` epochs."""
        for _ in range(self.wl.epochs_per_block):
            self.epoch()
            self.epochs += 1

    def epoch(self) -> None:  # pragma: no cover - abstract
        """Train one epoch."""
        raise NotImplementedError

    def accuracy(self) -> float:
        """Test accuracy (NaN for peers that do not predict)."""
        return float("nan")


class _InitFrom:
    """Callback: load the shared initial weights when NNFSClassifier builds its network."""

    def __init__(self, init: Weights):
        self.init, self.done = init, False

    def on_train_begin(self, est: Any) -> None:
        if not self.done:
            est.model_.set_parameters(self.init)
            self.done = True


class NNFSPeer(Peer):
    """``NNFSClassifier.partial_fit``, one call per epoch (as MLPClassifier is timed)."""

    def __init__(self, name: str, wl: Workload, init: Weights):
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

    def epoch(self) -> None:
        self.est.partial_fit(self.X, self.wl.y_train, classes=self.classes)
        self.engine_seconds.append(self.est.history_[-1]["seconds"])

    def accuracy(self) -> float:
        return float(self.est.score(self.X_test, self.wl.y_test))


class MLPPeer(Peer):
    """``MLPClassifier.partial_fit`` (Adam, same epsilon, no L2), one call per epoch."""

    def __init__(self, name: str, wl: Workload, init: Weights):
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

    def epoch(self) -> None:
        with warnings.catch_warnings():
            # ConvergenceWarning after every partial_fit: the epoch budget is ours.
            warnings.simplefilter("ignore")
            self.est.partial_fit(self.X, self.wl.y_train, classes=self.classes)

    def accuracy(self) -> float:
        return float(self.est.score(self.X_test, self.wl.y_test))


class TorchPeer(Peer):
    """PyTorch CPU: the same layers, Adam and batch size.

    Shuffled index batches; the loss is read back every step, as the other peers compute
    theirs, so that no peer skips the device-to-host synchronisation the others pay.
    """

    def __init__(self, name: str, wl: Workload, init: Weights):
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

    def epoch(self) -> None:
        torch, n, bs = self.torch, self.Xt.shape[0], self.wl.batch_size
        perm = torch.randperm(n, generator=self.gen)
        for lo in range(0, n, bs):
            idx = perm[lo : lo + bs]
            xb, yb = self.Xt.index_select(0, idx), self.yt.index_select(0, idx)
            self.opt.zero_grad(set_to_none=True)
            loss = self.loss(self.net(xb), yb)
            loss.backward()
            self.opt.step()
            loss.item()

    def accuracy(self) -> float:
        with self.torch.no_grad():
            out = self.net(self.torch.from_numpy(self.X_test))
        return float((out.argmax(1).numpy() == self.wl.y_test).mean())


class FloorPeer(Peer):
    """The epoch's matrix products alone, into preallocated outputs, over contiguous batches.

    Forward ``x @ W`` per layer, ``x.T @ d`` per layer, ``d @ W.T`` except for the first: what
    no implementation of the same network can avoid, so ``peer / floor`` is its overhead.
    """

    def __init__(self, name: str, wl: Workload, init: Weights):
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

    def epoch(self) -> None:
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


def torch_available() -> str | None:
    """None when ``torch`` imports, else why not (printed in place of the torch row)."""
    try:
        import torch  # noqa: F401
    except ImportError as exc:
        return f"torch is not importable ({exc}); `pip install torch` to add the row"
    return None


_PEER_CLASSES = {"nnfs": NNFSPeer, "mlp": MLPPeer, "torch": TorchPeer, "floor": FloorPeer}


def make_peers(wl: Workload, names: list[str], threads: int) -> tuple[list[Peer], dict]:
    """Build the requested peers from the workload's shared initial weights.

    Parameters
    ----------
    wl : Workload
    names : list of str
        Peers of :data:`PEER_NAMES`, in timing order.
    threads : int
        PyTorch's intra-op threads (BLAS threads are limited by the caller).

    Returns
    -------
    peers : list of Peer
    skipped : dict
        Peer name -> reason, for peers that cannot run here.
    """
    init = mlp_initial_weights(wl)
    peers, skipped = [], {}
    for name in names:
        if name.startswith("torch"):
            why = torch_available()
            if why:
                skipped[name] = why
                continue
            import torch

            torch.set_num_threads(threads)
        peers.append(_PEER_CLASSES[name.rstrip("0123456789")](name, wl, init))
    return peers, skipped
