"""app.core is the product minus pixels: importing all of it, every subpackage, must not pull in textual."""

import pkgutil
import subprocess
import sys

import app.core


def test_core_never_imports_textual():
    modules = [m.name for m in pkgutil.walk_packages(app.core.__path__, "app.core.")]
    assert len(modules) > 60 and "app.core.engine.llama.engine" in modules
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "import app.cli, app.commands.run\n"
        "leaked = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(','.join(leaked))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == ""


def test_no_pickle_or_eval_in_the_package():
    import pathlib
    import re

    root = pathlib.Path(app.core.__file__).parent.parent
    pattern = re.compile(r"\bimport pickle\b|\bpickle\.|\beval\(|\bexec\(")
    offenders = [str(p) for p in root.rglob("*.py") if pattern.search(p.read_text(encoding="utf-8"))]
    assert offenders == []
