"""Rule fixes round-trip: the edits apply, the result parses, the finding is gone."""

from __future__ import annotations

import pytest
from advisor_testlib import URI, apply_edits, findings, fix_round_trip, src

from keel.advisor.edits import apply_text_edits
from keel.advisor.engine import analyze_source
from keel.advisor.fixes import FIXABLE_RULES, find_finding, rule_fix
from keel.advisor.workspace import ExternalUse


def _one(code: str, rule: str, **thresholds):
    found = findings(code, rule, **thresholds)
    assert len(found) == 1, found
    return found[0]


def test_fixable_rules_and_flags_agree():
    assert FIXABLE_RULES == {"mutable-default-argument", "bare-except", "swallowed-exception",
                             "unused-import", "unused-variable", "unreachable-code",
                             "is-literal", "fstring-no-placeholder", "duplicate-dict-key",
                             "shadowed-builtin"}
    code = src("""
        import os

        def f(x=[]):
            if x and x and x and x and x:
                return 1
            return 2
    """)
    for finding in findings(code, max_boolean_operands=2):
        assert finding.fixable == (finding.rule in FIXABLE_RULES)


def test_fix_result_pickles_for_worker_processes():
    import pickle

    code = "def f(x=[]):\n    return x\n"
    result = rule_fix(code, URI, _one(code, "mutable-default-argument").id)
    assert pickle.loads(pickle.dumps(result)) == result


def test_unknown_id_gives_none_and_find_finding_tells_why():
    code = "def f(x=[]):\n    return x\n"
    assert rule_fix(code, URI, "mutable-default-argument-0000000000000000") is None
    assert find_finding(code, URI, "nope") is None
    finding = _one(code, "mutable-default-argument")
    assert find_finding(code, URI, finding.id) == finding
    not_fixable = _one("def f(a, b, c, d, e, f, g):\n    pass\n", "too-many-parameters")
    assert rule_fix("def f(a, b, c, d, e, f, g):\n    pass\n", URI, not_fixable.id) is None


# -- mutable-default-argument ---------------------------------------------


def test_mutable_default_after_docstring():
    code = src('''
        class K:
            def put(self, key, values: list[int] = [], *, extra={}):
                """Store values."""
                values.append(key)
                return values
    ''')
    finding = [f for f in findings(code, "mutable-default-argument") if "values" in f.message][0]
    fixed = fix_round_trip(code, finding)
    assert fixed == src('''
        class K:
            def put(self, key, values: list[int] | None = None, *, extra={}):
                """Store values."""
                if values is None:
                    values = []
                values.append(key)
                return values
    ''')


def test_mutable_default_one_line_body_and_string_annotation():
    code = 'async def f(x: "dict[str, int]" = {"a": 1}): return x  # note\n'
    fixed = fix_round_trip(code, _one(code, "mutable-default-argument"))
    assert fixed == (
        'async def f(x: "dict[str, int] | None" = None):\n'
        '    if x is None:\n'
        '        x = {"a": 1}\n'
        '    return x  # note\n'
    )


def test_mutable_default_keeps_optional_annotation_and_tabs():
    code = "def f(x: Optional[list] = list()):\n\tif x:\n\t\treturn x\n"
    fixed = fix_round_trip(code, _one(code, "mutable-default-argument"))
    assert fixed == ("def f(x: Optional[list] = None):\n\tif x is None:\n\t\tx = list()\n"
                     "\tif x:\n\t\treturn x\n")


# -- except handlers ------------------------------------------------------


def test_bare_except_becomes_except_exception():
    code = src("""
        try:
            work()
        except:
            cleanup()
    """)
    finding = _one(code, "bare-except")
    result = rule_fix(code, URI, finding.id)
    assert len(result.edits) == 1 and result.edits[0].new_text == " Exception"
    assert result.title == "Narrow bare except to Exception (unsafe)"
    assert fix_round_trip(code, finding) == code.replace("except:", "except Exception:")


def test_bare_except_that_swallows_is_narrowed_and_logged_not_traded_for_a_new_finding():
    """Regression: 'except: pass' became 'except Exception: pass', a swallowed-exception."""
    code = src("""
        import logging

        try:
            work()
        except:
            pass
    """)
    finding = _one(code, "bare-except")
    result = rule_fix(code, URI, finding.id)
    assert result.title == "Narrow bare except to Exception and log it (unsafe)"
    fixed = fix_round_trip(code, finding)
    assert fixed.endswith('except Exception:\n    logging.getLogger(__name__).debug('
                          '"Ignored exception", exc_info=True)\n')
    assert findings(fixed, "swallowed-exception") == []


def test_swallowed_exception_fix_adds_import_logging_among_the_imports_never_dunder_import():
    """Regression: the fix wrote '__import__("logging").getLogger(...)'."""
    code = src('''
        """Module."""
        from __future__ import annotations

        import json
        import os
        from pathlib import Path


        def f():
            try:
                os.remove("x")
            except Exception:
                pass
    ''')
    # this module does not log; another of its project does (the fix follows its style)
    result = rule_fix(code, URI, _one(code, "swallowed-exception").id,
                      usage=ExternalUse(logs=True))
    fixed = apply_text_edits(code, result.edits)
    assert "__import__" not in fixed
    assert "import json\nimport logging\nimport os\n" in fixed
    assert fixed.splitlines()[-1] == (
        '        logging.getLogger(__name__).debug("Ignored exception", exc_info=True)')
    assert result.title == "Log the swallowed exception (unsafe)"
    assert result.safety == "unsafe" and "logs" in result.safety_reason


def test_swallowed_exception_fix_uses_the_module_logger():
    code = src("""
        import structlog

        log = structlog.get_logger(__name__)


        def f():
            try:
                work()
            except Exception:
                pass
    """)
    fixed = fix_round_trip(code, _one(code, "swallowed-exception"))
    assert "import logging" not in fixed
    assert fixed.endswith('    except Exception:\n        log.debug("Ignored exception", '
                          'exc_info=True)\n')


def test_a_module_logger_defined_below_a_module_level_handler_is_not_used():
    code = src("""
        import logging

        try:
            work()
        except Exception:
            pass

        log = logging.getLogger(__name__)
    """)
    fixed = fix_round_trip(code, _one(code, "swallowed-exception"))
    assert '    logging.getLogger(__name__).debug("Ignored exception", exc_info=True)' in fixed


def test_swallowed_exception_fix_is_not_offered_when_logging_means_something_else():
    code = src("""
        from myproject import logging

        try:
            work()
        except Exception:
            pass
    """)
    assert rule_fix(code, URI, _one(code, "swallowed-exception").id) is None


def test_swallowed_exception_fix_does_not_make_logging_a_local():
    code = src("""
        import logging


        def f():
            logging.info("start")
            try:
                work()
            except Exception:
                pass
    """)
    fixed = fix_round_trip(code, _one(code, "swallowed-exception"))
    assert "import logging" not in fixed.split("def f")[1]
    assert "        logging.getLogger(__name__)" in fixed


def test_swallowed_exception_on_one_line_with_logging_already_imported():
    code = "import logging\nfor x in y:\n    try: x()\n    except Exception: continue\n"
    fixed = fix_round_trip(code, _one(code, "swallowed-exception"))
    assert fixed == ("import logging\nfor x in y:\n    try: x()\n    except Exception:\n"
                     '        logging.getLogger(__name__).debug("Ignored exception", '
                     'exc_info=True)\n        continue\n')


def _fix_in_logging_project(code, finding):
    """Apply the fix as in a project whose other modules log; the finding goes."""
    usage = ExternalUse(logs=True)
    fixed = apply_text_edits(code, rule_fix(code, URI, finding.id, usage=usage).edits)
    after = analyze_source(fixed, URI, usage=usage).findings
    assert finding.id not in {f.id for f in after}, fixed
    return fixed


def test_swallowed_exception_in_module_without_imports():
    code = "try:\n    x()\nexcept BaseException:\n    pass\n"
    fixed = _fix_in_logging_project(code, _one(code, "swallowed-exception"))
    assert fixed == ("import logging\n\ntry:\n    x()\nexcept BaseException:\n    "
                     'logging.getLogger(__name__).debug("Ignored exception", exc_info=True)\n')


def test_swallowed_exception_fix_keeps_crlf_and_the_statements_after_the_call():
    code = ("import os\r\n\r\ntry:\r\n    x()\r\nexcept Exception:\r\n"
            "    'doc'\r\n    pass\r\n")
    fixed = _fix_in_logging_project(code, _one(code, "swallowed-exception"))
    assert fixed == ("import logging\r\nimport os\r\n\r\ntry:\r\n    x()\r\n"
                     "except Exception:\r\n    logging.getLogger(__name__).debug("
                     '"Ignored exception", exc_info=True)\r\n    \'doc\'\r\n    pass\r\n')


def test_handler_that_hands_the_exception_back_is_not_swallowing():
    """Regression: 'return (error, None)' returns the exception to the caller."""
    code = "def f():\n    try:\n        g()\n    except Exception as error:\n" \
           "        return (error, None)\n"
    assert findings(code, "swallowed-exception") == []


# -- unused-import --------------------------------------------------------


@pytest.mark.parametrize(("code", "expected"), [
    ("import os\nimport sys\nprint(sys)\n", "import sys\nprint(sys)\n"),
    ("import os, sys\nprint(sys)\n", "import sys\nprint(sys)\n"),
    ("import sys, os\nprint(sys)\n", "import sys\nprint(sys)\n"),
    ("from a import (\n    b,\n    c,\n)\nprint(b)\n", "from a import (\n    b,\n)\nprint(b)\n"),
    ("from a import b as c, d  # why\nprint(d)\n", "from a import d  # why\nprint(d)\n"),
    ("import sys; import os\nprint(sys)\n", "import sys\nprint(sys)\n"),
    ("import os; import sys\nprint(sys)\n", "import sys\nprint(sys)\n"),
    ("if sys.platform == 'x':\n    import os\n", "if sys.platform == 'x':\n    pass\n"),
    ("if True: import os\n", "if True: pass\n"),
])
def test_unused_import(code, expected):
    assert fix_round_trip(code, _one(code, "unused-import")) == expected


# -- unused-variable ------------------------------------------------------


@pytest.mark.parametrize(("code", "expected"), [
    ("def f():\n    x = 1\n    return 2\n", "def f():\n    return 2\n"),
    ("def f():\n    x: int = -1\n    x = y\n    return 2\n", "def f():\n    return 2\n"),
    ("def f():\n    x = 1\n", "def f():\n    pass\n"),
    ("def f():\n    if a:\n        x = (1, 'b')\n    return 2\n",
     "def f():\n    if a:\n        pass\n    return 2\n"),
    ("def f():\n    with open(p) as fh:\n        pass\n",
     "def f():\n    with open(p):\n        pass\n"),
    ("def f():\n    with (a as x, b as y):\n        return y\n",
     "def f():\n    with (a, b as y):\n        return y\n"),
    ("def f():\n    try:\n        pass\n    except (ValueError) as err:\n        pass\n",
     "def f():\n    try:\n        pass\n    except (ValueError):\n        pass\n"),
    ("def f():\n    a = 1; b = 2\n    return b\n", "def f():\n    b = 2\n    return b\n"),
])
def test_unused_variable(code, expected):
    assert fix_round_trip(code, _one(code, "unused-variable")) == expected


def test_unused_variable_with_side_effects_is_not_fixed():
    code = "def f():\n    x = compute()\n"
    finding = _one(code, "unused-variable")
    assert not finding.fixable
    assert rule_fix(code, URI, finding.id) is None


# -- unreachable-code -----------------------------------------------------


def test_unreachable_code_removed_including_decorated_definitions():
    code = src("""
        def f(x):
            if x:
                raise ValueError(x)
                x += 1

                @decorator
                def g():
                    pass
            return x  # done
    """)
    fixed = fix_round_trip(code, _one(code, "unreachable-code"))
    assert fixed == src("""
        def f(x):
            if x:
                raise ValueError(x)
            return x  # done
    """)


def test_unreachable_after_semicolon():
    code = "def f():\n    return 1; x = 2\n"
    assert fix_round_trip(code, _one(code, "unreachable-code")) == "def f():\n    return 1\n"


# -- positions ------------------------------------------------------------


def test_edits_use_utf16_columns_and_keep_crlf():
    code = 'def f(s="😀", x=[]):\r\n    return s, x\r\n'
    finding = _one(code, "mutable-default-argument")
    assert finding.range.start.character == 16  # the emoji is two UTF-16 code units
    result = rule_fix(code, URI, finding.id)
    fixed = apply_edits(code, result.edits)
    assert fixed == apply_text_edits(code, result.edits)
    assert fixed == ('def f(s="😀", x=None):\r\n    if x is None:\r\n        x = []\r\n'
                     "    return s, x\r\n")
    assert finding.id not in {f.id for f in findings(fixed)}
