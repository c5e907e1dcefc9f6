"""duplicate-code: the same run of sibling statements in two places of one file.

A statement is compared by its normalised text: its lines with all whitespace,
blank lines and comments removed (so formatting and comments do not matter,
names and literals do). Every run of consecutive sibling statements (in any
block: module, class or function body, loop, branch, handler...) that spans at
least ``min_duplicate_lines`` code lines is keyed; the first occurrence in the
file is the original and each later, non-overlapping occurrence is reported.
Adjacent duplicated runs with adjacent originals merge into one finding, and a
duplicate inside an already reported one is not reported again.

Cost: one pass over every block with two pointers, so O(statements x nesting).
"""

from __future__ import annotations

import ast
from collections import Counter
from itertools import accumulate

from .facts import RawFinding
from .rules_common import RuleContext, display, finding
from .rules_flow import statement_start
from .source import node_end

_DEFS = frozenset((ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))


def _first_line(stmt: ast.stmt) -> int:
    decorators = getattr(stmt, "decorator_list", None)
    return decorators[0].lineno if decorators else stmt.lineno


def _last_line(stmt: ast.stmt) -> int:
    return node_end(stmt)[0]


def check(ctx: RuleContext) -> list[RawFinding]:
    sm = ctx.sm
    min_lines = ctx.thresholds.min_duplicate_lines
    norm = sm.normalised_lines()
    # code_before[i]: how many code (non-empty normalised) lines precede line i (0-based)
    code_before = list(accumulate(map(bool, norm), initial=0))
    texts: list[str] = list(filter(None, norm))

    blocks = ctx.facts.blocks
    block_bounds: dict[int, tuple[list[int], list[int]]] = {}
    block_keys: list[tuple[int, list[int]]] = []
    key_counts: Counter[int] = Counter()
    for number, (stmts, _qual) in enumerate(blocks):
        if code_before[_last_line(stmts[-1])] - code_before[_first_line(stmts[0]) - 1] < min_lines:
            continue  # most blocks are short: skip them before any per-statement work
        starts = [code_before[_first_line(s) - 1] if type(s) in _DEFS else code_before[s.lineno - 1]
                  for s in stmts]
        ends = [code_before[_last_line(s)] for s in stmts]
        block_bounds[number] = (starts, ends)
        keys = [hash(tuple(texts[a:b])) for a, b in zip(starts, ends, strict=True)]
        block_keys.append((number, keys))
        key_counts.update(keys)

    windows: dict[tuple[int, ...], list[tuple[int, int, int]]] = {}
    for number, keys in block_keys:
        starts, ends = block_bounds[number]
        total = len(keys)
        last = 0
        for first in range(total):
            if last < first:
                last = first
            while last < total and ends[last] - starts[first] < min_lines:
                last += 1
            if last == total:
                break
            if key_counts[keys[first]] < 2 or key_counts[keys[last]] < 2:
                continue  # a window with a unique statement cannot repeat
            windows.setdefault(tuple(keys[first:last + 1]), []).append((number, first, last))

    # each later occurrence -> its original
    duplicates: dict[int, dict[int, tuple[int, int, int, int]]] = {}
    for occurrences in windows.values():
        if len(occurrences) < 2:
            continue
        occurrences.sort(key=lambda o: block_bounds[o[0]][0][o[1]])
        b0, p0, q0 = occurrences[0]
        orig_end = block_bounds[b0][1][q0]
        for b, p, q in occurrences[1:]:
            if block_bounds[b][0][p] < orig_end:
                continue  # overlaps the original
            duplicates.setdefault(b, {})[p] = (q, b0, p0, q0)

    regions = []
    for b, by_start in duplicates.items():
        run = None
        for p in sorted(by_start):
            q, b0, p0, q0 = by_start[p]
            if run is not None and p == run[1] + 1 and b0 == run[3] and p0 == run[5] + 1:
                run[1] = p
                run[2] = max(run[2], q)
                run[5] = p0
                run[6] = max(run[6], q0)
            else:
                if run is not None:
                    regions.append(run)
                run = [p, p, q, b0, p0, p0, q0, b]
        if run is not None:
            regions.append(run)

    found = []
    for p_first, _p_last, q_last, b0, p0_first, _p0_last, q0_last, b in regions:
        stmts = blocks[b][0]
        start_line, _col = statement_start(stmts[p_first])
        found.append((start_line, -_last_line(stmts[q_last]), b, p_first, q_last,
                      b0, p0_first, q0_last))
    found.sort()
    out = []
    kept_end = 0
    for start_line, neg_end, b, p, q, b0, p0, q0 in found:
        if start_line <= kept_end:
            continue
        kept_end = -neg_end
        stmts, qual = blocks[b]
        originals = blocks[b0][0]
        orig_start = statement_start(originals[p0])[0]
        orig_end = _last_line(originals[q0])
        lineno, col = statement_start(stmts[p])
        end_lineno, end_col = node_end(stmts[q])
        line0, end0 = lineno - 1, end_lineno - 1
        span = (line0, sm.char_col(line0, col), end0, sm.char_col(end0, end_col))
        starts, ends = block_bounds[b]
        code = texts[starts[p]:ends[q]]
        orig_qual = blocks[b0][1]
        out.append(finding(
            "duplicate-code", span,
            f"Lines {lineno}-{end_lineno} ({len(code)} code lines, in "
            f"'{display(qual)}') duplicate lines {orig_start}-{orig_end} "
            f"(in '{display(orig_qual)}').",
            qual, "\n".join(code),
        ))
    return out
