"""Check the token heuristic of keel.scan.tokens against exact OpenAI tokenizers.

Needs the ``bpe-openai`` package (not a Keel dependency; it bundles the
o200k_base and cl100k_base rank files, so it works offline):
``pip install bpe-openai``. Samples real Python files from the installed
site-packages (seeded), fits the heuristic's rates on even-numbered files
(weighted least squares on relative error) and reports the error of the
shipped rates on odd-numbered ones. Prints JSON.

    python bench/cost_tokenizer_calibration.py [--files 1500]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sysconfig
from pathlib import Path

from keel.scan.tokens import count_tokens_bytes


def _features(data: bytes) -> list[float]:
    spaces = data.count(b" ")
    runs = data.count(b"    ")
    return [len(data) - spaces, spaces - 4 * runs, runs]


def _solve(rows: list[list[float]], ys: list[float]) -> list[float]:
    n = len(rows[0])
    m = [[sum(r[i] * r[j] for r in rows) for j in range(n)]
         + [sum(r[i] * y for r, y in zip(rows, ys, strict=True))] for i in range(n)]
    for i in range(n):
        pivot = max(range(i, n), key=lambda k: abs(m[k][i]))
        m[i], m[pivot] = m[pivot], m[i]
        for k in range(n):
            if k != i:
                f = m[k][i] / m[i][i]
                m[k] = [a - f * b for a, b in zip(m[k], m[i], strict=True)]
    return [m[i][n] / m[i][i] for i in range(n)]


def _errors(estimates: list[int], exact: list[int]) -> dict:
    rel = sorted(abs(e - x) / x for e, x in zip(estimates, exact, strict=True))
    return {
        "medianAbsPct": round(100 * statistics.median(rel), 2),
        "p90AbsPct": round(100 * rel[int(0.9 * len(rel))], 2),
        "totalPct": round(100 * (sum(estimates) - sum(exact)) / sum(exact), 2),
    }


def main() -> None:
    import bpe_openai  # type: ignore[import-not-found]

    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=1500)
    args = parser.parse_args()
    site = Path(sysconfig.get_paths()["purelib"])
    paths = sorted(str(p) for p in site.rglob("*.py"))
    random.seed(1)
    sample = random.sample(paths, min(args.files, len(paths)))
    encodings = {name: bpe_openai.get_encoding(name) for name in ("o200k_base", "cl100k_base")}
    rows = []
    for path in sample:
        data = Path(path).read_bytes()
        if not 200 <= len(data) <= 1_000_000:
            continue
        text = data.decode("utf-8", "replace")
        exact = {n: len(e.encode(text, disallowed_special=())) for n, e in encodings.items()}
        rows.append((data, exact))
    train, test = rows[::2], rows[1::2]
    report: dict = {"files": len(rows), "bytesPerToken": {}, "fittedRates": {}, "heldOut": {}}
    for name in encodings:
        feats = [[f / len(d) for f in _features(d)] for d, _ in train]
        ys = [x[name] / len(d) for d, x in train]
        report["fittedRates"][name] = [round(w, 4) for w in _solve(feats, ys)]
        exact = [x[name] for _, x in test]
        report["heldOut"][name] = _errors([count_tokens_bytes(d) for d, _ in test], exact)
        report["bytesPerToken"][name] = round(sum(len(d) for d, _ in test) / sum(exact), 3)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
