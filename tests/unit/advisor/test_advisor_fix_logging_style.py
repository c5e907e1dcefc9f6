"""The fixes that add logging are offered only where logging is the code's style (issue 23
point 5): the module logs, or another module of its project (tests left out) does."""

from __future__ import annotations

from advisor_testlib import URI, src

from keel.advisor.edits import apply_text_edits
from keel.advisor.engine import analyze_source
from keel.advisor.fixes import rule_fix
from keel.advisor.workspace import ExternalUse, ImportIndex, file_facts

SWALLOW = """
    def probe(stream):
        try:
            return stream.readable()
        except Exception:
            pass
        return False
"""
BARE_SWALLOW = """
    def probe(stream):
        try:
            stream.flush()
        except:
            pass
"""
BARE_BODY = """
    def probe(stream):
        try:
            stream.flush()
        except:
            stream.close()
"""


def _one(code, rule, usage=None):
    found = [f for f in analyze_source(code, URI, usage=usage).findings if f.rule == rule]
    assert len(found) == 1, found
    return found[0]


def test_a_module_and_project_that_never_log_get_no_logging_fix():
    """click has no logging: 'add import logging' is not a fix its reviewers accept."""
    for usage in (None, ExternalUse(), ExternalUse(names={"x": "a.py"})):
        code = src(SWALLOW)
        found = _one(code, "swallowed-exception", usage)
        assert not found.fixable and found.fix_safety is None
        assert rule_fix(code, URI, found.id, usage=usage) is None
        bare = _one(src(BARE_SWALLOW), "bare-except", usage)
        assert not bare.fixable  # narrowing alone would leave 'except Exception: pass'


def test_bare_except_that_does_something_is_still_narrowed_without_logging():
    code = src(BARE_BODY)
    found = _one(code, "bare-except")
    assert found.fixable and found.fix_safety == "unsafe"
    fixed = apply_text_edits(code, rule_fix(code, URI, found.id).edits)
    assert "except Exception:" in fixed and "logging" not in fixed


def test_a_module_that_logs_gets_the_fix_through_its_own_style():
    cases = {
        "import logging\n\nlogging.basicConfig()\n\n":
            "logging.getLogger(__name__).debug(",
        "import logging\n\nlog = logging.getLogger(__name__)\n\n": "log.debug(",
        "import structlog\n\nlogger = structlog.get_logger()\n\n": "logger.debug(",
        "from logging import getLogger\n\n_log = getLogger(__name__)\n\n": "_log.debug(",
        "import logging.handlers\n\n": "logging.getLogger(__name__).debug(",
    }
    for head, call in cases.items():
        code = head + src(SWALLOW)
        found = _one(code, "swallowed-exception")
        assert found.fixable, head
        fixed = apply_text_edits(code, rule_fix(code, URI, found.id).edits)
        assert call in fixed and "__import__" not in fixed, fixed


def test_a_module_of_a_project_that_logs_gets_the_fix_with_import_logging():
    code = src(SWALLOW)
    usage = ExternalUse(logs=True)
    found = _one(code, "swallowed-exception", usage)
    assert found.fixable and found.fix_safety == "unsafe"
    fixed = apply_text_edits(code, rule_fix(code, URI, found.id, usage=usage).edits)
    assert fixed.startswith("import logging\n") and "logging.getLogger(__name__).debug(" in fixed
    assert _one(src(BARE_SWALLOW), "bare-except", usage).fixable


def test_hostile_look_alikes_do_not_count_as_logging():
    for head in ("import mylogging\n\n", "from .logging import setup\n\n",
                 "def f():\n    import logging\n\n", "log = make_log()\n\n"):
        found = _one(head + src(SWALLOW), "swallowed-exception")
        assert not found.fixable, head


def test_the_index_says_whether_the_project_logs_tests_left_out():
    index = ImportIndex()
    index.update("/p/src/pkg/core.py", "import os\n")
    index.update("/p/tests/test_core.py", "import logging\n")
    index.update("/p/src/pkg/test_helpers.py", "from logging import getLogger\n")
    index.update("/p/conftest.py", "import logging\n")
    index.update("/p/src/pkg/util.py", "from .logging import x\nimport mylogging\n")
    assert not index.logs()
    assert not index.usage("/p/src/pkg/core.py").logs
    index.update("/p/src/pkg/log.py", "from logging import getLogger\n")
    assert index.logs() and index.usage("/p/src/pkg/core.py").logs
    index.invalidate("/p/src/pkg/log.py")
    index.update("/p/src/pkg/cli.py", "import logging.handlers\n")
    assert index.usage("/p/src/pkg/core.py").logs
    # a module every name of which counts as used still carries the project's style
    index.update("/p/src/pkg/core.py", "import os\ndef __getattr__(name): ...\n")
    assert index.usage("/p/src/pkg/core.py").logs


def test_the_module_s_own_older_entry_does_not_count_as_the_project_logging():
    # The module is being fixed: its new text (without logging) decides from its tree;
    # the index may still hold its older text, which imported logging.
    index = ImportIndex()
    index.update("/p/src/pkg/core.py", "import logging\n")
    index.update("/p/src/pkg/util.py", "import os\n")
    assert not index.usage("/p/src/pkg/core.py").logs
    new_text = file_facts("/p/src/pkg/core.py", "import os\n")
    assert not index.pending_usage("/p/src/pkg/core.py").resolve(new_text).logs
    assert index.usage("/p/src/pkg/util.py").logs  # for the other modules it does
