"""Regenerate the figures in docs/gallery/ (``make gallery``).

Fits a real classifier on three 2-D datasets and writes, into ``docs/gallery/`` by default:

- ``{spiral,circle,xor}_boundary.png``: class-probability maps with train (o) and test (^) points;
- ``spiral_learning_curves.png``: loss, accuracy and learning rate per epoch on the spiral.

Uses ``nnfs_lab.NNFSClassifier``. ``--gif`` also writes ``spiral_training.gif`` (the boundary
as it trains). Runs in well under a minute.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path
from typing import Any

from nnfs_lab import plots
from nnfs_lab.datasets import load

# name -> (load params, hidden layers, learning rate, epochs). Train and test sets come from
# different seeds, so the test points show how the boundary generalises.
DATASETS: dict[str, tuple[dict[str, Any], tuple[int, ...], float, int]] = {
    "spiral": ({"n_samples": 100, "n_classes": 3}, (64, 64), 0.01, 1500),
    "circle": ({"n_samples": 400, "noise": 0.05}, (16, 16), 0.01, 400),
    "xor": ({"n_samples": 400, "noise": 0.05}, (16, 16), 0.01, 400),
}


def make_classifier(
    hidden: tuple[int, ...], learning_rate: float, epochs: int, callbacks: list[Any] | None
) -> tuple[Any, str]:
    """The NNFSClassifier drawn in the gallery, and its label."""
    from nnfs_lab import NNFSClassifier

    model = NNFSClassifier(
        hidden_layer_sizes=hidden,
        optimizer="adam",
        learning_rate=learning_rate,
        max_epochs=epochs,
        batch_size=200,
        random_state=0,
        callbacks=callbacks,
    )
    return model, "nnfs_lab.NNFSClassifier"


def history_of(model: Any) -> list[dict[str, float]]:
    """Per-epoch records of the fitted estimator."""
    return list(model.history_)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/gallery"), help="output directory")
    parser.add_argument("--gif", action="store_true", help="also write spiral_training.gif")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    start = time.perf_counter()
    for name, (params, hidden, learning_rate, epochs) in DATASETS.items():
        train = load(name, random_state=0, **params)
        test = load(name, random_state=1, **params)
        recorder = None
        if args.gif and name == "spiral":
            recorder = plots.DecisionBoundaryRecorder(
                train.X,
                train.y,
                every=5,
                max_frames=60,
                resolution=100,
                class_names=train.target_names,
            )
        model, used = make_classifier(
            hidden, learning_rate, epochs, [recorder] if recorder is not None else None
        )
        if name == "spiral":
            print(f"classifier: {used}")
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            # MLPClassifier warns when it uses its whole epoch budget, which is the plan here.
            warnings.filterwarnings("ignore", message=".*Maximum iterations")
            model.fit(train.X, train.y)
        fit_seconds = time.perf_counter() - t0
        train_acc, test_acc = model.score(train.X, train.y), model.score(test.X, test.y)
        fig = plots.plot_decision_boundary(
            model,
            train.X,
            train.y,
            X_test=test.X,
            y_test=test.y,
            class_names=train.target_names,
            title=f"{name}: train acc {train_acc:.3f}, test acc {test_acc:.3f}",
        )
        path = args.out / f"{name}_boundary.png"
        fig.savefig(path, dpi=100)
        print(
            f"{path}  ({type(model).__name__} {hidden}, fit {fit_seconds:.1f} s, "
            f"train {train_acc:.3f}, test {test_acc:.3f})"
        )
        if name == "spiral":
            fig = plots.plot_learning_curves(history_of(model), title="spiral: learning curves")
            path = args.out / "spiral_learning_curves.png"
            fig.savefig(path, dpi=100)
            print(path)
        if recorder is not None:
            if recorder.n_frames == 0:
                print("no GIF: the classifier does not call callbacks", file=sys.stderr)
            else:
                path = recorder.save_gif(args.out / "spiral_training.gif", fps=12)
                print(f"{path}  ({recorder.n_frames} frames)")
    print(f"done in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
