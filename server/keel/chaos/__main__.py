"""`python -m keel.chaos serve ...`: the same command as `keel chaos serve`."""

from keel.cli.chaos import chaos_app

chaos_app(prog_name="keel chaos")
