"""The first import of every worker process: it installs the entry hooks.

The workers' fork server has no ``main`` of Keel's own: ``multiprocessing``
starts it and it imports its preload list, so this module, first on that list
(``keel.app.bootstrap.WORKER_IMPORTS``), is its entry. Importing it does what
``keel.cli.main`` does first: structlog writes to stderr, never to the stdout
the process inherited, and loads without rich (``keel.entry_hooks``; ~50 ms of
the fork server's warm-up, which the first analysis at start waits for). A
spawned worker installs them itself before its imports (``worker_process.worker_main``), so
there this import changes nothing. Nothing else imports this module.
"""

from keel.entry_hooks import install_entry_hooks

install_entry_hooks()
