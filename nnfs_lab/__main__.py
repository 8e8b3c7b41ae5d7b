"""The process entry point: ``nnfs-lab`` and ``python -m nnfs_lab`` (``make sweep`` uses it).

:func:`run` is :func:`nnfs_lab.cli.main` followed by an exit without the interpreter's
shutdown garbage collections. At exit the interpreter scans every object still alive for
cycles, several times: over the ~450k objects a sweep leaves (MLflow, SQLAlchemy, matplotlib,
scikit-learn) that took 1.4-1.7 s after a small sweep's last line (measured). Frozen objects are
not scanned: 0.1 s. Those collections also closed MLflow's sqlite connections, whose close
folds a store's write-ahead log back into ``mlflow.db``; they are closed here first. Exit
handlers (logging, multiprocessing's) still run. ``main`` called in-process (tests, notebooks)
does none of this: frozen objects are never freed.
"""

from __future__ import annotations

import gc
import sys

__all__ = ["run"]


def run() -> None:
    """Run the command line in ``sys.argv``; exit with its status."""
    from nnfs_lab.cli import main
    from nnfs_lab.tracking import close_sqlite_engines

    status = main()
    close_sqlite_engines()
    gc.freeze()
    sys.exit(status)


if __name__ == "__main__":
    run()
