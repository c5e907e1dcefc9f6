"""Refactor Advisor throughput, side by side with radon on the same files, in the same run.

Generates a fixed, seeded corpus (``bench/corpus/generate.py``; default 200
files, about 100k lines) in a temporary directory, then measures in one process,
interleaving the contenders round by round (best and median of ``--repeat``
rounds; the machine may be shared, so the best round is the headline):

- ``keel``: ``keel.advisor.engine.analyze_source`` on every file (all rules,
  findings built as wire models);
- ``radon_cc_visit``: ``radon.complexity.cc_visit`` on the same sources
  (complexity only), as radon runs by default;
- ``radon_cc_visit_gc_off``: the same with the cyclic GC paused per file, the
  trick keel's engine uses, to show it is not the whole difference;
- ``ast_parse`` / ``ast_parse_gc_off``: ``ast.parse`` alone, the floor both are
  bound by (keel parses with the GC paused);
- ``radon_cli`` (unless ``--no-cli``): the ``radon cc`` command on the corpus
  directory, start-up and output included;
- ``ruff_cli`` (unless ``--no-cli``): ``ruff check`` on the corpus directory with
  the rule families keel overlaps (F, E7, B, A, C90, PLR, PLW), no cache, one
  process (ruff is multi-threaded: its figure uses every core);
- ``per_file_ms``: keel's time per file, p50 / p99, for editor-sized files
  (100-2,000 lines) of the corpus;
- ``large_file``: one 50,000-line module, keel vs radon.

Prints JSON (and writes it to ``--out`` if given). Not a test: nothing is asserted.

    python bench/advisor_throughput.py [--files 200] [--lines 330] [--seed 1234]
                                       [--repeat 5] [--no-cli] [--out FILE]
"""

from __future__ import annotations

import argparse
import ast
import gc
import importlib.util
import json
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from radon.complexity import cc_visit

from keel.advisor.engine import analyze_source

HERE = Path(__file__).resolve().parent


def _load_generator():
    spec = importlib.util.spec_from_file_location("corpus_generate", HERE / "corpus" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _radon_gc_off(source: str):
    enabled = gc.isenabled()
    gc.disable()
    try:
        return cc_visit(source)
    finally:
        if enabled:
            gc.enable()


def _parse_gc_off(source: str):
    enabled = gc.isenabled()
    gc.disable()
    try:
        ast.parse(source)  # the tree is freed here, before the GC resumes
    finally:
        if enabled:
            gc.enable()


def _time_all(fn, sources: list[str]) -> float:
    started = time.perf_counter()
    for source in sources:
        fn(source)
    return time.perf_counter() - started


def _figures(times: list[float], lines: int) -> dict:
    best = min(times)
    median = statistics.median(times)
    return {
        "best_s": round(best, 4),
        "median_s": round(median, 4),
        "lines_per_s_best": round(lines / best),
        "lines_per_s_median": round(lines / median),
    }


def _radon_cli(directory: Path, lines: int, repeat: int) -> dict:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "radon", "cc", "-s", str(directory)],
                       check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - started)
    return _figures(times, lines)


RUFF_SELECT = "F,E7,B,A,C90,PLR,PLW"


def _ruff_cli(directory: Path, lines: int, repeat: int) -> dict | None:
    ruff = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    if not Path(ruff).exists():
        return None
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run([ruff, "check", "--no-cache", "--isolated", "--exit-zero", "--quiet",
                        "--select", RUFF_SELECT, str(directory)], stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - started)
    return {**_figures(times, lines), "select": RUFF_SELECT}


def _per_file(sources: list[str], uri: str) -> dict:
    """keel's time per editor-sized file (100-2,000 lines): p50 / p99 in ms."""
    durations = []
    for source in sources:
        if 100 <= source.count("\n") <= 2000:
            started = time.perf_counter()
            analyze_source(source, uri)
            durations.append((time.perf_counter() - started) * 1000)
    if not durations:
        return {}
    durations.sort()
    return {"files": len(durations), "p50": round(statistics.median(durations), 2),
            "p99": round(durations[min(len(durations) - 1, int(len(durations) * 0.99))], 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--lines", type=int, default=330, help="mean lines per file")
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-cli", action="store_true", help="skip the radon cc command")
    parser.add_argument("--out", type=Path)
    ns = parser.parse_args()

    generator = _load_generator()
    with tempfile.TemporaryDirectory(prefix="keel-advisor-bench-") as tmp:
        directory = Path(tmp)
        corpus = generator.write_corpus(directory, seed=ns.seed, files=ns.files,
                                        lines_per_file=ns.lines)
        sources = [(directory / name).read_text(encoding="utf-8") for name in sorted(corpus)]
        lines = sum(source.count("\n") for source in sources)
        uri = directory.as_uri()

        contenders = {
            "keel": lambda source: analyze_source(source, uri),
            "radon_cc_visit": cc_visit,
            "radon_cc_visit_gc_off": _radon_gc_off,
            "ast_parse": ast.parse,
            "ast_parse_gc_off": _parse_gc_off,
        }
        findings = sum(len(analyze_source(s, uri).findings) for s in sources)  # warm-up
        for source in sources:
            cc_visit(source)
        times: dict[str, list[float]] = {name: [] for name in contenders}
        for _ in range(ns.repeat):
            for name, fn in contenders.items():
                times[name].append(_time_all(fn, sources))
        report = {
            "corpus": {"files": len(sources), "lines": lines, "seed": ns.seed,
                       "bytes": sum(len(s.encode("utf-8")) for s in sources),
                       "keel_findings": findings},
            **{name: _figures(t, lines) for name, t in times.items()},
        }
        report["keel_vs_radon_cc_visit"] = round(
            report["keel"]["lines_per_s_best"] / report["radon_cc_visit"]["lines_per_s_best"], 2)
        report["per_file_ms"] = _per_file(sources, uri)
        if not ns.no_cli:
            report["radon_cli"] = _radon_cli(directory, lines, max(1, ns.repeat // 2))
            report["ruff_cli"] = _ruff_cli(directory, lines, max(1, ns.repeat // 2))

    big = generator.generate_module(ns.seed, 50_000)
    big_lines = big.count("\n")
    keel_big = [_time_all(lambda s: analyze_source(s, "file:///big.py"), [big])
                for _ in range(max(1, ns.repeat // 2))]
    radon_big = [_time_all(cc_visit, [big]) for _ in range(max(1, ns.repeat // 2))]
    report["large_file"] = {
        "lines": big_lines,
        "keel": _figures(keel_big, big_lines),
        "radon_cc_visit": _figures(radon_big, big_lines),
    }
    report["python"] = platform.python_version()
    report["machine"] = f"{platform.system()} {platform.machine()}"
    text = json.dumps(report, indent=2)
    if ns.out:
        ns.out.parent.mkdir(parents=True, exist_ok=True)
        ns.out.write_text(text + "\n", encoding="utf-8")
    sys.stdout.write(text + "\n")


if __name__ == "__main__":
    main()
