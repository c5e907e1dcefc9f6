"""The rule catalogue: id, title, severity, category, rationale, suggestion, fixability."""

from __future__ import annotations

from dataclasses import dataclass

from keel.protocol import Severity


@dataclass(frozen=True)
class RuleSpec:
    id: str
    title: str
    severity: Severity
    category: str  # "size" | "complexity" | "maintainability" | "correctness" | "style"
    rationale: str
    suggestion: str
    fixable: bool = False


_SPECS = [
    RuleSpec(
        "long-function", "Long function", "warning", "size",
        "Long functions do several things at once; they are hard to read, test and change.",
        "Split it into smaller functions, each with one purpose and a descriptive name.",
    ),
    RuleSpec(
        "high-complexity", "High cyclomatic complexity", "warning", "complexity",
        "Every decision point adds a path to understand and test; many paths hide bugs.",
        "Extract branches into helper functions, use early returns or a lookup table.",
    ),
    RuleSpec(
        "deep-nesting", "Deeply nested code", "warning", "complexity",
        "Deeply nested blocks make the conditions under which code runs hard to follow.",
        "Use guard clauses (early return/continue) or extract the inner block into a function.",
    ),
    RuleSpec(
        "too-many-parameters", "Too many parameters", "warning", "maintainability",
        "Long parameter lists are hard to call correctly and often mean missing abstraction.",
        "Group related parameters into a dataclass, or split the function.",
    ),
    RuleSpec(
        "large-class", "Large class", "warning", "size",
        "A class with many lines or methods usually has more than one responsibility.",
        "Split it by responsibility, or move helpers into functions or collaborator classes.",
    ),
    RuleSpec(
        "duplicate-code", "Duplicated code", "warning", "maintainability",
        "Duplicated code must be changed in several places; the copies drift apart.",
        "Extract the shared statements into a function and call it from both places.",
    ),
    RuleSpec(
        "long-boolean-expression", "Long boolean expression", "warning", "complexity",
        "Conditions with many operands are hard to read and easy to get wrong.",
        "Give parts of the condition names (local variables or a predicate function).",
    ),
    RuleSpec(
        "too-many-returns", "Too many return statements", "warning", "maintainability",
        "Many exit points make it hard to see what a function returns and when.",
        "Restructure around fewer exits, e.g. compute a result variable or use a lookup.",
    ),
    RuleSpec(
        "mutable-default-argument", "Mutable default argument", "warning", "correctness",
        "A default value is created once, when the function is defined: every call that "
        "uses the default shares (and can mutate) the same object.",
        "Use None as the default and create the object inside the function.",
        fixable=True,
    ),
    RuleSpec(
        "bare-except", "Bare except", "warning", "correctness",
        "A bare 'except:' also catches KeyboardInterrupt, SystemExit and task cancellation, "
        "which should always propagate.",
        "Catch the specific exceptions you expect, or at most 'except Exception:'.",
        fixable=True,
    ),
    RuleSpec(
        "swallowed-exception", "Broad exception swallowed", "warning", "correctness",
        "Catching every exception and silently discarding it hides bugs and failures.",
        "Catch the specific exception you expect, and log or re-raise what you cannot handle.",
        fixable=True,
    ),
    RuleSpec(
        "unreachable-code", "Unreachable code", "error", "correctness",
        "Statements after return, raise, continue or break in the same block never run; "
        "this is usually a logic error.",
        "Remove the unreachable statements, or move them before the jump.",
        fixable=True,
    ),
    RuleSpec(
        "jump-in-finally", "Jump out of finally", "warning", "correctness",
        "A return, break or continue in a finally block silently discards the exception "
        "that was being raised (ruff B012, Python 3.14 warns about it).",
        "Move the jump after the try statement, or handle the exception explicitly.",
    ),
    RuleSpec(
        "loop-variable-closure", "Closure over a loop variable", "warning", "correctness",
        "A function defined in a loop reads the loop variable when it is called, not when it "
        "is defined, so every such function sees the variable's last value (ruff B023).",
        "Bind the current value as a default ('lambda i=i: ...') or with functools.partial.",
    ),
    RuleSpec(
        "redefined-unused-name", "Redefined before use", "warning", "correctness",
        "A definition or import that is replaced before anything uses it is dead code, and "
        "usually a copy-paste slip or a lost edit (pyflakes F811).",
        "Remove the first definition, or rename one of the two.",
    ),
    RuleSpec(
        "shadowed-builtin", "Builtin shadowed", "warning", "correctness",
        "Rebinding a builtin name hides the builtin for the rest of the scope, which "
        "breaks later calls to it in surprising ways.",
        "Rename the variable (e.g. add a suffix or use a more specific name).",
        fixable=True,
    ),
    RuleSpec(
        "unused-import", "Unused import", "warning", "style",
        "Unused imports slow start-up, add false dependencies and clutter the module.",
        "Remove the import (list the name in __all__ if it is a deliberate re-export).",
        fixable=True,
    ),
    RuleSpec(
        "unused-variable", "Unused local variable", "warning", "style",
        "A value that is assigned but never read is dead code or a sign of a bug.",
        "Remove the assignment, use the value, or prefix the name with '_'.",
        fixable=True,
    ),
    RuleSpec(
        "is-literal", "Identity comparison with a literal", "error", "correctness",
        "'is' compares object identity; whether two equal literals are the same object is "
        "an interpreter accident (Python warns: SyntaxWarning).",
        "Compare values with '==' / '!='; keep 'is' for None, True, False and sentinels.",
        fixable=True,
    ),
    RuleSpec(
        "eq-none", "Equality comparison with None", "warning", "style",
        "'== None' calls __eq__, which a class may override; 'is None' asks what is meant.",
        "Write 'is None' / 'is not None'.",
    ),
    RuleSpec(
        "assert-tuple", "Assert on a tuple is always true", "error", "correctness",
        "A non-empty tuple is true, so 'assert (cond, \"msg\")' can never fail.",
        "Write 'assert cond, \"msg\"' without the parentheses.",
    ),
    RuleSpec(
        "fstring-no-placeholder", "f-string without placeholders", "warning", "style",
        "An f-string with nothing to format is usually a forgotten placeholder.",
        "Add the missing {value}, or drop the 'f' prefix.",
        fixable=True,
    ),
    RuleSpec(
        "duplicate-dict-key", "Duplicate dictionary key", "error", "correctness",
        "A dictionary display keeps only the last value of a repeated key; the others are "
        "silently lost.",
        "Remove the duplicate entry, or fix the key that was meant.",
        fixable=True,
    ),
    RuleSpec(
        "self-comparison", "Comparison of a value with itself", "warning", "correctness",
        "Comparing a value with itself gives a constant result (except for NaN).",
        "Compare with the intended other value, or use math.isnan for a NaN check.",
    ),
    RuleSpec(
        "mutable-class-attribute", "Mutable class attribute shared by instances", "warning",
        "correctness",
        "A list, dict or set assigned in a class body is one object shared by every "
        "instance: a change through one instance shows in all.",
        "Create it in __init__, or annotate it ClassVar when sharing is intended.",
    ),
]

# The "Bug patterns" stage of the workflows reports these; the "Static analysis" stage the
# rest (all rules when the workflow has no bug-pattern stage): one engine, one finding.
BUG_CATEGORY = "correctness"

RULES: dict[str, RuleSpec] = {spec.id: spec for spec in _SPECS}
