"""Generated damaged model files: truncations, bit flips and header mutations of saved
estimators and engine models. Each load raises ModelFileError, or returns a model whose
predictions are bit-identical to the original's (a harmless change, e.g. in zip padding)."""

from __future__ import annotations

import io
import json
import os
import warnings
import zipfile

import numpy as np
import pytest

from nnfs_lab import NNFSClassifier, NNFSRegressor
from nnfs_lab.nn import Model, ModelFileError
from nnfs_lab.nn.io import write_archive

SCALE = 5 if os.environ.get("NNFS_FULL_SUITE", "") not in ("", "0") else 1
X = np.random.default_rng(0).normal(size=(30, 3))
Y = np.arange(30) % 3


@pytest.fixture(scope="module")
def originals(tmp_path_factory):
    """kind -> (file bytes, loader, predictions of the original)."""
    d = tmp_path_factory.mktemp("models")
    clf = NNFSClassifier((4,), max_epochs=3, n_iter_no_change=1, random_state=0).fit(X, Y)
    reg = NNFSRegressor((4,), max_epochs=3, n_iter_no_change=1, random_state=0).fit(X, X[:, 0])
    out = {}
    for name, est in (("clf", clf), ("reg", reg)):
        est.save(d / f"{name}.npz")
        pred = est.predict_proba(X) if name == "clf" else est.predict(X)
        out[name] = ((d / f"{name}.npz").read_bytes(), type(est).load, pred)
    clf.model_.save(d / "model.npz")
    out["model"] = ((d / "model.npz").read_bytes(), Model.load, clf.model_.predict(X))
    return out


def _members(blob: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(blob)) as z:
        return {n: z.read(n) for n in z.namelist()}


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for n, b in members.items():
            z.writestr(n, b)
    return buf.getvalue()


def _header_blob(header) -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.frombuffer(json.dumps(header).encode(), dtype=np.uint8))
    return buf.getvalue()


def _with_header(blob: bytes, edit) -> bytes:
    members = _members(blob)
    meta = np.load(io.BytesIO(members["__meta__.npy"]))
    header = json.loads(meta.tobytes())
    members["__meta__.npy"] = _header_blob(edit(header))
    return _zip(members)


def _set_path(header: dict, r: np.random.Generator):
    """Replace, delete or retype one entry somewhere in the header."""
    node, path = header, []
    while isinstance(node, dict) and node and r.random() < 0.6:
        key = list(node)[int(r.integers(len(node)))]
        if not isinstance(node[key], dict):
            break
        node, path = node[key], [*path, key]
    if not isinstance(node, dict) or not node:
        return [1, 2]
    key = list(node)[int(r.integers(len(node)))]
    choice = int(r.integers(6))
    if choice == 0:
        del node[key]
    else:
        node[key] = [None, "x", -1, 1e308, {"a": 1}][choice - 1]
    return header


HEADER_EDITS = [
    lambda h, r: [h],  # an array, not an object
    lambda h, r: "a string",
    lambda h, r: 42,
    lambda h, r: None,
    lambda h, r: {k: v for k, v in h.items() if k not in ("fitted", "extra")},
    lambda h, r: {**h, "fitted": {**h.get("fitted", {}), "predict": "boom"}},
    lambda h, r: {**h, "version": int(r.integers(-1, 99))},
    lambda h, r: {**h, "kind": "parameters"},
    lambda h, r: {**h, "sha256": "0" * 64},
    lambda h, r: _set_path(h, r),
]


def _cases() -> list:
    r = np.random.default_rng(11)
    cases = []
    for i in range(100 * SCALE):
        kind = ["clf", "reg", "model"][i % 3]
        hows = ["truncate", "flip", "header", "resigned", "resigned", "npy", "member"]
        how = hows[int(r.integers(len(hows)))]
        cases.append(pytest.param(kind, how, int(r.integers(1 << 30)), id=f"{kind}-{how}-{i}"))
    return cases


def _resigned(blob: bytes, r: np.random.Generator, path) -> bytes:
    """A header edit with a valid checksum (as a careless tool would write it): only the
    loader's own checks of the header's content stand between it and the estimator."""
    members = _members(blob)
    header = json.loads(np.load(io.BytesIO(members.pop("__meta__.npy"))).tobytes())
    edit = HEADER_EDITS[4 + int(r.integers(len(HEADER_EDITS) - 4))]
    header = edit(header, r)
    if not isinstance(header, dict):
        return _zip({**members, "__meta__.npy": _header_blob(header)})
    arrays = {n[:-4]: np.load(io.BytesIO(b)) for n, b in members.items()}
    kind = header.get("kind") if isinstance(header.get("kind"), str) else "estimator"
    meta = {k: v for k, v in header.items() if k not in ("format", "kind", "version", "sha256")}
    write_archive(path, kind, meta, arrays)
    return path.read_bytes()


def _damage(blob: bytes, how: str, r: np.random.Generator, path) -> bytes:
    if how == "resigned":
        return _resigned(blob, r, path)
    if how == "truncate":
        return blob[: int(r.integers(0, len(blob)))]
    if how == "flip":
        data = bytearray(blob)
        for _ in range(int(r.integers(1, 4))):
            pos = int(r.integers(len(data)))
            data[pos] ^= 1 << int(r.integers(8))
        return bytes(data)
    if how == "header":
        edit = HEADER_EDITS[int(r.integers(len(HEADER_EDITS)))]
        return _with_header(blob, lambda h: edit(h, r))
    if how == "npy":  # a plain array file under the model's name
        buf = io.BytesIO()
        np.save(buf, r.normal(size=int(r.integers(1, 10))))
        return buf.getvalue()
    members = _members(blob)  # drop or swap an array member
    names = [n for n in members if n != "__meta__.npy"]
    victim = names[int(r.integers(len(names)))]
    if r.random() < 0.5:
        del members[victim]
    else:
        buf = io.BytesIO()
        np.save(buf, np.zeros(int(r.integers(1, 5))))
        members[victim] = buf.getvalue()
    return _zip(members)


@pytest.mark.parametrize("kind, how, seed", _cases())
def test_damaged_files(tally, tmp_path, originals, kind, how, seed):
    blob, load, expected = originals[kind]
    path = tmp_path / "damaged.npz"
    path.write_bytes(_damage(blob, how, np.random.default_rng(seed), path))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = load(path)
    except ModelFileError as exc:
        assert str(path) in str(exc) or "model file" in str(exc), str(exc)
        tally("model files", "clear error")
        return
    pred = model.predict_proba(X) if kind == "clf" else model.predict(X)
    assert np.array_equal(pred, expected), "a damaged file loaded with different predictions"
    tally("model files", "valid result")
