"""Saving and loading a :class:`~nnfs_lab.nn.model.Model`: parameters alone, or the whole model
(architecture, loss, optimizer with its state, parameters) as one checksummed archive.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import numpy as np

from . import activations as A
from . import losses as L
from . import metrics as M
from . import optimizers as O
from .io import ModelFileError, read_archive, write_archive
from .layers import Dense, Dropout

if TYPE_CHECKING:
    from .model import Model

__all__ = ["ModelArchive"]

_REGISTRY: dict[str, type] = {
    cls.__name__: cls
    for cls in (
        Dense,
        Dropout,
        A.ReLU,
        A.Sigmoid,
        A.Tanh,
        A.Softmax,
        A.Linear,
        L.CategoricalCrossentropy,
        L.BinaryCrossentropy,
        L.MeanSquaredError,
        L.MeanAbsoluteError,
        O.SGD,
        O.Adagrad,
        O.RMSprop,
        O.Adam,
        M.CategoricalAccuracy,
        M.RegressionAccuracy,
        M.R2Score,
    )
}


def _build(spec: dict[str, Any]) -> Any:
    if not isinstance(spec, dict):
        raise ModelFileError(f"a component of the model file is a {type(spec).__name__}")
    cls = _REGISTRY.get(spec.get("type", ""))
    if cls is None:
        raise ModelFileError(f"unknown component type {spec.get('type')!r} in model file")
    return cls(**spec.get("config", {}))


def _spec(obj: Any) -> dict[str, Any] | None:
    return None if obj is None else {"type": type(obj).__name__, "config": obj.get_config()}


class ModelArchive:
    """Persistence of a Model (a mixin: it reads the model's layers, loss and optimizer)."""

    def get_parameters(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """Copies of ``(weights, biases)`` for every Dense layer."""
        dense = [layer for layer in self.layers if isinstance(layer, Dense)]
        return [(layer.weights.copy(), layer.biases.copy()) for layer in dense]

    def set_parameters(self, parameters: list[tuple[np.ndarray, np.ndarray]]) -> None:
        dense = [layer for layer in self.layers if isinstance(layer, Dense)]
        if len(parameters) != len(dense):
            raise ValueError(f"got parameters for {len(parameters)} layers, model has {len(dense)}")
        for layer, (w, b) in zip(dense, parameters):
            layer.set_weights(w, b)

    def _param_arrays(self) -> dict[str, np.ndarray]:
        out = {}
        for i, (w, b) in enumerate(self.get_parameters()):
            out[f"dense{i}.weights"], out[f"dense{i}.biases"] = w, b
        return out

    def _params_from_arrays(self, arrays: dict[str, np.ndarray]) -> list:
        n = len([layer for layer in self.layers if isinstance(layer, Dense)])
        try:
            return [(arrays[f"dense{i}.weights"], arrays[f"dense{i}.biases"]) for i in range(n)]
        except KeyError as exc:
            raise ModelFileError(f"parameter file lacks array {exc}") from None

    def save_parameters(self, path: str | os.PathLike) -> None:
        """Save weights and biases only (load them into a model of the same architecture)."""
        write_archive(path, "parameters", {}, self._param_arrays())

    def load_parameters(self, path: str | os.PathLike) -> None:
        _, arrays = read_archive(path, "parameters")
        try:
            self.set_parameters(self._params_from_arrays(arrays))
        except ValueError as exc:
            raise ModelFileError(f"{path}: parameters do not fit this model ({exc})") from exc

    def to_archive(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """JSON-ready description and named arrays (parameters and optimizer state)."""
        arrays = self._param_arrays()
        opt_state = None
        if self.optimizer is not None:
            st = self.optimizer.get_state()
            opt_state = {"iterations": st["iterations"], "arrays": {}}
            for name, arrs in st["arrays"].items():
                opt_state["arrays"][name] = len(arrs)
                for i, a in enumerate(arrs):
                    arrays[f"opt.{name}.{i}"] = a
        meta = {
            "layers": [_spec(layer) for layer in self.layers],
            "loss": _spec(self.loss),
            "optimizer": _spec(self.optimizer),
            "optimizer_state": opt_state,
            "accuracy": _spec(self.accuracy),
            "accuracy_precision": getattr(self.accuracy, "precision", None),
        }
        return meta, arrays

    @classmethod
    def from_archive(
        cls,
        meta: dict[str, Any],
        arrays: dict[str, np.ndarray],
        *,
        source: str = "archive",
        random_state: Any = None,
    ) -> Model:
        """Inverse of :meth:`to_archive`; any inconsistency is a :class:`ModelFileError`."""
        try:
            return cls._from_archive(meta, arrays, source, random_state)
        except ModelFileError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError, IndexError, MemoryError) as exc:
            raise ModelFileError(
                f"{source}: invalid model description ({type(exc).__name__}: {exc})"
            ) from exc

    @classmethod
    def _from_archive(cls, meta, arrays, source, random_state) -> Model:
        model = cls(random_state=random_state)
        for spec in meta["layers"]:
            model.add(_build(spec))
        model.set(
            loss=_build(meta["loss"]) if meta["loss"] else None,
            optimizer=_build(meta["optimizer"]) if meta["optimizer"] else None,
            accuracy=_build(meta["accuracy"]) if meta["accuracy"] else None,
        )
        if meta.get("accuracy_precision") is not None:
            model.accuracy.precision = meta["accuracy_precision"]
        model.finalize()
        model.set_parameters(model._params_from_arrays(arrays))
        st = meta.get("optimizer_state")
        if st and model.optimizer is not None:
            try:
                state_arrays = {
                    name: [arrays[f"opt.{name}.{i}"] for i in range(count)]
                    for name, count in st["arrays"].items()
                }
            except KeyError as exc:
                raise ModelFileError(f"{source}: optimizer state lacks array {exc}") from None
            model.optimizer.set_state({"iterations": st["iterations"], "arrays": state_arrays})
        return model

    def save(self, path: str | os.PathLike) -> None:
        """Save architecture, loss, optimizer (with its state) and parameters; see :meth:`load`."""
        meta, arrays = self.to_archive()
        write_archive(path, "model", meta, arrays)

    @classmethod
    def load(cls, path: str | os.PathLike, *, random_state: Any = None) -> Model:
        """Rebuild a model saved by :meth:`save`; predictions are bit-identical."""
        meta, arrays = read_archive(path, "model")
        return cls.from_archive(meta, arrays, source=str(path), random_state=random_state)
