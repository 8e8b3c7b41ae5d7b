"""NNFSClassifier: softmax or sigmoid outputs with cross-entropy, labels through ``classes_``."""

from __future__ import annotations

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.utils import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import column_or_1d

from nnfs_lab.nn import (
    BinaryCrossentropy,
    CategoricalAccuracy,
    CategoricalCrossentropy,
    Sigmoid,
    Softmax,
)

from ._base import BaseNNFS
from ._guards import check_classes, check_labels

__all__ = ["NNFSClassifier"]


class NNFSClassifier(ClassifierMixin, BaseNNFS):
    """Multilayer perceptron classifier trained by the from-scratch NumPy engine.

    Multiclass targets get a softmax output with categorical cross-entropy; binary targets and
    multilabel indicator matrices get sigmoid outputs with binary cross-entropy (for multilabel
    targets summed over labels and averaged over samples, as MLPClassifier's). A ``y`` with one
    class is fitted and always predicted, as MLPClassifier does (``predict_proba`` is a column
    of ones). ``X`` may be a SciPy CSR/CSC matrix or array: the first layer multiplies it
    sparse, it is never densified.

    Deliberate differences from ``MLPClassifier`` (same names otherwise):

    - ``l2`` is the book's penalty ``l2 * sum(W**2)`` added to each batch's mean loss; MLP's
      ``alpha`` adds ``alpha / 2 * sum(W**2) / batch_size``. Equivalent: ``l2 = alpha / (2 n)``
      with ``n`` the batch size (``min(200, n_samples)`` for ``'auto'``).
    - ``n_iter_`` is the epochs of the last ``fit`` (as MLP) but keeps counting over
      ``partial_fit`` calls (MLP reports 1); ``history_``, ``loss_curve_`` and the callbacks'
      ``epoch`` count every epoch of the model, warm starts included.
    - A non-finite loss or weight raises :class:`~nnfs_lab.nn.DivergenceError` (a
      ``ValueError``) and leaves the estimator unfitted; with ``early_stopping`` the best
      epoch's weights are restored instead, with a ``ConvergenceWarning``, as MLP does.
    - ``max_epochs``, ``learning_rate`` (+ ``decay``), ``optimizer`` stand for ``max_iter``,
      ``learning_rate_init`` and ``solver``; there is no L-BFGS.

    Parameters
    ----------
    hidden_layer_sizes : int or tuple of int, default=(100,)
        Units of each hidden layer; ``()`` gives a linear (logistic/softmax) model.
    activation : {'relu', 'tanh', 'sigmoid', 'linear'}, default='relu'
        Hidden activation (``'logistic'`` and ``'identity'`` are accepted as in MLPClassifier).
    optimizer : {'adam', 'sgd', 'adagrad', 'rmsprop'}, default='adam'
    learning_rate : float, default=0.001
        Initial learning rate; the rate at step t is ``learning_rate / (1 + decay * t)``.
    decay : float, default=0.0
    momentum, nesterov : SGD's momentum (default 0.9) and Nesterov flag (default False).
    beta_1, beta_2 : Adam's moment decay rates (defaults 0.9, 0.999).
    epsilon : float, default=1e-7
        Adam/RMSprop/Adagrad denominator guard.
    rho : float, default=0.9
        RMSprop's cache decay.
    l1, l2 : float, default=0.0
        Penalties ``l1 * sum|w| + l2 * sum w**2`` on every weight matrix (not on biases).
    dropout : float, default=0.0
        Inverted-dropout rate after each hidden activation (training only).
    batch_size : int or 'auto', default='auto'
        ``'auto'`` is ``min(200, n_samples)``.
    max_epochs : int, default=200
    shuffle : bool, default=True
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data (stratified), stop when the validation
        accuracy has not improved by ``tol`` for ``n_iter_no_change`` epochs, and restore the
        best weights. Without it the same rule watches the training loss.
    validation_fraction, n_iter_no_change, tol : defaults 0.1, 10, 1e-4.
        ``n_iter_no_change=numpy.inf`` never stops on a plateau. A validation set of fewer
        than 2 samples is an error; ``partial_fit`` refuses ``early_stopping=True``.
    weight_init : {'auto', 'book', 'glorot', 'he'}, default='auto'
        ``'auto'`` is Glorot-uniform, as MLPClassifier; ``'book'`` is ``0.01 * randn``.
    dtype : {'auto', 'float64', 'float32'}, default='auto'
        Precision of training and inference. ``'auto'`` follows ``X`` as MLPClassifier does
        (float32 input trains in float32, anything else in float64); a warm start keeps the
        fitted network's dtype. float32 is about twice as fast.
    random_state : int, RandomState or None
        Seeds initialization, shuffling, dropout and the validation split.
    warm_start : bool, default=False
        Continue from the fitted weights *and optimizer state* on the next ``fit`` (``y`` must
        have the same classes). Changed
        scalar hyperparameters (learning rate, decay, momentum, penalties, dropout rate) reach
        the live optimizer and layers; a different ``optimizer`` replaces the optimizer with a
        fresh one (no moments carried over, its step count restarts) and keeps the weights; a
        different architecture raises ``ValueError``.
    verbose : int, default=0
    callbacks : list of callback objects, default=None
        See :mod:`nnfs_lab.callbacks`; they see every epoch of ``fit`` and ``partial_fit``.
    class_weight : dict, 'balanced' or None, default=None
        Multiplies each sample's loss by the weight of its class.

    Attributes
    ----------
    classes_, n_features_in_, feature_names_in_, n_outputs_, n_iter_, t_, loss_curve_,
    validation_loss_curve_, validation_scores_, best_loss_ (None under early stopping),
    best_validation_score_, coefs_,
    intercepts_, history_ (one dict per epoch; :meth:`history_frame` gives a DataFrame),
    model_ (the engine's :class:`~nnfs_lab.nn.Model`).

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from nnfs_lab import NNFSClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = make_pipeline(StandardScaler(), NNFSClassifier(max_epochs=30, random_state=0))
    >>> clf.fit(X, y).score(X, y) > 0.95
    True
    """

    # The stable public path: pickles (cloudpickle by reference, MLflow models) name the class
    # by its module, and must not depend on which private file defines it.
    __module__ = "nnfs_lab.estimators"

    _is_classifier = True

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        optimizer="adam",
        learning_rate=0.001,
        decay=0.0,
        momentum=0.9,
        nesterov=False,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-7,
        rho=0.9,
        l1=0.0,
        l2=0.0,
        dropout=0.0,
        batch_size="auto",
        max_epochs=200,
        shuffle=True,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        tol=1e-4,
        weight_init="auto",
        dtype="auto",
        random_state=None,
        warm_start=False,
        verbose=0,
        callbacks=None,
        class_weight=None,
    ):
        super().__init__(
            hidden_layer_sizes,
            activation,
            optimizer=optimizer,
            learning_rate=learning_rate,
            decay=decay,
            momentum=momentum,
            nesterov=nesterov,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            rho=rho,
            l1=l1,
            l2=l2,
            dropout=dropout,
            batch_size=batch_size,
            max_epochs=max_epochs,
            shuffle=shuffle,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change,
            tol=tol,
            weight_init=weight_init,
            dtype=dtype,
            random_state=random_state,
            warm_start=warm_start,
            verbose=verbose,
            callbacks=callbacks,
        )
        self.class_weight = class_weight

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One epoch over ``(X, y)``, continuing from the current weights and optimizer state.

        ``classes`` (all labels that will ever appear) is required on the first call; on later
        calls it may be omitted or must equal the first call's, as in MLPClassifier.
        """
        first = not hasattr(self, "model_")
        if not hasattr(y, "tocsr"):
            check_labels(np.asarray(y), "y")
        if first and classes is None and type_of_target(y) != "multilabel-indicator":
            raise ValueError("classes must be passed on the first call to partial_fit")
        if classes is not None:
            classes = check_classes(classes)
        if not first and classes is not None and self._target_kind != "multilabel":
            if not np.array_equal(classes, self.classes_):
                raise ValueError(
                    f"`classes={classes!r}` is not the same as on the "
                    f"first call to partial_fit, was: {self.classes_!r}"
                )
        return self._fit(X, y, sample_weight, None, incremental=True, classes=classes)

    # -- targets
    def _encode_y(self, y, *, first, classes=None, incremental=False, name="y"):
        if first:
            check_labels(np.asarray(y), name)
            check_classification_targets(y)
            if type_of_target(y) == "multilabel-indicator":
                return self._set_multilabel(np.asarray(y))
            y = column_or_1d(y, warn=True)
            check_labels(y, name)
            self._set_labels(y, classes, name)
        elif self._target_kind == "multilabel":
            y = np.asarray(y)
            if y.ndim != 2 or y.shape[1] != self.n_outputs_:
                raise ValueError(
                    f"{name} must be a multilabel indicator matrix with {self.n_outputs_} "
                    f"columns, got shape {y.shape}"
                )
            return y.astype(np.float64)
        else:
            y = column_or_1d(y, warn=True)
            check_labels(y, name)
            if not incremental and name == "y" and self.warm_start:
                self._check_warm_start_classes(y)
        return self._label_indices(y, name)

    def _set_multilabel(self, y: np.ndarray) -> np.ndarray:
        self._target_kind = "multilabel"
        self.classes_ = np.arange(y.shape[1])
        self.n_outputs_ = y.shape[1]
        self.out_activation_ = "sigmoid"
        return y.astype(np.float64)

    def _set_labels(self, y: np.ndarray, classes, name: str) -> None:
        labels = np.unique(y) if classes is None else check_classes(classes)
        if classes is not None:
            unseen = np.setdiff1d(np.unique(y), labels)
            if unseen.size:
                raise ValueError(f"{name} contains labels {unseen.tolist()} not in classes")
        self.classes_ = labels
        # One class: MLP's choice, a sigmoid unit trained towards "not another class" and a
        # predict that always returns that class.
        kinds = {1: "single", 2: "binary"}
        self._target_kind = kinds.get(labels.size, "multiclass")
        self.n_outputs_ = labels.size if labels.size > 2 else 1
        self.out_activation_ = "softmax" if labels.size > 2 else "sigmoid"

    def _check_warm_start_classes(self, y: np.ndarray) -> None:
        present = np.unique(y)
        if set(present.tolist()) != set(self.classes_.tolist()):
            raise ValueError(
                "warm_start can only be used where `y` has the same classes as in the previous "
                f"call to fit. Previously got {self.classes_}, `y` has {present}"
            )

    def _label_indices(self, y: np.ndarray, name: str) -> np.ndarray:
        idx = np.searchsorted(self.classes_, y)
        idx = np.clip(idx, 0, self.classes_.size - 1)
        bad = self.classes_[idx] != y
        if np.any(bad):
            raise ValueError(
                f"{name} contains labels {np.unique(y[bad]).tolist()} not seen in classes_ "
                f"{self.classes_.tolist()}"
            )
        if self._target_kind == "single":
            return np.zeros((y.shape[0], 1))
        if self._target_kind == "binary":
            return (idx == 1).astype(np.float64)[:, None]
        return idx.astype(np.intp)

    def _target_weights(self, y_enc, *, incremental):
        if self.class_weight is None:
            return None
        if self._target_kind == "multilabel":
            raise ValueError("class_weight is not supported for multilabel targets")
        if incremental and isinstance(self.class_weight, str):
            raise ValueError(
                "class_weight='balanced' is not supported by partial_fit (the class "
                "frequencies of the whole stream are unknown); pass a dict"
            )
        idx = y_enc.ravel().astype(np.intp)
        present = np.unique(idx)
        weights = np.ones(self.classes_.size)
        if isinstance(self.class_weight, str):
            weights[present] = compute_class_weight("balanced", classes=present, y=idx)
        else:
            known = set(self.classes_.tolist())
            unknown = [k for k in self.class_weight if k not in known]
            if unknown:
                raise ValueError(f"class_weight has labels {unknown} not in classes_")
            for i, label in enumerate(self.classes_):
                weights[i] = self.class_weight.get(label, 1.0)
        return weights[idx]

    def _head(self, cfg):
        kind = getattr(self, "_target_kind", "multiclass")
        if kind == "multiclass":
            return Softmax(), CategoricalCrossentropy(), CategoricalAccuracy()
        # Multilabel: summed over labels, as MLP's loss, so one learning rate suits any count.
        loss = BinaryCrossentropy(sum_outputs=kind == "multilabel")
        return Sigmoid(), loss, CategoricalAccuracy(binary=True)

    def _score_outputs(self, out, y_enc):
        if self._target_kind == "single":
            return 1.0  # predict always returns the one class
        if self._target_kind == "multiclass":
            return float(np.mean(np.argmax(out, axis=1) == y_enc))
        hits = (out > 0.5) == (y_enc > 0.5)
        return float(np.mean(np.all(hits, axis=1)))

    def _extra_state(self):
        return {"target_kind": self._target_kind, "out_activation": self.out_activation_}

    def _load_extra_state(self, extra):
        self._target_kind = extra["target_kind"]
        self.out_activation_ = extra["out_activation"]

    # -- inference
    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, shape (n_samples, n_classes); for multilabel targets the
        probability of each label."""
        out = self._forward(X)
        if self._target_kind == "binary":
            p = out[:, 0]
            return np.column_stack([1.0 - p, p])
        if self._target_kind == "single":
            return np.ones((out.shape[0], 1), dtype=out.dtype)
        return out

    def predict_log_proba(self, X) -> np.ndarray:
        """Natural log of :meth:`predict_proba` (``-inf`` where a probability is 0)."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X) -> np.ndarray:
        """Labels from ``classes_`` (a 0/1 indicator matrix for multilabel targets)."""
        out = self._forward(X)
        if self._target_kind == "multilabel":
            return (out > 0.5).astype(int)
        if self._target_kind == "binary":
            return self.classes_[(out[:, 0] > 0.5).astype(np.intp)]
        if self._target_kind == "single":
            return np.full(out.shape[0], self.classes_[0], dtype=self.classes_.dtype)
        return self.classes_[np.argmax(out, axis=1)]
