"""Static stages: advisor, bug patterns, bandit and metrics over the run's files.

The CPU-bound ones run through ``run_cpu`` (the app's killable worker pool) in
batches of about ``BATCH_BYTES`` of source, all sent at once: the pool runs as
many side by side as it has workers (one batch per stage left a core idle), and
a batch is big enough that its round trip is a rounding error. The worker reads
the files itself so neither file I/O nor parsing touches the event loop. A file that does not parse is skipped and
counted, not fatal. bandit runs as a subprocess that is killed on cancel.

One engine: the "advisor" and "bugs" analyzers both run the Refactor Advisor
(``keel.advisor.engine.analyze_source``) with the configuration ``keel/analyze``
uses for the same file (settings' ``advisor.rules``/``exclude``/``thresholds`` over
the folder's ``[tool.keel.advisor]``, suppression comments, modules read through
``analyzers.project.load_module``), so a finding has one rule id, severity,
message and range wherever it shows. "bugs" reports the rules of the bug category
(``catalog.BUG_CATEGORY``); "advisor" the rest, or every rule when the workflow has
no "bugs" stage. Together they report what ``keel/analyze`` reports.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from keel.errors import KeelError
from keel.protocol.advisor import Finding, Severity
from keel.protocol.base import Position, Range
from keel.protocol.settings import AdvisorSettings, AdvisorThresholds

from .analyzers.bandit_runner import BanditIssue, bandit_available, run_bandit
from .definitions import StageDef, WorkflowDef
from .sources import SourceFile
from .state import StageState

RunCpu = Callable[..., Awaitable[Any]]
Item = tuple[str, str, str]  # (absolute path, relative path, uri)


@dataclass
class BatchResult:
    findings: list[Finding] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "rel: why"
    metrics: dict[str, int] = field(default_factory=dict)
    hotspots: list[tuple[int, str]] = field(default_factory=list)  # (complexity, "rel:qual")


def _read(path: str) -> str:
    with open(path, encoding="utf-8", errors="replace") as handle:
        return handle.read()


_SEVERITIES: dict[str, Severity] = {"info": "info", "warning": "warning", "error": "error"}


def _severity(analyzer_says: str) -> Severity:
    """The analyzers' severity as the wire has it; an unknown one shows as a warning."""
    return _SEVERITIES.get(analyzer_says, "warning")


def _finding_id(rule: str, rel: str, anchor: str, seen: dict[tuple[str, str, str], int]) -> str:
    marker = (rule, rel, anchor)
    seen[marker] = seen.get(marker, 0) + 1
    digest = hashlib.sha1(f"{rule}\0{rel}\0{anchor}\0{seen[marker]}".encode()).hexdigest()
    return f"{rule}-{digest[:16]}"


def _range(line: int, col: int, end_line: int, end_col: int) -> Range:
    return Range(start=Position(line=max(0, line - 1), character=max(0, col)),
                 end=Position(line=max(0, end_line - 1), character=max(0, end_col)))


@dataclass(frozen=True)
class StaticContext:
    """What the advisor stages need beyond the files: the user's advisor settings, the
    workspace folder (whose pyproject.toml is read) and the workflow's analyzers."""

    settings: AdvisorSettings | None = None
    root: Path | None = None
    analyzers: frozenset[str] = frozenset()


def static_context(workflow: WorkflowDef, root: Path,
                   settings: AdvisorSettings | None) -> StaticContext:
    return StaticContext(settings, root,
                         frozenset(s.analyzer for s in workflow.stages if s.analyzer))


def _scope(analyzer: str, context: StaticContext) -> str:
    """'bugs' (bug rules), 'design' (the others) or 'all', for ``advisor_batch``."""
    if analyzer == "bugs":
        return "bugs"
    return "design" if "bugs" in context.analyzers else "all"


def _out_of_scope(scope: str) -> frozenset[str]:
    from keel.advisor.catalog import BUG_CATEGORY, RULES

    if scope == "all":
        return frozenset()
    bugs = scope == "bugs"
    return frozenset(rule for rule, spec in RULES.items() if (spec.category == BUG_CATEGORY) != bugs)


def advisor_batch(items: list[Item], thresholds: AdvisorThresholds | None,
                  context: StaticContext | None = None, scope: str = "all") -> BatchResult:
    """Worker: the advisor engine over every file, as ``keel/analyze`` runs it on each."""
    from keel.advisor.engine import analyze_source

    from .analyzers.project import excludes, find_config, load_module, usage_for

    context = context or StaticContext()
    settings = context.settings or (AdvisorSettings(thresholds=thresholds) if thresholds
                                    else None)
    roots = [context.root] if context.root else []
    skip = _out_of_scope(scope)
    out = BatchResult(metrics={"files": 0, "lines": 0, "functions": 0, "maxComplexity": 0})
    excluded = 0
    for index, (path, rel, uri) in enumerate(items):
        try:
            config, relative = find_config(Path(path), roots, settings)
            # the import index: refreshed once per batch, as keel/analyze refreshes it per file
            usage = usage_for(Path(path), roots, refresh=index == 0)
            outcome = analyze_source(_read(path), uri, config.thresholds,
                                     config.disabled | skip, load_module, usage)
        except (KeelError, SyntaxError, OSError, ValueError) as exc:
            out.skipped.append(f"{rel}: {getattr(exc, 'message', None) or type(exc).__name__}")
            continue
        if excludes(config, relative):
            excluded += 1
        else:
            out.findings.extend(outcome.findings)
        m = outcome.metrics
        out.metrics["files"] += 1
        out.metrics["lines"] += m.lines
        out.metrics["functions"] += m.functions
        out.metrics["maxComplexity"] = max(out.metrics["maxComplexity"], m.max_complexity)
    if excluded:
        out.metrics["excluded"] = excluded
    if scope == "bugs":
        out.metrics = {}  # the bug stage reports findings; the advisor stage the metrics
    return out


def metrics_batch(items: list[Item]) -> BatchResult:
    """Worker: lines, functions and complexity, with the five most complex functions."""
    from keel.advisor.engine import function_complexities

    out = BatchResult(metrics={"files": 0, "lines": 0, "codeLines": 0, "functions": 0,
                               "maxComplexity": 0})
    for path, rel, _uri in items:
        try:
            source = _read(path)
            functions = function_complexities(source)
        except (KeelError, SyntaxError, ValueError, OSError) as exc:
            out.skipped.append(f"{rel}: {getattr(exc, 'message', None) or type(exc).__name__}")
            continue
        lines = source.splitlines()
        out.metrics["files"] += 1
        out.metrics["lines"] += len(lines)
        out.metrics["codeLines"] += sum(1 for line in lines if line.strip()
                                        and not line.strip().startswith("#"))
        out.metrics["functions"] += len(functions)
        for fn in functions:
            out.metrics["maxComplexity"] = max(out.metrics["maxComplexity"], fn.complexity)
            out.hotspots.append((fn.complexity, f"{rel}:{fn.lineno} {fn.qual}"))
    out.hotspots = sorted(out.hotspots, reverse=True)[:5]
    return out


def bandit_findings(issues: list[BanditIssue], by_path: dict[str, SourceFile]) -> list[Finding]:
    findings = []
    seen: dict[tuple[str, str, str], int] = {}
    for issue in issues:
        source = by_path.get(str(Path(issue.path).resolve()))
        rel = source.rel_path if source else Path(issue.path).name
        uri = source.uri if source else Path(issue.path).resolve().as_uri()
        anchor = f"{issue.test_id}:{issue.text}"
        findings.append(Finding(
            id=_finding_id(f"bandit-{issue.test_id}", rel, anchor, seen), rule=issue.test_id,
            title=issue.test_name.replace("_", " "), message=issue.text,
            severity=_severity(issue.severity),
            category="security", uri=uri,
            range=_range(issue.line, issue.col, issue.line, max(issue.end_col, issue.col)),
            rationale=f"bandit {issue.test_id}, confidence {issue.confidence.lower()}"
                      + (f", CWE-{issue.cwe}" if issue.cwe else ""),
            fixable=False,
        ))
    return findings


# ~7,000 lines: the analysis takes ~100 ms, the round trip to a worker ~1 ms.
BATCH_BYTES = 256 * 1024
# Below this a batch is not worth its round trip; above it a target is split so
# that every worker of the pool gets a share (PARALLEL_BATCHES of them at least).
MIN_BATCH_BYTES = 16 * 1024
PARALLEL_BATCHES = 4


def split_batches(files: list[SourceFile]) -> list[list[Item]]:
    """Consecutive runs of files of about the same size in bytes, in the files' order."""
    total = sum(max(f.size, 1) for f in files)
    target = max(MIN_BATCH_BYTES, min(BATCH_BYTES, total // PARALLEL_BATCHES))
    batches: list[list[Item]] = [[]]
    filled = 0
    for f in files:
        if batches[-1] and filled + f.size > target:
            batches.append([])
            filled = 0
        batches[-1].append((str(f.path), f.rel_path, f.uri))
        filled += max(f.size, 1)
    return batches


def merge_batches(parts: list[BatchResult]) -> BatchResult:
    """One stage's result from its batches: what one batch over every file would give."""
    out = BatchResult()
    for part in parts:
        out.findings.extend(part.findings)
        out.skipped.extend(part.skipped)
        for key, value in part.metrics.items():
            if key.startswith("max"):
                out.metrics[key] = max(out.metrics.get(key, value), value)
            else:
                out.metrics[key] = out.metrics.get(key, 0) + value
        out.hotspots.extend(part.hotspots)
    out.hotspots = sorted(out.hotspots, reverse=True)[:5]
    return out


async def in_batches(run_cpu: RunCpu, fn: Callable[..., BatchResult], files: list[SourceFile],
                     *args: Any) -> BatchResult:
    """``fn`` over every file, one worker call per batch; a failed batch cancels the others."""
    batches = split_batches(files)
    if len(batches) == 1:
        result: BatchResult = await run_cpu(fn, batches[0], *args)
        return result

    async def one(batch: list[Item]) -> BatchResult:
        part: BatchResult = await run_cpu(fn, batch, *args)
        return part

    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(one(batch)) for batch in batches]
    except BaseExceptionGroup as failed:  # the stage fails as one call would have: first error
        raise failed.exceptions[0] from None
    return merge_batches([task.result() for task in tasks])


def _summarise(stage: StageState, batch: BatchResult) -> None:
    stage.findings.extend(batch.findings)
    count = len(batch.findings)
    stage.summary.append(f"{count} finding{'s' if count != 1 else ''}.")
    if batch.metrics:
        stage.summary.append(", ".join(f"{k}: {v:,}" for k, v in batch.metrics.items()) + ".")
    for complexity, where in batch.hotspots:
        stage.summary.append(f"- complexity {complexity}: `{where}`")
    if batch.skipped:
        stage.add_note(f"{len(batch.skipped)} file(s) not analysed (e.g. {batch.skipped[0]})")


async def run_static_stage(
    stage_def: StageDef, stage: StageState, files: list[SourceFile], run_cpu: RunCpu,
    thresholds: AdvisorThresholds | None, context: StaticContext | None = None,
) -> None:
    """Fill ``stage`` with the analyzer's findings; raises KeelError when the analyzer fails."""
    analyzer = stage_def.analyzer
    if not files:
        stage.status = "skipped"
        stage.add_note("no input files")
        return
    if analyzer in ("advisor", "bugs"):
        context = context or StaticContext()
        batch = await in_batches(run_cpu, advisor_batch, files, thresholds, context,
                                 _scope(analyzer, context))
    elif analyzer == "metrics":
        batch = await in_batches(run_cpu, metrics_batch, files)
    elif analyzer == "bandit":
        if not bandit_available():
            stage.status = "skipped"
            stage.degraded = True
            stage.add_note("bandit is not installed (pip install bandit)")
            return
        issues = await run_bandit([f.path for f in files])
        batch = BatchResult(findings=bandit_findings(issues, {str(f.path): f for f in files}))
    else:
        raise KeelError(f"unknown analyzer {analyzer!r}")
    _summarise(stage, batch)
    stage.status = "succeeded"
