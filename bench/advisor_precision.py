"""Findings per rule on a real corpus, side by side with ruff, and samples to judge by hand.

For every ``*.py`` file under the given directories (default: the CPython
standard library, tests and vendored code excluded), counts keel's findings per
rule and ruff's findings of the equivalent codes (``keel.advisor.suppress.CODES``),
and how many keel findings ruff also reports (same file, same line, same rule).
It also counts the findings offering a fix, by fix safety. With ``--sample N`` it prints N seeded random findings per rule with their
source line, to be judged true/false positive (docs/advisor.md keeps the table).

    python bench/advisor_precision.py [DIR ...] [--sample 10] [--seed 7]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import sysconfig
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))

from keel.advisor.engine import analyze_source  # noqa: E402
from keel.advisor.suppress import CODES  # noqa: E402
from keel.errors import InvalidInput  # noqa: E402

_SKIP = {"test", "tests", "idlelib", "site-packages", "lib2to3", "__pycache__", "turtledemo"}
_RULE_OF_CODE = {code: rule for rule, codes in CODES.items() for code in codes}


def files_under(roots: list[Path]) -> list[Path]:
    out = []
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            if not _SKIP & set(path.relative_to(root).parts[:-1]):
                out.append(path)
    return out


def ruff_findings(files: list[Path]) -> set[tuple[str, int, str]]:
    """(file, 1-based line, keel rule) of ruff's findings of the mapped codes."""
    ruff = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    codes = ",".join(sorted(_RULE_OF_CODE))
    out: set[tuple[str, int, str]] = set()
    for start in range(0, len(files), 400):
        chunk = [str(p) for p in files[start:start + 400]]
        done = subprocess.run([ruff, "check", "--isolated", "--no-cache", "--exit-zero",
                               "--output-format", "json", "--preview", "--select", codes, *chunk],
                              capture_output=True, text=True)
        for item in json.loads(done.stdout or "[]"):
            rule = _RULE_OF_CODE.get(item.get("code") or "")
            if rule:
                out.add((str(Path(item["filename"]).resolve()), item["location"]["row"], rule))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("roots", nargs="*", type=Path)
    parser.add_argument("--sample", type=int, default=0)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    roots = args.roots or [Path(sysconfig.get_paths()["stdlib"])]
    files = files_under(roots)
    keel: dict[str, list[tuple[Path, int, str, str]]] = defaultdict(list)
    fixes: dict[str, Counter] = defaultdict(Counter)  # rule -> fix safety -> findings
    lines = 0
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
            found = analyze_source(text, path.resolve().as_uri()).findings
        except (InvalidInput, UnicodeDecodeError):
            continue
        source_lines = text.splitlines()
        lines += len(source_lines)
        for f in found:
            if f.fixable:
                fixes[f.rule][f.fix_safety] += 1
            line = f.range.start.line
            keel[f.rule].append((path.resolve(), line + 1, f.message,
                                 source_lines[line].strip() if line < len(source_lines) else ""))
    ruff = ruff_findings(files)
    ruff_per_rule = Counter(rule for _, _, rule in ruff)
    rows = {}
    for rule in sorted(set(keel) | set(ruff_per_rule)):
        mine = keel.get(rule, [])
        both = sum(1 for path, line, _, _ in mine if (str(path), line, rule) in ruff)
        rows[rule] = {"keel": len(mine), "ruff": ruff_per_rule.get(rule, 0) if rule in CODES
                      else None, "also_in_ruff": both if rule in CODES else None,
                       "fix_offered_safe": fixes[rule]["safe"],
                       "fix_offered_unsafe": fixes[rule]["unsafe"]}
    print(json.dumps({"files": len(files), "lines": lines, "rules": rows}, indent=2))
    if args.sample:
        rng = random.Random(args.seed)
        for rule, items in sorted(keel.items()):
            print(f"\n## {rule} ({len(items)})")
            for path, line, message, code in rng.sample(items, min(args.sample, len(items))):
                print(f"- {path.name}:{line}: {message}\n      {code[:110]}")


if __name__ == "__main__":
    main()
