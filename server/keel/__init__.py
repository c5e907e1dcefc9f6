"""Keel: a long-running JSON-RPC backend for AI-assisted code workflows."""

__version__ = "0.1.0"
