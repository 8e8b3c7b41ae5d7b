"""``python -m nnfs_lab.bench``: see :mod:`nnfs_lab.bench`."""

import os

from nnfs_lab.bench import main
from nnfs_lab.tracking import PROCESS_DEFAULTS

if __name__ == "__main__":
    # The entry points' process defaults, as ``nnfs-lab`` sets them (no telemetry, no artifact
    # progress bars in the report, figures drawn off-screen), where the caller has not.
    for name, value in PROCESS_DEFAULTS.items():
        os.environ.setdefault(name, value)
    raise SystemExit(main())
