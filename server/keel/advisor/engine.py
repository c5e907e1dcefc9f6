"""The engine: parse, walk once, run the rules, give findings stable ids.

Everything here is a plain top-level function over plain data, so it can run in
a worker process (arguments and results pickle). ``analyze_source`` is the
public entry point; ``analyze`` returns the internal ``Analysis`` that
``keel.advisor.fixes`` needs (syntax tree and rule payloads).

Finding ids: ``<rule>-<16 hex>``, the SHA-1 of (rule, enclosing qualified name
such as ``Class.method``, normalised anchor text, context text, occurrence
index among findings with the same four). The anchor is the flagged code with
whitespace collapsed (for whole-definition findings: the ``def``/``class``
line); the context, for a few rules, is nearby code that tells identical
anchors apart (a handler's ``try`` body, the statements before unreachable
code, the statement holding a boolean expression). No line numbers go in, so
edits elsewhere in the file keep ids; changing the flagged code (or renaming
its enclosing definition) changes them.
"""

from __future__ import annotations

import ast
import gc
import hashlib
import warnings
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from keel.errors import InvalidInput
from keel.protocol import AdvisorThresholds, AnalysisMetrics, Finding

from .catalog import RULES
from .facts import FunctionFacts, ModuleFacts, RawFinding
from .frameworks import ModuleLoader
from .rules import RuleContext, run_rules
from .source import Located, SourceMap, normalise
from .suppress import selected, suppressed_by_comments
from .walker import Walker
from .workspace import ExternalUse, PendingUse, tree_facts

__all__ = [
    "Analysis",
    "AnalysisOutcome",
    "FunctionInfo",
    "analyze",
    "analyze_source",
    "function_complexities",
    "gc_paused",
    "parse",
]


@dataclass
class AnalysisOutcome:
    findings: list[Finding]
    metrics: AnalysisMetrics
    # Not on the wire: the import index's facts of the analysed text, when the caller
    # asked for them (a ``PendingUse``), so the server need not parse the file again.
    index_facts: object = None


@dataclass(frozen=True)
class FunctionInfo:
    qual: str
    lineno: int  # 1-based line of the ``def``
    complexity: int


@dataclass
class Analysis:
    """Internal result: the raw findings (with ids) plus what fixes need."""

    source: SourceMap
    tree: ast.Module
    facts: ModuleFacts
    raw: list[RawFinding]
    thresholds: AdvisorThresholds
    uri: str
    functions: list[FunctionFacts] = field(default_factory=list)
    index_facts: object = None  # see ``AnalysisOutcome``

    def find(self, finding_id: str) -> RawFinding | None:
        for raw in self.raw:
            if raw.id == finding_id:
                return raw
        return None


def _too_complex() -> InvalidInput:
    return InvalidInput(
        "The file is nested too deeply to analyse.",
        code="analysis.too_complex",
        hint="Reduce the nesting of expressions or blocks.",
    )


def parse(source: str, sm: SourceMap | None = None) -> ast.Module:
    """``ast.parse`` with errors mapped to ``InvalidInput``."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(source)
    except SyntaxError as err:
        sm = sm or SourceMap(source)
        lineno = max(err.lineno or 1, 1)
        offset = max(err.offset or 1, 1)
        line0 = min(lineno - 1, len(sm.lines) - 1)
        char = min(offset - 1, len(sm.line_text(line0)))
        raise InvalidInput(
            f"Syntax error on line {lineno}, column {offset} (1-based): {err.msg}.",
            code="analysis.syntax_error",
            details={"line": line0, "character": sm.utf16_col(line0, char)},
        ) from None
    except ValueError as err:  # e.g. null bytes on some Python versions
        raise InvalidInput(
            f"The source cannot be parsed: {err}.",
            code="analysis.syntax_error",
            details={"line": 0, "character": 0},
        ) from None
    except (RecursionError, MemoryError):
        raise _too_complex() from None


def _context_text(sm: SourceMap, nodes: Sequence[Located] | None) -> str:
    return "\n".join(normalise(sm.segment(node)) for node in nodes or ())


def _assign_ids(raw: list[RawFinding], sm: SourceMap) -> None:
    """Ids from (rule, qual, anchor, context text, occurrence index among equal keys).

    The context (e.g. the body of the ``try`` a handler belongs to) tells apart
    findings with the same anchor text without using positions. When a rule gives
    a ``site`` (its occurrence among all equal *sites*, findings or not), that is
    the index: fixing one of two identical handlers leaves the handler (now fixed)
    in place, so the other keeps its index and its id.
    """
    seen: dict[tuple[str, str, str, str], int] = {}
    for item in raw:
        context = _context_text(sm, item.context) if item.context else ""
        key = (item.rule, item.qual, item.anchor, context)
        if item.site is not None:
            index = f"site:{item.site}"
        else:
            count = seen.get(key, 0)
            seen[key] = count + 1
            index = str(count)
        digest = hashlib.sha1("\x00".join((*key, index)).encode("utf-8")).hexdigest()
        item.id = f"{item.rule}-{digest[:16]}"


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a syntax tree is alive.

    A syntax tree is acyclic and freed by reference counting, but the collector
    still rescans its hundreds of thousands of fresh nodes again and again (a
    quarter of the run time; far more when findings are built while a big tree
    is alive). Callers drop every reference to the tree before leaving the block.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def analyze(source: str, uri: str, thresholds: AdvisorThresholds | None = None,
            disabled: Collection[str] = (), load: ModuleLoader | None = None,
            usage: ExternalUse | PendingUse | None = None) -> Analysis:
    """The internal analysis (tree, facts, raw findings with ids); see ``gc_paused``.

    ``load`` reads the modules this one imports (called with the module as written and
    an importer key: ``uri`` for this file), so that a class derived from a framework's
    class in another module is known as managed; without it only this file counts.
    ``usage`` (``workspace.ImportIndex.usage``) is what other modules use of this one:
    with it an unused import's removal can be proven safe (``import_safety``). A
    ``PendingUse`` is resolved with this text's index facts, which the result carries.

    Findings of ``disabled`` rules (Keel ids or ruff codes) and findings that a
    ``# noqa`` / ``# keel: ignore`` comment suppresses are left out (after the ids
    are given, so suppressing one finding never moves another's id).
    """
    thresholds = thresholds or AdvisorThresholds()
    sm = SourceMap(source)
    with gc_paused():
        tree = parse(source, sm)
        index_facts = None
        if isinstance(usage, PendingUse):
            index_facts = tree_facts(usage.path, source, tree)
            usage = usage.resolve(index_facts)
        try:
            facts = Walker().walk(tree)
            ctx = RuleContext(sm=sm, facts=facts, thresholds=thresholds, uri=uri, tree=tree,
                              load=load, key=uri, usage=usage)
            raw = run_rules(ctx)
        except RecursionError:
            raise _too_complex() from None
        raw.sort(key=lambda r: (r.span, r.rule))
        _assign_ids(raw, sm)
        raw = suppressed_by_comments(source, sm.lines, selected(raw, disabled))
    return Analysis(sm, tree, facts, raw, thresholds, uri, facts.functions, index_facts)


def _wire(raw: RawFinding, sm: SourceMap, uri: str) -> Finding:
    spec = RULES[raw.rule]
    line0, col, end0, end = raw.span
    utf16 = sm.utf16_col
    # one validation of plain data is several times cheaper than nested model instances
    return Finding.model_validate({
        "id": raw.id,
        "rule": raw.rule,
        "title": spec.title,
        "message": raw.message,
        "severity": spec.severity,
        "category": spec.category,
        "uri": uri,
        "range": {"start": {"line": line0, "character": utf16(line0, col)},
                  "end": {"line": end0, "character": utf16(end0, end)}},
        "rationale": spec.rationale,
        "suggestion": spec.suggestion,
        "fixable": raw.fixable,
        "fix_safety": raw.safety if raw.fixable else None,
    })


def _metrics(analysis: Analysis) -> AnalysisMetrics:
    sm = analysis.source
    lines = len(sm.lines)
    if lines and sm.lines[-1] == "":
        lines -= 1  # a final line break does not start another line
    code_lines = sum(1 for text in sm.normalised_lines() if text)
    functions = analysis.facts.functions
    return AnalysisMetrics(
        lines=lines,
        functions=len(functions),
        max_complexity=max((fn.cc for fn in functions), default=0),
        classes=len(analysis.facts.classes),
        code_lines=code_lines,
    )


def analyze_source(
    source: str, uri: str, thresholds: AdvisorThresholds | None = None,
    disabled: Collection[str] = (), load: ModuleLoader | None = None,
    usage: ExternalUse | PendingUse | None = None,
) -> AnalysisOutcome:
    """Analyse one Python source text (``disabled``: rules not to report; ``load``: how to
    read the modules it imports; see ``analyze``).

    Raises ``InvalidInput`` with code ``analysis.syntax_error`` (details: 0-based
    ``line`` and UTF-16 ``character``) or ``analysis.too_complex``.
    """
    with gc_paused():
        return _outcome(analyze(source, uri, thresholds, disabled, load, usage), uri)


def _outcome(analysis: Analysis, uri: str) -> AnalysisOutcome:
    # a function of its own so that the tree is freed before the collector resumes
    sm = analysis.source
    findings = [_wire(raw, sm, uri) for raw in analysis.raw]
    return AnalysisOutcome(findings=findings, metrics=_metrics(analysis),
                           index_facts=analysis.index_facts)


def function_complexities(source: str) -> list[FunctionInfo]:
    """Every function's cyclomatic complexity (radon's count), in source order."""
    sm = SourceMap(source)
    with gc_paused():
        tree = parse(source, sm)
        try:
            facts = Walker().walk(tree)
        except RecursionError:
            raise _too_complex() from None
        infos = [FunctionInfo(fn.qual, fn.node.lineno, fn.cc) for fn in facts.functions]
        del tree, facts
    infos.sort(key=lambda info: (info.lineno, info.qual))
    return infos
