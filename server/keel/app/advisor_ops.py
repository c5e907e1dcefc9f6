"""keel/analyze and keel/generateFix: the advisor engine behind deadlines and killable workers."""

from __future__ import annotations

import asyncio
import hashlib
import importlib
import time
from collections import OrderedDict
from collections.abc import Iterable

from keel.advisor.config import AdvisorConfig
from keel.advisor.engine import AnalysisOutcome, analyze_source
from keel.advisor.workspace import ExternalUse, PendingUse
from keel.errors import ContentModified, InvalidInput
from keel.health.config import note_pyproject
from keel.protocol.advisor import (
    AnalysisResult,
    AnalyzeParams,
    FixProposal,
    GenerateFixParams,
)
from keel.runtime.progress import work_done_progress
from keel.runtime.threads import in_thread
from keel.runtime.workers import release_freed_memory

from .advisor_config import (
    deliver_index_facts,
    deliver_unparsable,
    excludes,
    find_config,
    load_module,
    usage_for_fix,
    usage_if_ready,
)
from .documents import SourceText, python_source
from .state import AdvisorState, KeelApp

CACHE_ENTRIES = 256
# Findings are ~3 KB each as models: bound the cache by them too, or a few huge
# files keep the server tens of MB larger for good.
CACHE_FINDINGS = 3_000  # ~256 editor-sized files; one 50k-line module does not stay
VERSIONS_KEPT = 8
# After an answer this big has been sent, the server's heap is trimmed (once the
# answer is gone: TRIM_AFTER_S later).
TRIM_FINDINGS = 1_000
TRIM_AFTER_S = 2.0
_trims: set[asyncio.Task[bool]] = set()


def _trim_later() -> None:
    def start() -> None:
        task = asyncio.ensure_future(in_thread(release_freed_memory))
        _trims.add(task)
        task.add_done_callback(_trims.discard)

    if not _trims:
        asyncio.get_running_loop().call_later(TRIM_AFTER_S, start)


def _key(app: KeelApp, source: SourceText, config: AdvisorConfig, usage: object = None) -> str:
    digest = hashlib.sha256()
    digest.update(source.uri.encode())
    digest.update(repr(config).encode())
    digest.update(_usage_key(usage).encode())  # what other modules use of this one (fix safety)
    digest.update(source.text.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def _usage_key(usage: object) -> str:
    """The same string for equal usages, however their sets were built (a ``PendingUse``
    resolved by the worker keys its outcome as the index's own answer keys it next time)."""
    if isinstance(usage, ExternalUse):
        return repr((usage.everything, sorted(usage.names.items()), sorted(usage.dynamic)))
    if isinstance(usage, PendingUse):
        return repr(("pending", usage.path, _usage_key(usage.without_all), _usage_key(usage.with_all)))
    return repr(usage)


async def analyze_text(app: KeelApp, source: SourceText, progress_token=None) -> tuple[AnalysisOutcome, bool]:
    state = app.advisor
    # settings' advisor.rules/exclude/thresholds over the folder's pyproject [tool.keel.advisor]
    config, relative = await in_thread(find_config, source.path, app.workspace_folders,
                                       app.settings.advisor)
    if config.source is not None:
        note_pyproject(app.monitor, app.notifier.show_message, config.source, config.problems)
    # the workspace import index, refreshed by file stamps: proves unused imports safe to
    # remove (built in the background on first use; until then such fixes stay unsafe).
    # This file's own new text is indexed by the worker that analyses it (a PendingUse).
    usage = await in_thread(usage_if_ready, source.path, list(app.workspace_folders), source.text)
    key = _key(app, source, config, usage)
    hit = state.cache.get(key)
    if hit is not None:
        state.cache.move_to_end(key)
        return hit, True
    async with work_done_progress(app.notifier, f"Analyzing {source.path.name}", progress_token) as progress:
        outcome = await _run_analysis(app, source, config, usage)
        if excludes(config, relative):
            outcome = AnalysisOutcome(findings=[], metrics=outcome.metrics,
                                      index_facts=outcome.index_facts)
        progress.final_message = f"{len(outcome.findings)} findings"
    if isinstance(usage, PendingUse) and outcome.index_facts is not None:
        # cached as the next request finds it, once the index holds these facts
        key = _key(app, source, config, usage.resolve(outcome.index_facts))  # type: ignore[arg-type]
    if len(outcome.findings) > TRIM_FINDINGS:
        _trim_later()
    if len(outcome.findings) > CACHE_FINDINGS:
        # It would evict every other entry and keep tens of MB alive for good.
        _remember_ids(state, source.uri, key, outcome)
        return outcome, False
    state.cache[key] = outcome
    state.cached_findings += len(outcome.findings)
    while len(state.cache) > 1 and (len(state.cache) > CACHE_ENTRIES
                                    or state.cached_findings > CACHE_FINDINGS):
        _, evicted = state.cache.popitem(last=False)
        state.cached_findings -= len(evicted.findings)
    _remember_ids(state, source.uri, key, outcome)
    return outcome, False


async def _run_analysis(app: KeelApp, source: SourceText, config: AdvisorConfig,
                        usage: object) -> AnalysisOutcome:
    try:
        outcome = await app.workers.run(analyze_source, source.text, source.uri, config.thresholds,
                                        config.disabled, load_module, usage)
    except InvalidInput as err:
        if isinstance(usage, PendingUse) and err.code == "analysis.syntax_error":
            deliver_unparsable(source.path, source.text)  # what the index holds for it
        raise
    if isinstance(usage, PendingUse):
        deliver_index_facts(source.path, outcome.index_facts)
    return outcome


def _remember_ids(state: AdvisorState, uri: str, key: str, outcome: AnalysisOutcome) -> None:
    seen = state.seen.setdefault(uri, OrderedDict())
    # One string, not a set of the findings' own id strings: those sit one per
    # finding among the freed findings and would keep every memory page of a big
    # answer alive (~30 MB per 50k-line file), long after the answer is gone.
    seen[key] = "\n" + "\n".join(f.id for f in outcome.findings) + "\n"
    while len(seen) > VERSIONS_KEPT:
        seen.popitem(last=False)


def _seen_before(finding_id: str, versions: Iterable[str]) -> bool:
    return "\n" not in finding_id and any(f"\n{finding_id}\n" in ids for ids in versions)


async def analyze(app: KeelApp, params: AnalyzeParams) -> AnalysisResult:
    started = time.perf_counter()
    source = await python_source(app, params.uri)
    outcome, cached = await analyze_text(app, source, params.work_done_token)
    return AnalysisResult(
        uri=params.uri, version=source.version, findings=outcome.findings, metrics=outcome.metrics,
        cached=cached, duration_ms=int((time.perf_counter() - started) * 1000),
    )


async def generate_fix(app: KeelApp, params: GenerateFixParams) -> FixProposal:
    source = await python_source(app, params.uri)
    outcome, _ = await analyze_text(app, source)
    finding = next((f for f in outcome.findings if f.id == params.finding_id), None)
    if finding is None:
        seen = app.advisor.seen.get(params.uri)
        if seen and _seen_before(params.finding_id, seen.values()):
            raise ContentModified(
                "The document changed since this finding was computed; analyse it again.",
                hint="Run Analyze again and pick the finding from the new results.")
        raise InvalidInput(f"No finding {params.finding_id!r} in {source.path.name}.",
                           code="finding.unknown", details={"field": "findingId"})
    if finding.fixable:
        # libcst: imported when a fix is first asked for (or by the warm-up), on a thread.
        fixes = await in_thread(importlib.import_module, "keel.advisor.fixes")
        config, _ = await in_thread(find_config, source.path, app.workspace_folders,
                                    app.settings.advisor)
        usage = await in_thread(usage_for_fix, source.path, list(app.workspace_folders))
        fix = await app.workers.run(fixes.rule_fix, source.text, source.uri, params.finding_id,
                                    config.thresholds, usage)
        if fix is not None:
            return FixProposal(uri=params.uri, finding_id=params.finding_id, version=source.version,
                               edits=fix.edits, explanation=fix.explanation, title=fix.title, source="rule",
                               safety=fix.safety, safety_reason=fix.safety_reason)
    llm_fix = await in_thread(importlib.import_module, "keel.app.llm_fix")
    return await llm_fix.propose_llm_fix(app, source, finding)
