"""Process-wide hooks belong to the processes Keel starts, not to ``import keel``.

The ``keel`` command and every worker process install a quiet Ctrl-C excepthook
and point structlog at stderr until logging is configured (stdout is the JSON-RPC
channel and the CLI's --json output); a script that only imports Keel keeps its
interpreter as it was. Each check runs a fresh interpreter.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap


def _run(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-I", "-c", code, *args], capture_output=True, text=True,
                          timeout=90, check=False)


def test_importing_keel_and_its_entry_modules_leaves_the_interpreters_hooks_alone():
    checked = _run(
        "import sys\n"
        "hook, finders = sys.excepthook, list(sys.meta_path)\n"
        "import keel, keel.cli, keel.cli.serve, keel.lsp.early, keel.runtime.workers\n"
        "import structlog\n"
        "assert sys.excepthook is hook, sys.excepthook\n"
        "assert sys.meta_path == finders, sys.meta_path\n"
        "assert not structlog.is_configured()\n")
    assert checked.returncode == 0, checked.stderr


def test_the_keel_command_turns_a_late_ctrl_c_into_one_line_and_logs_to_stderr():
    ran = _run(
        "import sys\n"
        "from keel.cli import main\n"
        "try:\n"
        "    main(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "sys.stdout.write('<help ends>')\n"
        "import structlog\n"
        "structlog.get_logger('t').warning('early event')\n"
        "raise KeyboardInterrupt\n")
    assert ran.stdout.endswith("<help ends>")  # nothing logged onto stdout
    assert "early event" in ran.stderr
    assert ran.stderr.endswith("keel: interrupted.\n") and "Traceback" not in ran.stderr


def test_structlog_imported_after_the_hooks_logs_to_stderr_without_keel_importing_it():
    logged = _run("import sys\n"
                  "from keel.entry_hooks import install_entry_hooks\n"
                  "install_entry_hooks()\n"
                  "assert 'structlog' not in sys.modules\n"
                  "import structlog\n"
                  "structlog.get_logger('t').warning('early event')\n")
    assert logged.returncode == 0, logged.stderr
    assert logged.stdout == "" and "early event" in logged.stderr


def test_a_structlog_loaded_before_the_hooks_is_pointed_at_stderr_too():
    logged = _run("import structlog\n"
                  "from keel.entry_hooks import install_entry_hooks\n"
                  "install_entry_hooks()\n"
                  "structlog.get_logger('t').warning('early event')\n")
    assert logged.returncode == 0, logged.stderr
    assert logged.stdout == "" and "early event" in logged.stderr


def test_logging_configured_before_the_hooks_is_kept():
    logged = _run("import structlog, sys\n"
                  "structlog.configure(logger_factory=structlog.PrintLoggerFactory(file=sys.stdout))\n"
                  "from keel.entry_hooks import install_entry_hooks\n"
                  "install_entry_hooks()\n"
                  "structlog.get_logger('t').warning('chosen sink')\n")
    assert logged.returncode == 0, logged.stderr
    assert "chosen sink" in logged.stdout


def test_a_worker_process_logs_to_stderr_though_its_parent_installed_no_hooks(tmp_path):
    # The worker inherits the parent's stdout, which for `keel run --json` is the JSON output.
    (tmp_path / "probe.py").write_text(textwrap.dedent("""
        import sys

        def log_and_report():
            import structlog
            structlog.get_logger("worker").warning("from a worker")
            return sys.excepthook.__name__
    """))
    ran = _run(textwrap.dedent("""
        import asyncio, json, sys
        sys.path.insert(0, sys.argv[1])
        import probe
        from keel.runtime.workers import WorkerPool

        async def main():
            pool = WorkerPool(size=1)
            try:
                print(json.dumps(await pool.run(probe.log_and_report)))
            finally:
                pool.close()

        asyncio.run(main())
    """), str(tmp_path))
    assert ran.returncode == 0, ran.stderr
    assert json.loads(ran.stdout) == "quiet_interrupt"  # and nothing else on stdout
    assert "from a worker" in ran.stderr


def test_structlog_loads_without_rich_in_a_process_keel_starts_and_the_cli_still_gets_rich():
    # rich is structlog's optional traceback renderer, ~50 ms at each start of the server
    # and the fork server, which never render with it (issue 22).
    loaded = _run("import sys\n"
                  "from keel.entry_hooks import install_entry_hooks\n"
                  "install_entry_hooks()\n"
                  "import structlog, structlog.dev\n"
                  "assert 'rich' not in sys.modules, 'structlog loaded rich'\n"
                  "assert structlog.dev.rich is None\n"
                  "structlog.get_logger('t').error('failed', exc_info=ValueError('shown plainly'))\n"
                  "from rich.console import Console\n"  # the CLI's tables, later: rich as usual
                  "Console(file=sys.stdout).print('[bold]table[/bold]')\n")
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout == "table\n"
    assert "ValueError: shown plainly" in loaded.stderr


def test_a_structlog_that_cannot_do_without_rich_is_loaded_with_rich(tmp_path):
    fake = tmp_path / "structlog"
    fake.mkdir()
    (fake / "__init__.py").write_text("import rich\n"
                                      "def is_configured():\n    return True\n")
    loaded = _run("import sys\n"
                  f"sys.path.insert(0, {str(tmp_path)!r})\n"
                  "from keel.entry_hooks import install_entry_hooks\n"
                  "install_entry_hooks()\n"
                  "import structlog\n"
                  "assert sys.modules['rich'] is not None and structlog.rich is sys.modules['rich']\n")
    assert loaded.returncode == 0, loaded.stderr
