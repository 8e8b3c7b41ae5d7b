"""Persistence: save/load archives, pickles made before the package layout, MLflow's flavor."""

from __future__ import annotations

import pickle
import pickletools
import warnings
from pathlib import Path

import numpy as np
import pytest

from nnfs_lab import NNFSClassifier, NNFSRegressor
from nnfs_lab.nn import ModelFileError

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

DATA = Path(__file__).resolve().parents[1] / "data"


def _pickled_globals(payload: bytes) -> set[tuple[str, str]]:
    """(module, name) of every class a pickle refers to by reference."""
    found, strings = set(), []
    for op, arg, _ in pickletools.genops(payload):
        if isinstance(arg, str):
            strings.append(arg)
        if op.name == "STACK_GLOBAL":
            found.add((strings[-2], strings[-1]))
        elif op.name == "GLOBAL":
            found.add(tuple(arg.split(" ", 1)))
    return found


def test_models_pickled_before_the_layout_change_still_load():
    """Fitted with nnfs_lab 0.1.0 (one ``estimators.py``), pickled with cloudpickle by
    reference; predictions must come back bit for bit."""
    cloudpickle = pytest.importorskip("cloudpickle")
    payload = (DATA / "models_v0_1_0.cloudpickle").read_bytes()
    assert ("nnfs_lab.estimators", "NNFSClassifier") in _pickled_globals(payload)
    models = cloudpickle.loads(payload)
    with np.load(DATA / "models_v0_1_0_expected.npz") as expected:
        X, proba, reg = expected["X"], expected["proba"], expected["reg"]
    assert isinstance(models["classifier"][-1], NNFSClassifier)
    assert isinstance(models["regressor"], NNFSRegressor)
    np.testing.assert_array_equal(models["classifier"].predict_proba(X), proba)
    np.testing.assert_array_equal(models["regressor"].predict(X), reg)
    # Loaded models keep training: warm state and the architecture fingerprint came back.
    models["regressor"].partial_fit(X, reg)
    assert models["regressor"].n_iter_ == len(models["regressor"].history_)


@pytest.mark.parametrize("cls", [NNFSClassifier, NNFSRegressor])
def test_new_pickles_name_the_stable_public_module(blobs, small, cls):
    X, y = blobs
    est = small(cls, max_epochs=2).fit(X, y)
    payload = pickle.dumps(est)
    refs = _pickled_globals(payload)
    assert ("nnfs_lab.estimators", cls.__name__) in refs
    assert not any(m.startswith("nnfs_lab.estimators.") for m, _ in refs)
    np.testing.assert_array_equal(pickle.loads(payload).predict(X), est.predict(X))


def test_save_load_round_trip(tmp_path, blobs, small):
    import pandas as pd

    X, y = blobs
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    labels = np.array(["a", "b", "c"], object)[y]
    est = small(dropout=0.1, max_epochs=10).fit(frame, labels)
    est.save(tmp_path / "clf.npz")
    back = NNFSClassifier.load(tmp_path / "clf.npz")
    np.testing.assert_array_equal(back.predict_proba(frame), est.predict_proba(frame))
    np.testing.assert_array_equal(back.predict(frame), est.predict(frame))
    assert back.get_params() == est.get_params()
    assert list(back.feature_names_in_) == list(frame.columns)
    assert back.history_ == est.history_
    # the optimizer state came back too: continuing training matches
    est.partial_fit(frame, labels)
    back.partial_fit(frame, labels)
    np.testing.assert_array_equal(back.coefs_[0], est.coefs_[0])
    with pytest.raises(ModelFileError, match="NNFSClassifier"):
        NNFSRegressor.load(tmp_path / "clf.npz")

    reg = small(NNFSRegressor).fit(X, X[:, 0])
    reg.save(tmp_path / "reg.npz")
    np.testing.assert_array_equal(
        NNFSRegressor.load(tmp_path / "reg.npz").predict(X), reg.predict(X)
    )


def test_save_load_keeps_integer_class_weight_labels(tmp_path, blobs, small):
    est = small(class_weight={0: 2.0, 2: 0.5}).fit(*blobs)
    est.save(tmp_path / "clf.npz")
    assert NNFSClassifier.load(tmp_path / "clf.npz").class_weight == {0: 2.0, 2: 0.5}


def test_mlflow_sklearn_flavor_round_trip(tmp_path, monkeypatch, blobs, small):
    mlflow = pytest.importorskip("mlflow")
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    monkeypatch.chdir(tmp_path)
    X, y = blobs
    pipe = make_pipeline(StandardScaler(), small(max_epochs=10)).fit(X, y)
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with mlflow.start_run():
            info = mlflow.sklearn.log_model(
                pipe,
                name="model",
                serialization_format="cloudpickle",
                pip_requirements=["scikit-learn", "numpy"],
            )
        served = mlflow.pyfunc.load_model(info.model_uri)
    np.testing.assert_array_equal(served.predict(X), pipe.predict(X))


# -- issue 16, item 11: every malformed file is a ModelFileError ------------------------------


def _fitted_file(tmp_path):
    from sklearn.datasets import load_iris

    from nnfs_lab import NNFSClassifier

    X, y = load_iris(return_X_y=True)
    path = tmp_path / "clf.npz"
    NNFSClassifier((4,), max_epochs=2, random_state=0).fit(X, y).save(path)
    return path


def _rewrite_header(path, edit, resign: bool):
    import json

    from nnfs_lab.nn.io import write_archive

    with np.load(path) as npz:
        header = json.loads(npz["__meta__"].tobytes())
        arrays = {k: npz[k] for k in npz.files if k != "__meta__"}
    header = edit(header)
    if resign:  # a valid checksum: only the content checks can refuse it
        meta = {k: v for k, v in header.items() if k not in ("format", "kind", "version", "sha256")}
        write_archive(path, "estimator", meta, arrays)
    else:
        blob = np.frombuffer(json.dumps(header).encode(), np.uint8)
        np.savez(path, __meta__=blob, **arrays)


@pytest.mark.parametrize(
    "edit, resign, words",
    [
        (lambda h: [h], False, "not an object"),
        (lambda h: {k: v for k, v in h.items() if k != "fitted"}, True, "lacks the entry 'fitted'"),
        (lambda h: {k: v for k, v in h.items() if k != "extra"}, True, "lacks the entry 'extra'"),
        (lambda h: {**h, "fitted": {**h["fitted"], "predict": 1}}, True, "unknown attributes"),
        (lambda h: {**h, "n_features_in": 7}, False, "checksum mismatch"),
        (lambda h: {**h, "n_features_in": 7}, True, "disagrees"),
        (lambda h: {**h, "params": {**h["params"], "dropout": 3}}, True, "dropout"),
    ],
)  # fmt: skip
def test_malformed_headers_are_model_file_errors(tmp_path, edit, resign, words):
    from nnfs_lab import NNFSClassifier

    path = _fitted_file(tmp_path)
    _rewrite_header(path, edit, resign)
    with pytest.raises(ModelFileError, match=words):
        NNFSClassifier.load(path)


def test_a_plain_npy_file_is_a_model_file_error(tmp_path):
    from nnfs_lab import NNFSClassifier

    path = tmp_path / "plain.npy"
    np.save(path, np.zeros(3))
    with pytest.raises(ModelFileError, match="plain .npy"):
        NNFSClassifier.load(path)


def test_version_1_files_still_load(tmp_path):
    import hashlib
    import json

    from nnfs_lab import NNFSClassifier

    path = _fitted_file(tmp_path)
    expected = NNFSClassifier.load(path).predict_proba(np.ones((2, 4)))
    with np.load(path) as npz:
        header = json.loads(npz["__meta__"].tobytes())
        arrays = {k: npz[k] for k in npz.files if k != "__meta__"}
    h = hashlib.sha256()  # version 1's checksum: the arrays only
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        h.update(f"{name}|{a.dtype.str}|{a.shape}|".encode())
        h.update(a.tobytes())
    header.update(version=1, sha256=h.hexdigest())
    np.savez(path, __meta__=np.frombuffer(json.dumps(header).encode(), np.uint8), **arrays)
    assert np.array_equal(NNFSClassifier.load(path).predict_proba(np.ones((2, 4))), expected)
