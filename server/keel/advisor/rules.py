"""All rules: the catalogue and ``run_rules`` over the facts of one walk.

Rule modules: ``rules_size`` (long-function, too-many-parameters, large-class),
``rules_flow`` (high-complexity, deep-nesting, too-many-returns,
long-boolean-expression, unreachable-code, bare-except, swallowed-exception,
jump-in-finally),
``rules_names`` (shadowed-builtin, unused-import, unused-variable,
mutable-default-argument), ``rules_scope`` (loop-variable-closure,
redefined-unused-name), ``rules_dup`` (duplicate-code) and ``rules_bugs`` (is-literal,
eq-none, assert-tuple, fstring-no-placeholder, duplicate-dict-key, self-comparison,
mutable-class-attribute).
"""

from __future__ import annotations

from . import rules_bugs, rules_dup, rules_flow, rules_names, rules_scope, rules_size
from .catalog import RULES, RuleSpec
from .facts import RawFinding
from .rules_common import RuleContext

CHECKS = (rules_size.check, rules_flow.check, rules_names.check, rules_scope.check,
          rules_dup.check, rules_bugs.check)

__all__ = ["CHECKS", "RULES", "RuleContext", "RuleSpec", "run_rules"]


def run_rules(ctx: RuleContext) -> list[RawFinding]:
    out: list[RawFinding] = []
    for check in CHECKS:
        out.extend(check(ctx))
    return out
