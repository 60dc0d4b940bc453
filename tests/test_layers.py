"""Dependencies point one way. Every `import` in mitspec (module level or inside a
function) is read with `ast` and checked against the layer table below; a new import
that points the wrong way fails here, naming the file and line."""
import ast
import subprocess
import sys

import pytest

from .conftest import ROOT

PACKAGE = ROOT / "mitspec"
# leaves: imported by anyone, importing nothing of mitspec but the leaves listed
LEAVES = {
    "mitspec": {"mitspec.api"},  # only inside its module __getattr__: `mitspec.run` loads the API on first use
    "mitspec.errors": set(), "mitspec.io": {"mitspec.errors"}, "mitspec.text": set(), "mitspec.rng": set(),
    "mitspec.limits": set(), "mitspec.stats": set(), "mitspec.planview": set(), "mitspec.sequence": {"mitspec.rng"},
    "mitspec.genomes": {"mitspec.errors", "mitspec.sequence", "mitspec.io", "mitspec.limits"},
    "mitspec.pwm": {"mitspec.errors", "mitspec.io", "mitspec.limits"},
    "mitspec.fasta": {"mitspec.errors", "mitspec.io", "mitspec.limits"},
}
# layer -> the layers (top-level packages/modules under mitspec) it may import, besides itself and the leaves
ALLOWED = {
    "contrasts": set(),
    "spec": {"contrasts"},
    "plan": {"spec", "contrasts"},
    "models": set(),
    "scores": {"models", "plan"},
    "metrics": {"contrasts"},
    "report": {"metrics", "plan", "scores", "contrasts"},
    "export": {"models"},
    "train": {"models", "export"},
    "api": {"metrics", "plan", "scores", "report", "models"},
    "cli": {"*"},
    "__main__": {"cli"},
}


def _module_name(path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path):
    """(line, absolute module name) of every mitspec import in the file."""
    return _imports_in(path.read_text(), _module_name(path), path.name == "__init__.py")


def _imports_in(source: str, name: str, is_package: bool = False):
    package = name if is_package else name.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("mitspec"):
                    yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.startswith("mitspec"):
                for alias in node.names:  # `from pkg import mod` imports the submodule; else the package
                    sub = f"{target}.{alias.name}"
                    yield node.lineno, sub if _is_module(sub) else target


def _is_module(name: str) -> bool:
    path = ROOT.joinpath(*name.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def _leaf_of(target: str) -> str | None:
    return next((leaf for leaf in sorted(LEAVES, key=len, reverse=True)
                 if target == leaf and leaf != "mitspec"), None)


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "mitspec"


def test_every_import_follows_the_layer_table():
    problems = []
    for path in sorted(PACKAGE.rglob("*.py")):
        name = _module_name(path)
        for line, target in _imports(path):
            if target == "mitspec":
                continue
            if name in LEAVES:
                if target not in LEAVES[name] and (_leaf_of(target) is None or _leaf_of(target) not in LEAVES[name]):
                    problems.append(f"{path.relative_to(ROOT)}:{line}: leaf {name} imports {target}")
                continue
            if _leaf_of(target) is not None:
                continue
            mine, theirs = _layer(name), _layer(target)
            allowed = ALLOWED.get(mine)
            if allowed is None:
                problems.append(f"{path.relative_to(ROOT)}: module {name} is in no layer of this test's table")
                continue
            if theirs == "cli" and mine not in ("cli", "__main__"):
                problems.append(f"{path.relative_to(ROOT)}:{line}: {name} imports the CLI")
            elif theirs != mine and "*" not in allowed and theirs not in allowed:
                problems.append(f"{path.relative_to(ROOT)}:{line}: {mine} -> {theirs} ({target}) is not allowed")
    assert not problems, "\n".join(problems)


# inside a package: module prefix -> the modules of its own package it may import (the
# layer table above governs imports of other packages). Edit ops sit below the parser,
# the checker and the compiler that dispatch on them; the section model below the report
# code that fills it.
INNER = {
    "mitspec.spec.ops": ("mitspec.spec", {"mitspec.spec.ast", "mitspec.spec.program", "mitspec.spec.errors",
                                          "mitspec.spec.layout", "mitspec.spec.ops"}),
    "mitspec.spec.ast": ("mitspec.spec", {"mitspec.spec.errors"}),
    "mitspec.spec.program": ("mitspec.spec", set()),
    "mitspec.spec.layout": ("mitspec.spec", {"mitspec.spec.program"}),
    "mitspec.report.document": ("mitspec.report", set()),
    "mitspec.contrasts.base": ("mitspec.contrasts", set()),
}


def test_every_import_inside_a_package_points_down():
    problems = []
    for path in sorted(PACKAGE.rglob("*.py")):
        name = _module_name(path)
        rule = next((INNER[p] for p in sorted(INNER, key=len, reverse=True) if name == p or name.startswith(p + ".")),
                    None)
        if rule is None:
            continue
        package, allowed = rule
        for line, target in _imports(path):
            if not (target == package or target.startswith(package + ".")) or target == name:
                continue
            if not any(target == a or target.startswith(a + ".") for a in allowed):
                problems.append(f"{path.relative_to(ROOT)}:{line}: {name} imports {target}")
    assert not problems, "\n".join(problems)


def test_inner_table_names_modules_that_exist():
    """A renamed module must not leave its rule behind and pass vacuously."""
    assert all(_is_module(prefix) for prefix in INNER)

def test_imports_inside_functions_and_relative_ones_are_seen():
    """A test of this test's import reader: a function-level relative import is found."""
    source = "import os\ndef f():\n    from ..plan.store import load_plan\n    from . import base\n"
    assert list(_imports_in(source, "mitspec.models.x")) == [(3, "mitspec.plan.store"), (4, "mitspec.models.base")]


@pytest.mark.parametrize("module, banned", [
    ("mitspec.models.registry", ("polars", "jsonschema", "mitspec.spec", "mitspec.plan", "lark")),
    ("mitspec.spec.check", ("polars", "jsonschema", "mitspec.plan", "mitspec.models")),
    ("mitspec.fasta", ("polars", "jsonschema", "mitspec.spec")),  # `mitspec score` reads FASTA
    ("mitspec.scores.engine", ("polars", "jsonschema", "mitspec.spec")),
    # the section model renders text: no data frames, no plan, no metrics, no figures
    ("mitspec.report.document", ("polars", "matplotlib", "mitspec.plan", "mitspec.metrics", "mitspec.contrasts")),
])
def test_light_imports_stay_light(module, banned):
    """`mitspec models` and `score` start without polars, jsonschema or the spec package;
    `check` without polars or jsonschema."""
    code = f"import sys, {module}; print(' '.join(m for m in sys.modules if m.split('.')[0] in ('polars', 'jsonschema', 'lark') or m.startswith('mitspec.')))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    heavy = [m for m in loaded if any(m == b or m.startswith(b + ".") for b in banned)]
    assert not heavy, f"importing {module} loads {heavy}"
