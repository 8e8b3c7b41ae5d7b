"""The per-epoch log vocabulary: the one place the keys of an epoch's record are spelled.

The engine (:meth:`Model.train_epoch <nnfs_lab.nn.Model.train_epoch>`,
:meth:`Model.train <nnfs_lab.nn.Model.train>`), the estimators' ``history_`` and callback
``logs``, and the sweeps' per-epoch metrics all use these names, so a metric keeps one name from
the training loop to MLflow.

The estimators' record holds :data:`EPOCH_KEYS`, in that order. The engine's book-style API
reports its metric as :data:`ACCURACY` / :data:`VAL_ACCURACY` (the book's names), where the
estimators report :data:`TRAIN_SCORE` / :data:`VAL_SCORE` (accuracy for classifiers, R^2 for
regressors, as scikit-learn's ``score``).
"""

from __future__ import annotations

__all__ = [
    "ACCURACY",
    "DATA_LOSS",
    "EPOCH",
    "EPOCH_KEYS",
    "LEARNING_RATE",
    "LOSS",
    "REGULARIZATION_LOSS",
    "SECONDS",
    "TRAIN_SCORE",
    "VAL_ACCURACY",
    "VAL_LOSS",
    "VAL_SCORE",
    "book_line",
]

#: 1-based epoch number (for the estimators it counts every epoch the model has trained,
#: across ``partial_fit`` calls and warm starts: the record's position in ``history_``).
EPOCH = "epoch"
#: Training loss of the epoch: ``data_loss + regularization_loss``.
LOSS = "loss"
#: (Weighted) mean of the per-batch data losses over the epoch.
DATA_LOSS = "data_loss"
#: L1/L2 penalty on the weights at the end of the epoch.
REGULARIZATION_LOSS = "regularization_loss"
#: Training score accumulated over the epoch's batches (accuracy, or R^2 for regressors).
TRAIN_SCORE = "train_score"
#: Data loss on the validation data after the epoch (``None`` in the estimators without it).
VAL_LOSS = "val_loss"
#: Score on the validation data after the epoch (``None`` in the estimators without it).
VAL_SCORE = "val_score"
#: The optimizer's learning rate after the epoch's last step (it changes with ``decay``).
LEARNING_RATE = "learning_rate"
#: Wall-clock seconds of the epoch (training and validation).
SECONDS = "seconds"
#: The engine's name for the training metric (:class:`~nnfs_lab.nn.Accuracy` subclasses).
ACCURACY = "accuracy"
#: The engine's name for the validation metric in :meth:`Model.train`.
VAL_ACCURACY = "val_accuracy"

#: Keys of one epoch record of the estimators (``history_``, callback ``logs``), in order.
EPOCH_KEYS = (
    EPOCH,
    LOSS,
    DATA_LOSS,
    REGULARIZATION_LOSS,
    TRAIN_SCORE,
    VAL_LOSS,
    VAL_SCORE,
    LEARNING_RATE,
    SECONDS,
)


def book_line(rec: dict[str, float]) -> str:
    """The book's per-epoch progress line for a record of :meth:`Model.train`."""
    line = (
        f"epoch: {rec[EPOCH]}, acc: {rec[ACCURACY]:.3f}, loss: {rec[LOSS]:.3f} "
        f"(data_loss: {rec[DATA_LOSS]:.3f}, reg_loss: "
        f"{rec[REGULARIZATION_LOSS]:.3f}), lr: {rec[LEARNING_RATE]:.6g}"
    )
    if VAL_LOSS in rec:
        line += f", val_acc: {rec[VAL_ACCURACY]:.3f}, val_loss: {rec[VAL_LOSS]:.3f}"
    return line
