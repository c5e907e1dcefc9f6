"""The precision table of docs/advisor.md: findings per rule on a pinned corpus, judged samples.

Corpus (``CORPUS``): framework-heavy packages and the fix-safety projects, fetched
once with ``pip download --no-deps`` into a cache (their code is read, never run
or imported). Each package is analysed as ``keel analyze`` would (its own
import index, modules followed for framework classes). For every rule a seeded
sample of findings (``--sample`` per rule) is looked up in the verdicts file
(``bench/advisor_precision_verdicts.json``: finding key -> ``{"verdict": "tp"|"fp",
"note": ...}``, written by a person who read the code); precision per rule is the
share of judged samples that are true positives. Findings not judged yet are
printed with their code, to be judged and added to the file.

    python bench/advisor_precision_table.py                 # print the table and unjudged samples
    python bench/advisor_precision_table.py --write-docs    # also replace the table in docs/advisor.md
    python bench/advisor_precision_table.py --show RULE     # every sampled finding of RULE, with context

A finding's key is ``corpus:relative path:finding id`` (ids carry no line numbers),
so the sample and its verdicts stay put while the corpus and engine do.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import zipfile
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))

from keel.advisor.catalog import RULES  # noqa: E402
from keel.advisor.engine import analyze_source  # noqa: E402
from keel.errors import InvalidInput  # noqa: E402
from keel.workflows.analyzers.project import (  # noqa: E402
    load_module,
    refresh_index,
    workspace_usage,
)

HERE = Path(__file__).resolve().parent
VERDICTS = HERE / "advisor_precision_verdicts.json"
DOC = HERE.parent / "docs" / "advisor.md"
START, END = "<!-- precision-table:start -->", "<!-- precision-table:end -->"
# thresholds rules report a measured number over the documented limit: right by construction
MEASURED = frozenset(("long-function", "too-many-parameters", "large-class", "high-complexity",
                      "deep-nesting", "too-many-returns", "long-boolean-expression"))
_SKIP = {"tests", "test", "testing", "locale", "__pycache__"}


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    packages: tuple[str, ...]  # top-level folders of the wheel that are analysed


CORPUS = (
    Package("pydantic", "2.9.2", ("pydantic",)),
    Package("Django", "5.1.2", ("django",)),
    Package("SQLAlchemy", "2.0.36", ("sqlalchemy",)),
    Package("attrs", "24.2.0", ("attr", "attrs")),
    Package("click", "8.5.1", ("click",)),
    Package("requests", "2.32.3", ("requests",)),
)


def fetch(package: Package, cache: Path) -> Path:
    """The unpacked wheel (downloaded on first use; never imported or run)."""
    target = cache / f"{package.name}-{package.version}"
    if target.is_dir():
        return target
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary",
                    ":all:", f"{package.name}=={package.version}", "-d", str(cache)], check=True)
    stem = f"{package.name}-{package.version}".lower().replace("-", "_")
    wheel = next(p for p in cache.iterdir() if p.suffix == ".whl"
                 and p.name.lower().replace("-", "_").startswith(stem))
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(target)
    return target


def findings(package: Package, root: Path) -> list[tuple[str, object, list[str]]]:
    """(key, finding, source lines) of every finding in the package."""
    out = []
    refresh_index(root.resolve())  # once: nothing changes the corpus while it is read
    for top in package.packages:
        for path in sorted((root / top).rglob("*.py")):
            if _SKIP & set(path.relative_to(root).parts[:-1]):
                continue
            rel = path.relative_to(root).as_posix()
            try:
                text = path.read_text(encoding="utf-8")
                usage = workspace_usage(path.resolve(), root.resolve(), refresh=False)
                found = analyze_source(text, path.resolve().as_uri(), None, (), load_module,
                                       usage).findings
            except (InvalidInput, UnicodeDecodeError):
                continue
            lines = text.splitlines()
            out.extend((f"{package.name}:{rel}:{f.id}", f, lines) for f in found)
    return out


def _sample(keys: list[str], size: int, seed: int) -> list[str]:
    return sorted(random.Random(seed).sample(sorted(keys), min(size, len(keys))))


def _row(rule: str, total: int, fixes: Counter, judged: list[str]) -> str:
    safe, unsafe = fixes["safe"], fixes["unsafe"]
    fix = f"{safe} / {unsafe}" if RULES[rule].fixable else "–"
    if rule in MEASURED:
        precision = "by construction (the metric is over the threshold)"
    elif not total:
        precision = "no findings (unit tests cover it)"
    elif not judged:
        precision = "not judged"
    else:
        tp = judged.count("tp")
        precision = f"{round(100 * tp / len(judged))} % ({tp}/{len(judged)})"
    return f"| `{rule}` | {total} | {len(judged) if rule not in MEASURED else '–'} | {precision} | {fix} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=10)
    parser.add_argument("--seed", type=int, default=23)
    parser.add_argument("--write-docs", action="store_true")
    parser.add_argument("--show", help="print every sampled finding of this rule ('all': of "
                                       "every rule) with its context")
    parser.add_argument("--cache", type=Path, default=Path(os.environ.get(
        "XDG_CACHE_HOME", Path.home() / ".cache")) / "keel-precision")
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    verdicts = json.loads(VERDICTS.read_text()) if VERDICTS.exists() else {}
    by_rule: dict[str, dict[str, tuple[object, list[str]]]] = defaultdict(dict)
    fixes: dict[str, Counter] = defaultdict(Counter)
    files = 0
    for package in CORPUS:
        root = fetch(package, args.cache)
        found = findings(package, root)
        files += len({key.rsplit(":", 1)[0] for key, _, _ in found})
        for key, finding, lines in found:
            by_rule[finding.rule][key] = (finding, lines)  # type: ignore[attr-defined]
            if finding.fixable:  # type: ignore[attr-defined]
                fixes[finding.rule][finding.fix_safety] += 1  # type: ignore[attr-defined]
    rows, unjudged = [], []
    for rule in RULES:
        items = by_rule.get(rule, {})
        sample = [] if rule in MEASURED else _sample(list(items), args.sample, args.seed)
        judged = [verdicts[key]["verdict"] for key in sample if key in verdicts]
        unjudged += [(rule, key) for key in sample if key not in verdicts]
        rows.append(_row(rule, len(items), fixes[rule], judged))
        if args.show in (rule, "all"):
            for key in sample:
                finding, lines = items[key]
                line = finding.range.start.line  # type: ignore[attr-defined]
                print(f"\n### {rule} {key} [{verdicts.get(key, {}).get('verdict', '?')}]\n"
                      f"{finding.message}")  # type: ignore[attr-defined]
                for n in range(max(0, line - 3), min(len(lines), line + 4)):
                    print(f"{'>' if n == line else ' '}{n + 1:5} {lines[n][:120]}")
    names = ", ".join(f"{p.name} {p.version}" for p in CORPUS)
    table = "\n".join([
        START,
        f"Corpus: {names} ({files} files with findings; tests, locale data and migrations' "
        f"tests skipped). Sample: {args.sample} findings per rule, seed {args.seed}.",
        "",
        "| rule | findings | judged | precision | fixes offered safe / unsafe |",
        "|---|---|---|---|---|",
        *rows,
        END,
    ])
    print(table)
    if unjudged:
        print(f"\n{len(unjudged)} sampled findings have no verdict yet:", file=sys.stderr)
        for rule, key in unjudged:
            finding, lines = by_rule[rule][key]
            line = finding.range.start.line  # type: ignore[attr-defined]
            code = lines[line].strip() if line < len(lines) else ""
            print(f'  "{key}": {rule}: {code[:100]}', file=sys.stderr)
    if args.write_docs:
        text = DOC.read_text()
        if START not in text:
            raise SystemExit(f"{DOC} has no {START} marker")
        DOC.write_text(re.sub(re.escape(START) + r".*?" + re.escape(END), lambda _: table,
                              text, flags=re.DOTALL))


if __name__ == "__main__":
    main()
