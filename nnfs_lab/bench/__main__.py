"""``python -m nnfs_lab.bench``: see :mod:`nnfs_lab.bench`."""

from nnfs_lab.bench import main

if __name__ == "__main__":
    raise SystemExit(main())
