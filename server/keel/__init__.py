"""Keel: a long-running JSON-RPC backend for AI-assisted code workflows.

Importing ``keel`` stays cheap (the standard library only) and changes nothing
outside the package: ``keel serve``'s fast start imports it before it answers
the editor, and the process-wide hooks are installed by the entry points
(``keel.entry_hooks``), not here (docs/architecture.md, "Architecture invariants").
"""

__version__ = "0.1.0"
