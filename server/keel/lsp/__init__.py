"""The only package that knows pygls, lsprotocol and JSON-RPC."""
