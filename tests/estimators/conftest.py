"""Fixtures shared by the estimator tests: a small 3-class problem and a small-network factory."""

from __future__ import annotations

import pytest
from sklearn.datasets import make_classification

from nnfs_lab import NNFSClassifier


@pytest.fixture(scope="module")
def blobs():
    X, y = make_classification(
        n_samples=300, n_features=6, n_informative=4, n_classes=3, random_state=0
    )
    return X, y


def _small(cls=NNFSClassifier, **kw):
    kw = {
        "hidden_layer_sizes": (16,),
        "max_epochs": 5,
        "learning_rate": 0.01,
        "batch_size": 32,
        "random_state": 0,
        **kw,
    }
    return cls(**kw)


@pytest.fixture
def small():
    """``small(cls=NNFSClassifier, **params)``: a 16-unit network, 5 epochs, seeded."""
    return _small
