"""Fix safety on real code: apply every rule fix to real projects, run their own tests.

For each pinned project (an sdist that ships its test suite, fetched once with
``pip download`` into a cache, never committed): copy it, run its tests
(before), apply the Refactor Advisor's rule fixes to every source file of the
package one at a time (re-analysing after each, as a user pressing Apply would),
run the tests again (after), and compare per test id; also compare the import
surface of every module of the package. Prints JSON figures.

Fix safety is project-aware: each file is analysed with what the rest of the
project (its sources and its tests) uses of it (``keel.advisor.workspace``), so an
unused import is removed as "safe" only where the project proves it. The import
surface of a module is what other code can rely on: its ``__all__`` when it has
one, else the public names it defines itself (functions and classes whose
``__module__`` is the module, and every other non-module value), plus the
names the project's own files import from it. A removed unused import of
another module's class or function is not part of it; such names are counted
apart (``reexports_removed``), so the trade-off is visible.

    python bench/advisor_fix_safety.py                 # safe fixes, every project
    python bench/advisor_fix_safety.py --safety all    # safe and unsafe fixes
    python bench/advisor_fix_safety.py --quick         # one small project (CI subset)
    python bench/advisor_fix_safety.py --list          # each finding and its fix; no tests run

Goal for ``--safety safe``: 0 new failures, import surface unchanged.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import time
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))

from keel.advisor.engine import analyze_source  # noqa: E402
from keel.advisor.fix_all import fix_all  # noqa: E402
from keel.errors import InvalidInput  # noqa: E402
from keel.workflows.analyzers.project import (  # noqa: E402
    load_module,
    refresh_index,
    workspace_usage,
)


@dataclass(frozen=True)
class Project:
    name: str
    version: str
    source_root: str  # where the importable code lives, relative to the sdist root
    packages: tuple[str, ...]  # packages / modules whose files get fixed
    tests: tuple[str, ...]
    test_deps: tuple[str, ...] = ()
    stdlib: bool = False  # copies of standard-library modules, tested by CPython's own tests
    # the project's own default test selection, which blanking its addopts (below) drops
    pytest_args: tuple[str, ...] = ()


_STDLIB = Path(sysconfig.get_paths()["stdlib"])
_STDLIB_MODULES = ("textwrap", "shlex", "configparser", "difflib", "json", "fractions", "calendar",
                   "imaplib", "pickle", "platform", "profile", "pyclbr", "tempfile")

PROJECTS = (
    Project("six", "1.16.0", ".", ("six",), ("test_six.py",)),
    Project("idna", "3.7", ".", ("idna",), ("tests",)),
    Project("more-itertools", "10.3.0", ".", ("more_itertools",), ("tests",)),
    Project("packaging", "24.1", "src", ("packaging",), ("tests",), ("pretend==1.0.9",)),
    Project("attrs", "23.2.0", "src", ("attr", "attrs"), ("tests",)),
    Project("pyparsing", "3.1.2", ".", ("pyparsing",), ("tests",)),
    Project("toolz", "0.12.1", ".", ("toolz", "tlz"), ("toolz/tests",)),
    Project("docutils", "0.21.2", ".", ("docutils",), ("test",)),
    # click's pyproject deselects its 30,000 'stress' tests by default (addopts = -m 'not
    # stress'); run with them, its suite took over 30 min instead of ~15 s
    Project("click", "8.5.1", "src", ("click",), ("tests",), pytest_args=("-m", "not stress")),
    Project("requests", "2.32.3", "src", ("requests",), ("tests",),
            ("urllib3==2.2.2", "idna==3.7", "charset-normalizer==3.3.2", "certifi==2024.7.4")),
    Project("cpython-stdlib", sys.version.split()[0], "lib", _STDLIB_MODULES,
            tuple(str(_STDLIB / "test" / f"test_{name}") + ("" if name == "json" else ".py")
                  for name in _STDLIB_MODULES), stdlib=True),
)
QUICK = ("six",)

SURFACE = r"""
import importlib, json, pkgutil, sys
out = {}
for top in sys.argv[1:]:
    try:
        mod = importlib.import_module(top)
    except Exception as err:
        out[top] = f"import failed: {type(err).__name__}: {err}"
        continue
    names = [top]
    if hasattr(mod, "__path__"):
        names += [m.name for m in pkgutil.walk_packages(mod.__path__, top + ".")]
    for name in names:
        try:
            module = importlib.import_module(name)
        except Exception as err:
            out[name] = f"import failed: {type(err).__name__}: {err}"
            continue
        public = [n for n in dir(module) if not n.startswith("_")]
        declared = getattr(module, "__all__", None)
        own = []
        for n in public:
            value = getattr(module, n, None)
            home = getattr(value, "__module__", None) if callable(value) else name
            if type(value).__name__ != "module" and home == name:
                own.append(n)
        out[name] = {"surface": sorted(set(declared) if declared is not None else own),
                     "visible": sorted(public)}
print(json.dumps(out))
"""


@dataclass
class Outcome:
    project: str
    files: int = 0
    applied: Counter = field(default_factory=Counter)
    tests_before: dict = field(default_factory=dict)
    tests_after: dict = field(default_factory=dict)
    new_failures: list = field(default_factory=list)
    surface_changed: list = field(default_factory=list)
    reexports_removed: list = field(default_factory=list)
    offered: Counter = field(default_factory=Counter)
    seconds: float = 0.0


def fetch(project: Project, cache: Path) -> Path:
    """The unpacked sdist in the cache (downloaded on first use)."""
    unpacked = cache / f"{project.name}-{project.version}"
    if unpacked.is_dir():
        return unpacked
    if project.stdlib:
        (unpacked / "lib").mkdir(parents=True)
        for name in project.packages:
            if (_STDLIB / name).is_dir():
                shutil.copytree(_STDLIB / name, unpacked / "lib" / name,
                                ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(_STDLIB / f"{name}.py", unpacked / "lib" / f"{name}.py")
        return unpacked
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-binary", ":all:",
                    "--no-deps", f"{project.name}=={project.version}",
                    "-d", str(cache)], check=True)
    stem = f"{project.name.replace('-', '_')}-{project.version}"
    archive = next(p for p in cache.iterdir() if p.name.endswith(".tar.gz") and p.name.lower()
                   .replace("-", "_").startswith(stem.lower().replace("-", "_")))
    with tarfile.open(archive) as tar:
        tar.extractall(cache, filter="data")
    extracted = cache / archive.name[: -len(".tar.gz")]
    if extracted != unpacked:
        extracted.rename(unpacked)
    return unpacked


def install_deps(deps: tuple[str, ...], cache: Path) -> Path | None:
    if not deps:
        return None
    target = cache / "deps"
    marker = target / ("." + "_".join(deps))
    if not marker.exists():
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--target", str(target),
                        *deps], check=True)
        marker.touch()
    return target


def _env(root: Path, project: Project, deps: Path | None) -> dict[str, str]:
    paths = [str(root / project.source_root)] + ([str(deps)] if deps else [])
    # no plugins of this environment (pytest-lsp would import cattrs, which imports attrs ...)
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths), "PYTHONDONTWRITEBYTECODE": "1",
            "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}


def run_tests(root: Path, project: Project, deps: Path | None, tag: str) -> dict[str, str]:
    """Test id -> 'passed' | 'failed' | 'skipped' (collection errors count as failed)."""
    report = root / f".junit-{tag}.xml"
    # addopts blanked: projects' addopts name plugins this environment lacks (--cov ...);
    # stdin closed: a test that reads a terminal fails instead of waiting for one
    subprocess.run(
        [sys.executable, "-m", "pytest", *project.tests, "-q", "-p", "no:cacheprovider",
         "--continue-on-collection-errors", f"--junitxml={report}", "-o", "addopts=", "-W", "ignore",
         *project.pytest_args],
        cwd=root, env=_env(root, project, deps), capture_output=True, text=True, timeout=1800,
        stdin=subprocess.DEVNULL)
    results: dict[str, str] = {}
    if not report.exists():
        return {"<pytest did not run>": "failed"}
    for case in ET.parse(report).getroot().iter("testcase"):
        test_id = f"{case.get('classname')}::{case.get('name')}"
        kinds = {child.tag for child in case}
        results[test_id] = ("failed" if kinds & {"failure", "error"}
                            else "skipped" if "skipped" in kinds else "passed")
    return results


def surface(root: Path, project: Project, deps: Path | None) -> dict:
    done = subprocess.run([sys.executable, "-c", SURFACE, *project.packages], cwd=root,
                          env=_env(root, project, deps), capture_output=True, text=True,
                          timeout=300)
    return json.loads(done.stdout or "{}")


def source_files(root: Path, project: Project) -> list[Path]:
    base = root / project.source_root
    files = []
    for name in project.packages:
        if (base / f"{name}.py").is_file():
            files.append(base / f"{name}.py")
        if (base / name).is_dir():
            files.extend(path for path in sorted((base / name).rglob("*.py"))
                         if not {"test", "tests"} & set(path.relative_to(base).parts))
    return files


def fix_file(path: Path, root: Path, allowed: set[str], outcome: Outcome) -> None:
    """Apply fixes one at a time, re-analysing after each (``keel.advisor.fix_all``), with
    what the project uses of the file (the index reads the files fixed so far again)."""
    text = path.read_text(encoding="utf-8")
    usage = workspace_usage(path.resolve(), root.resolve())
    try:
        for finding in analyze_source(text, path.resolve().as_uri(), None, (), load_module,
                                      usage).findings:
            if finding.fixable:
                outcome.offered[f"{finding.rule}/{finding.fix_safety}"] += 1
        result = fix_all(text, path.resolve().as_uri(), allowed, usage=usage, load=load_module)
    except InvalidInput:
        return
    for (rule, safety), count in result.applied.items():
        outcome.applied[f"{rule}/{safety}"] += count
    if result.text != text:
        path.write_text(result.text, encoding="utf-8")


def _counts(results: dict[str, str]) -> dict[str, int]:
    return dict(Counter(results.values()))


def run_project(project: Project, cache: Path, work: Path, allowed: set[str]) -> Outcome:
    started = time.perf_counter()
    outcome = Outcome(project.name)
    pristine = fetch(project, cache)
    deps = install_deps(project.test_deps, cache)
    root = work / pristine.name
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(pristine, root)
    before = run_tests(root, project, deps, "before")
    surface_before = surface(root, project, deps)
    files = source_files(root, project)
    outcome.files = len(files)
    refresh_index(root.resolve())  # the project's import index: sources and tests
    for path in files:
        fix_file(path, root, allowed, outcome)
    after = run_tests(root, project, deps, "after")
    surface_after = surface(root, project, deps)
    outcome.tests_before, outcome.tests_after = _counts(before), _counts(after)
    outcome.new_failures = sorted(t for t, r in before.items()
                                  if r == "passed" and after.get(t, "failed") != "passed")
    def _part(table: dict, module: str, part: str) -> object:
        entry = table.get(module)
        return entry.get(part) if isinstance(entry, dict) else entry

    modules = set(surface_before) | set(surface_after)
    outcome.surface_changed = sorted(
        m for m in modules if _part(surface_before, m, "surface") != _part(surface_after, m, "surface"))
    outcome.reexports_removed = sorted(
        f"{m}.{n}" for m in modules
        for n in set(_part(surface_before, m, "visible") or ()) - set(_part(surface_after, m, "visible") or ()))
    outcome.seconds = round(time.perf_counter() - started, 1)
    return outcome


_METRICS = frozenset(("long-function", "high-complexity", "deep-nesting", "too-many-parameters",
                      "large-class", "duplicate-code", "long-boolean-expression",
                      "too-many-returns"))


def list_findings(project: Project, cache: Path) -> None:
    """Print each fixable finding (rule, safety, file:line, why) and each bug-pattern finding
    without a rule fix, as the suite would see them; no test runs, nothing changed."""
    root = fetch(project, cache).resolve()
    refresh_index(root)
    for path in source_files(root, project):
        usage = workspace_usage(path, root)
        try:
            found = analyze_source(path.read_text(encoding="utf-8"), path.as_uri(), None, (),
                                   load_module, usage).findings
        except InvalidInput:
            continue
        for f in found:
            if f.fixable or f.rule not in _METRICS:
                where = f"{path.relative_to(root)}:{f.range.start.line + 1}"
                print(f"{project.name}\t{f.fix_safety or 'no fix'}\t{f.rule}\t{where}\t"
                      f"{f.message}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--safety", choices=("safe", "all"), default="safe")
    parser.add_argument("--quick", action="store_true", help="only " + ", ".join(QUICK))
    parser.add_argument("--project", action="append", help="only these projects")
    parser.add_argument("--list", action="store_true",
                        help="print each finding and its fix safety; run no tests")
    parser.add_argument("--cache", type=Path,
                        default=Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
                        / "keel-fix-safety")
    args = parser.parse_args()
    allowed = {"safe"} if args.safety == "safe" else {"safe", "unsafe"}
    chosen = [p for p in PROJECTS if (not args.quick or p.name in QUICK)
              and (not args.project or p.name in args.project)]
    args.cache.mkdir(parents=True, exist_ok=True)
    if args.list:
        for project in chosen:
            list_findings(project, args.cache)
        return
    work = args.cache / f"work-{args.safety}"
    work.mkdir(exist_ok=True)
    rows = []
    for project in chosen:
        o = run_project(project, args.cache, work, allowed)
        rows.append({
            "project": f"{project.name}=={project.version}", "files": o.files,
            "fixes_offered": dict(o.offered),
            "fixable_safe_share": round(
                sum(v for k, v in o.offered.items() if k.endswith("/safe"))
                / max(1, sum(o.offered.values())), 3),
            "fixes_applied": sum(o.applied.values()), "by_rule": dict(o.applied),
            "tests_before": o.tests_before, "tests_after": o.tests_after,
            "new_failures": len(o.new_failures), "new_failure_ids": o.new_failures[:10],
            "import_surface_changed": o.surface_changed[:10],
            "reexports_removed": o.reexports_removed[:20], "seconds": o.seconds,
        })
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    print(json.dumps({
        "safety": args.safety, "projects": len(rows),
        "fixes_offered_safe": sum(v for r in rows for k, v in r["fixes_offered"].items()
                                  if k.endswith("/safe")),
        "fixes_offered": sum(sum(r["fixes_offered"].values()) for r in rows),
        "fixes_applied": sum(r["fixes_applied"] for r in rows),
        "new_failures": sum(r["new_failures"] for r in rows),
        "modules_with_changed_surface": sum(len(r["import_surface_changed"]) for r in rows),
        "rows": rows,
    }, indent=2))


if __name__ == "__main__":
    main()
