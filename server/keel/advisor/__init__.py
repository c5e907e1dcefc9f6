"""Refactor Advisor: offline rules over Python syntax trees, findings and rule-based fixes.

Pure Python, no server code: ``keel.lsp``/``keel.runtime`` call these functions
(typically in a worker process; everything public is a picklable top-level
function over plain data).

Entry points
    ``engine.analyze_source(source, uri, thresholds=None, disabled=()) -> AnalysisOutcome``
        (``findings: list[keel.protocol.Finding]``, ``metrics: AnalysisMetrics``).
        Raises ``keel.errors.InvalidInput`` with code ``analysis.syntax_error``
        (``details``: 0-based ``line`` and ``character``; the message quotes the
        1-based line and column) or ``analysis.too_complex`` (nesting deep enough
        to exhaust the parser or the recursion limit).
    ``fixes.rule_fix(source, uri, finding_id, thresholds=None) -> FixResult | None``
        and ``fixes.FIXABLE_RULES``; ``fixes.find_finding`` tells "no such finding"
        from "finding without a rule fix".
    ``edits.apply_text_edits(text, edits)`` applies LSP edits (for tests and callers).

Rules (id: severity, category; thresholds from ``AdvisorThresholds``)
    long-function             warning  size             max_function_lines (docstring not counted)
    too-many-parameters       warning  maintainability  max_parameters (self/cls not counted)
    large-class               warning  size             max_class_lines, max_class_methods
    high-complexity           warning  complexity       max_complexity (radon's cc, exactly)
    deep-nesting              warning  complexity       max_nesting (elif stays on its level)
    too-many-returns          warning  maintainability  max_returns (6, as pylint and ruff)
    long-boolean-expression   warning  complexity       max_boolean_operands (and/or/not flattened)
    duplicate-code            warning  maintainability  min_duplicate_lines (code lines)
    mutable-default-argument  warning  correctness      fixable (not for lambdas)
    bare-except               warning  correctness      fixable; not reported when it re-raises
    swallowed-exception       warning  correctness      fixable; except Exception/BaseException
                                                        whose body only passes/continues/returns,
                                                        unless deliberate (handler_intent)
    unreachable-code          error    correctness      fixable; after return/raise/continue/break
    jump-in-finally           warning  correctness      return/break/continue leaving a finally
    loop-variable-closure     warning  correctness      lambda/def in a for loop reading its variable
    redefined-unused-name     warning  correctness      def/class/import replaced before any use
    shadowed-builtin          warning  correctness      not API names (methods, public params, module defs),
                                                        module aliases, imports under their own name
    unused-import             warning  style            fixable; module level, see rules_names
    unused-variable           warning  style            fixable when every binding is side-effect free
    is-literal                error    correctness      fixable (safe for str/bytes/number literals)
    eq-none                   warning  style            not inside query calls (filter, where, and_)
    assert-tuple              error    correctness
    fstring-no-placeholder    warning  style            fixable (safe) when the value is unchanged
    duplicate-dict-key        error    correctness
    self-comparison           warning  correctness
    mutable-class-attribute   warning  correctness      not in framework-managed classes (frameworks)

Every fixable finding says whether its fix is safe (``Finding.fix_safety``);
``suppress`` drops findings a ``# noqa`` / ``# keel: ignore`` comment or a
disabled rule hides; ``config`` merges settings with ``[tool.keel.advisor]``;
``fix_all`` applies fixes one at a time. Rules reference: docs/advisor.md.

Severity: ``error`` for code that cannot do what it says (unreachable code, an
identity comparison with a literal, an assert that cannot fail, a dictionary key
whose first value is lost); everything else is ``warning`` (advice, not
breakage). Nothing is ``info`` today.

Fix safety of unused-import is project-aware: ``analyze(..., usage=...)`` takes
what the rest of the workspace uses of the module (``workspace.ImportIndex``) and
``import_safety`` decides; see docs/advisor.md.

Ranges are zero-based (line, character) with the end exclusive, as in LSP;
``character`` counts UTF-16 code units (``ast``'s UTF-8 byte columns are
converted). Whole-definition findings (long-function, high-complexity,
too-many-parameters, too-many-returns, large-class) point at the definition's
name; deep-nesting at the keyword of the deepest block; bare-except at
``except``; swallowed-exception at ``except <type>``; the others at the
flagged node or statements.

Finding ids are stable across unrelated edits (see ``engine``). Messages name
the function/variable and the numbers; line numbers in messages are 1-based.

Performance: one parse and one walk (``walker``) gather the facts for every rule;
the rules then look only at those facts. Linear in the size of the file except
duplicate-code and unused-variable bookkeeping, which are O(size x nesting).
"""
