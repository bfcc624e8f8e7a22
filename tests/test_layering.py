"""The library knows nothing of the export pipeline or the command line; both sit above it."""
import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[1]


def imported_modules(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.module


def test_library_imports_neither_export_nor_cli():
    offenders = [f"{p.relative_to(ROOT)} imports {m}" for p in sorted((ROOT / "keras_albert").rglob("*.py"))
                 for m in imported_modules(p)
                 if m.split(".")[0] in ("keras_albert_export", "keras_albert_cli", "export")]
    assert not offenders, offenders


def test_export_does_not_import_the_cli():
    offenders = [f"{p.relative_to(ROOT)} imports {m}" for p in sorted((ROOT / "export").rglob("*.py"))
                 for m in imported_modules(p) if m.split(".")[0] == "keras_albert_cli"]
    assert not offenders, offenders


def test_export_installs_under_its_own_name():
    import keras_albert_export
    assert pathlib.Path(keras_albert_export.__file__).resolve().parent.name == "export"
