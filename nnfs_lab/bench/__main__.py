"""``python -m nnfs_lab.bench``: see :mod:`nnfs_lab.bench`."""

from nnfs_lab.bench import main
from nnfs_lab.tracking import set_process_defaults

if __name__ == "__main__":
    # An entry point like ``nnfs-lab``: no telemetry, no artifact progress bars in the report,
    # figures drawn off-screen (where the caller has not set otherwise).
    set_process_defaults()
    raise SystemExit(main())
