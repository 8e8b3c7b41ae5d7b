"""Sparse input: CSR/CSC accepted by fit and predict, the first layer's product done sparse."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from nnfs_lab import NNFSClassifier, NNFSRegressor
from nnfs_lab.nn import Dense

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def sparse_data():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((120, 30)) * (rng.random((120, 30)) < 0.1)
    y = (X[:, :3].sum(axis=1) > 0).astype(int)
    return X, y


@pytest.mark.parametrize("fmt", [sparse.csr_matrix, sparse.csc_matrix, sparse.csr_array])
@pytest.mark.parametrize("cls", [NNFSClassifier, NNFSRegressor])
def test_sparse_fit_and_predict_match_dense(sparse_data, fmt, cls):
    X, y = sparse_data
    kw = dict(hidden_layer_sizes=(16,), max_epochs=5, batch_size=32, random_state=0)
    dense, sp = cls(**kw).fit(X, y), cls(**kw).fit(fmt(X), y)
    for a, b in zip(dense.coefs_ + dense.intercepts_, sp.coefs_ + sp.intercepts_):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(sp.predict(fmt(X)), dense.predict(X), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(sp.predict(X), dense.predict(X), rtol=1e-10, atol=1e-12)


def test_sparse_with_early_stopping_and_partial_fit(sparse_data):
    X, y = sparse_data
    Xs = sparse.csr_matrix(X)
    est = NNFSClassifier((8,), max_epochs=5, early_stopping=True, random_state=0).fit(Xs, y)
    assert len(est.validation_scores_) == est.n_iter_
    inc = NNFSClassifier((8,), random_state=0).partial_fit(Xs, y, classes=[0, 1])
    assert inc.predict(Xs).shape == (X.shape[0],)


def test_dense_layer_never_densifies_a_sparse_batch(monkeypatch):
    """The first layer multiplies the sparse batch itself: ``toarray``/``todense`` never run."""
    rng = np.random.default_rng(1)
    X = sparse.random(40, 50, density=0.05, format="csr", random_state=1)
    for name in ("toarray", "todense"):
        monkeypatch.setattr(type(X), name, lambda *a, **k: pytest.fail("densified"))
    layer = Dense(50, 4, rng=rng)
    out = layer.forward(X, training=True)
    layer.backward(np.ones_like(out))
    monkeypatch.undo()
    np.testing.assert_allclose(out, X.toarray() @ layer.weights + layer.biases)
    np.testing.assert_allclose(layer.dweights, X.toarray().T @ np.ones_like(out))
