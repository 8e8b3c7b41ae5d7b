"""The architecture, checked on the source (an AST scan of every module of the package).

- Data flows one way: ``cli -> sweeps -> {tracking, estimators, datasets, plots} -> nn``; the
  engine imports only NumPy; the estimators import neither mlflow nor optuna; the experiment-file
  reader imports no estimator.
- No module imports a private name (``_x``) from another module, ours or a library's; private
  modules of a package are imported only by that package.
- Modules stay small (<= 400 lines) and functions short (<= 60 lines of code, docstring aside).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "nnfs_lab"
MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)

#: top-level part of nnfs_lab -> the parts it may import from (besides itself).
ALLOWED = {
    "nn": set(),
    "callbacks": {"nn"},
    "estimators": {"nn", "callbacks"},
    "datasets": set(),
    "plots": set(),
    "tracking": set(),
    "sweeps": {"tracking", "estimators", "callbacks", "datasets", "plots", "nn"},
    "bench": {"sweeps", "tracking", "estimators", "callbacks", "datasets", "plots", "nn"},
    "cli": {"sweeps", "tracking", "datasets", "bench", "estimators", "nn", "plots"},
    "__main__": {"cli", "tracking"},
}
#: names re-exported by nnfs_lab/__init__.py -> the part that defines them.
ROOT_NAMES = {"NNFSClassifier": "estimators", "NNFSRegressor": "estimators",
              "Callback": "callbacks", "EarlyStopping": "callbacks", "History": "callbacks",
              "__version__": "nn"}  # fmt: skip
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _package_of(path: Path) -> str:
    name = _module_name(path)
    return name if path.name == "__init__.py" else name.rpartition(".")[0]


def _imports(tree: ast.AST) -> list[tuple[str, list[str], int]]:
    """(module, imported names, line) of every import, lazy ones included."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, [], node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.append((node.module, [a.name for a in node.names], node.lineno))
    return out


def _is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _is_our_module(dotted: str) -> bool:
    path = PACKAGE.parent.joinpath(*dotted.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def _part(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_follow_the_layers(path: Path):
    me = _part(_module_name(path))
    tree = ast.parse(path.read_text())
    for module, names, line in _imports(tree):
        if me == "nn":
            assert module.split(".")[0] in {"numpy", "nnfs_lab", "__future__"} or not _third_party(
                module
            ), f"{path}:{line}: the engine imports {module}"
        if me == "estimators":
            assert module.split(".")[0] not in {"mlflow", "optuna"}, f"{path}:{line}: {module}"
        if module.startswith("nnfs_lab.") and me in ALLOWED:
            other = _part(module)
            assert other == me or other in ALLOWED[me], f"{path}:{line}: {me} imports {module}"
        if module == "nnfs_lab" and me in ALLOWED:
            for n in names:
                other = n if _is_our_module(f"nnfs_lab.{n}") else ROOT_NAMES[n]
                assert other == me or other in ALLOWED[me], f"{path}:{line}: {me} imports {n}"


def _third_party(module: str) -> bool:
    import sys

    top = module.split(".")[0]
    return top not in sys.stdlib_module_names


def test_the_experiment_file_reader_imports_no_estimator():
    for name in ("config.py", "_reader.py", "space.py"):
        tree = ast.parse((PACKAGE / "sweeps" / name).read_text())
        for module, _, line in _imports(tree):
            assert not module.startswith(("sklearn", "nnfs_lab.estimators")), f"{name}:{line}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_private_name_crosses_a_module(path: Path):
    tree = ast.parse(path.read_text())
    package = _package_of(path)
    for module, names, line in _imports(tree):
        where = f"{path.relative_to(PACKAGE.parent)}:{line}"
        segments = module.split(".")
        private_module = next((i for i, s in enumerate(segments) if _is_private(s)), None)
        if private_module is not None:
            owner = ".".join(segments[:private_module])
            assert package == owner or package.startswith(owner + "."), (
                f"{where}: imports the private module {module}"
            )
        for n in names:
            if _is_private(n) and not _is_our_module(f"{module}.{n}"):
                raise AssertionError(f"{where}: imports the private name {module}.{n}")
            if _is_private(n):
                assert package == module, f"{where}: imports the private module {module}.{n}"
    aliases = {a.asname or a.name for node in ast.walk(tree) if isinstance(node, ast.Import)
               for a in node.names}  # fmt: skip
    aliases |= {a.asname or a.name for node in ast.walk(tree)
                if isinstance(node, ast.ImportFrom) and node.module and node.level == 0
                for a in node.names if _is_our_module(f"{node.module}.{a.name}")}  # fmt: skip
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and _is_private(node.attr)
                and isinstance(node.value, ast.Name) and node.value.id in aliases):  # fmt: skip
            raise AssertionError(f"{path}:{node.lineno}: uses {node.value.id}.{node.attr}")


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_modules_and_functions_stay_small(path: Path):
    text = path.read_text()
    n_lines = text.count("\n")
    assert n_lines <= MAX_MODULE_LINES, f"{path}: {n_lines} lines"
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                body = body[1:]  # the docstring
            if not body:
                continue
            length = body[-1].end_lineno - body[0].lineno + 1
            assert length <= MAX_FUNCTION_LINES, f"{path}:{node.lineno} {node.name}: {length}"
