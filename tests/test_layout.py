"""The layout's rules that import-linter cannot state (the others are contracts in pyproject.toml,
checked by `lint-imports` in `make test`; this file also runs them, so `pytest` alone enforces all).

5. No private name (`_x`) is imported across modules, or reached through an imported module.
   No `except ImportError` around an import of our own code (it hides real errors).
1. recchat never imports benchmarks (not a package, so not in import-linter's graph).
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OURS = ("recchat", "catalogs", "training", "benchmarks")


def _sources() -> list[Path]:
    files = [ROOT / "app.py"]
    for top in OURS:
        files += sorted((ROOT / top).rglob("*.py"))
    return files


def _is_ours(module: str | None) -> bool:
    return bool(module) and module.split(".")[0] in OURS


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _violations(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    rel = path.relative_to(ROOT)
    out = []
    module_aliases: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and _is_ours(node.module):
            for a in node.names:
                if _private(a.name):
                    out.append(f"{rel}:{node.lineno} imports private {node.module}.{a.name}")
                module_aliases.add(a.asname or a.name)  # may be a module (from recchat import prompts)
        elif isinstance(node, ast.Import):
            for a in node.names:
                if _is_ours(a.name):
                    if a.asname:
                        module_aliases.add(a.asname)
                    if any(_private(p) for p in a.name.split(".")):
                        out.append(f"{rel}:{node.lineno} imports private module {a.name}")
        elif isinstance(node, ast.Try):
            catches_import_error = any(
                h.type is not None and "ImportError" in ast.unparse(h.type) for h in node.handlers)
            if catches_import_error:
                for inner in node.body:
                    for sub in ast.walk(inner):
                        mod = sub.module if isinstance(sub, ast.ImportFrom) else (
                            sub.names[0].name if isinstance(sub, ast.Import) else None)
                        if _is_ours(mod):
                            out.append(f"{rel}:{sub.lineno} wraps our own import {mod} in except ImportError")
        if isinstance(node, ast.ImportFrom) and rel.parts[0] == "recchat" and node.module \
                and node.module.split(".")[0] == "benchmarks":
            out.append(f"{rel}:{node.lineno} recchat imports benchmarks")
        if isinstance(node, ast.Import) and rel.parts[0] == "recchat":
            out += [f"{rel}:{node.lineno} recchat imports benchmarks" for a in node.names
                    if a.name.split(".")[0] == "benchmarks"]
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                and node.value.id in module_aliases and _private(node.attr):
            out.append(f"{rel}:{node.lineno} reaches private {node.value.id}.{node.attr}")
    return out


def test_no_private_names_across_modules_and_no_import_error_around_our_code():
    bad = [v for p in _sources() for v in _violations(p)]
    assert not bad, "\n".join(bad)


def test_the_checker_catches_what_it_should(tmp_path):
    """The rules above would pass vacuously if the checker saw nothing: feed it each violation."""
    src = ROOT / "recchat" / "_layout_probe.py"
    src.write_text(
        "from recchat.retrieval.search import REVALIDATE_S\n"
        "from recchat.retrieval import search as s\n"
        "from recchat.core.schema import _private_thing\n"
        "x = s._hidden\n"
        "try:\n    from recchat.cf import sasrec\nexcept ImportError:\n    sasrec = None\n"
        "from benchmarks.latency import main\n",
        encoding="utf-8")
    try:
        found = _violations(src)
    finally:
        src.unlink()
    assert any("imports private recchat.core.schema._private_thing" in v for v in found)
    assert any("reaches private s._hidden" in v for v in found)
    assert any("except ImportError" in v for v in found)
    assert any("imports benchmarks" in v for v in found)
    assert not any("REVALIDATE_S" in v for v in found)


def test_import_contracts_hold():
    """The import-linter contracts in pyproject.toml (rules 1-4, 6 and the layers)."""
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")
    assert exe, "import-linter is not installed: pip install -e '.[dev]'"
    r = subprocess.run([exe], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
