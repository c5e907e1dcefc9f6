"""The application layer: Keel's state and one operation per wire method.

Plain models in, plain models out, ``keel.errors`` raised. ``keel.lsp`` (and
the CLI) call these; nothing here knows pygls or JSON-RPC.
"""
