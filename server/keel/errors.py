"""The one exception hierarchy of Keel.

Every failure that crosses a package boundary is a ``KeelError``. Each knows its
``error_type`` (the wire's ``errorType``), whether it is ``transient`` and a
stable dotted ``code``. Foreign exceptions (httpx, provider SDKs, OSError,
SyntaxError, pydantic) are translated in one place per boundary; ``keel.lsp``
maps these to JSON-RPC errors and the CLI maps them to exit codes.

    KeelError
    ├── ConfigError          config         config.invalid, config.unknown_provider
    ├── InvalidInput         validation     params.invalid, target.outside_workspace, ...
    ├── ProviderError        provider       provider.* (transient by cause)
    ├── DeadlineExceeded     timeout        deadline.exceeded
    ├── Cancelled            cancelled      request.cancelled, run.cancelled
    │   └── Superseded       cancelled      estimate.superseded (transient)
    ├── Unavailable          unavailable    breaker.open, provider.none_configured
    │   ├── Untrusted        unavailable    trust.untrusted (not transient)
    │   └── BudgetExceeded   unavailable    budget.exceeded, budget.unpriced (not transient)
    ├── ContentModified      validation     document.content_modified (-32801)
    └── InternalError        internal       internal.unexpected

``Cancelled`` is a domain outcome (a run record says "cancelled"); it is never
used to swallow ``asyncio.CancelledError``, which always propagates.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from keel.protocol.base import ErrorType


class KeelError(Exception):
    error_type: ClassVar[ErrorType] = "internal"
    default_code: ClassVar[str] = "internal.unexpected"
    default_transient: ClassVar[bool] = False

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        transient: bool | None = None,
        hint: str | None = None,
        retry_after_ms: int | None = None,
        run_id: str | None = None,
        stage_id: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.transient = self.default_transient if transient is None else transient
        self.hint = hint
        self.retry_after_ms = retry_after_ms
        self.run_id = run_id
        self.stage_id = stage_id  # the workflow stage it belongs to, with run_id
        # Extra, wire-safe fields (e.g. the failing field path or a location).
        self.details = details or {}

    def to_error_data(self, request_id: str | int | None = None) -> dict[str, Any]:
        """The wire's ``ErrorData`` (camelCase), extra details merged in."""
        # Imported here: the fast start answers errors before pydantic has loaded.
        from keel.protocol.base import ErrorData

        data = ErrorData(
            error_type=self.error_type, transient=self.transient, code=self.code,
            retry_after_ms=None if self.retry_after_ms is None else int(self.retry_after_ms),
            run_id=self.run_id, stage_id=self.stage_id,
            request_id=request_id if isinstance(request_id, str | int) else None,
            hint=self.hint or None,
        ).wire()
        for key, value in self.details.items():
            data.setdefault(key, value)
        return data

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, {self.message!r})"


class ConfigError(KeelError):
    error_type = "config"
    default_code = "config.invalid"


class InvalidInput(KeelError):
    error_type = "validation"
    default_code = "params.invalid"


class ProviderError(KeelError):
    error_type = "provider"
    default_code = "provider.server_error"

    def __init__(self, message: str, *, provider: str | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.provider = provider


class DeadlineExceeded(KeelError):
    error_type = "timeout"
    default_code = "deadline.exceeded"
    default_transient = True


class Cancelled(KeelError):
    error_type = "cancelled"
    default_code = "request.cancelled"


class Superseded(Cancelled):
    default_code = "estimate.superseded"
    default_transient = True


class Unavailable(KeelError):
    error_type = "unavailable"
    default_code = "breaker.open"
    default_transient = True


UNTRUSTED_FIX = ("Trust the workspace (VS Code: Manage Workspace Trust) to let Keel send its code "
                 "to your model providers.")


class Untrusted(Unavailable):
    """The workspace is not trusted, so nothing is sent to a model or a provider's endpoint."""

    default_code = "trust.untrusted"
    default_transient = False

    def __init__(self, message: str, **kw: Any) -> None:
        kw.setdefault("hint", UNTRUSTED_FIX)
        super().__init__(message, **kw)


class BudgetExceeded(Unavailable):
    """Spending would cross a budget the user set, so nothing was sent (exit code 6).

    ``details`` carries the figures (estimate band, budget, spent so far, what would fit).
    Not a provider failure: breakers ignore it and no retry or other provider helps a
    budget, though a cheaper fallback candidate may still fit.
    """

    default_code = "budget.exceeded"
    default_transient = False


class ContentModified(KeelError):
    """The document changed since the version a request refers to (-32801)."""

    error_type = "validation"
    default_code = "document.content_modified"
    default_transient = True


class InternalError(KeelError):
    error_type = "internal"
    default_code = "internal.unexpected"


# JSON-RPC error codes of the wire contract (protocol.md "Errors").
JSONRPC_INVALID_PARAMS = -32602
JSONRPC_REQUEST_CANCELLED = -32800
JSONRPC_CONTENT_MODIFIED = -32801
JSONRPC_SERVER_CANCELLED = -32802
JSONRPC_REQUEST_FAILED = -32803


def jsonrpc_code(error: KeelError) -> int:
    """The JSON-RPC error code a ``KeelError`` is answered with."""
    if isinstance(error, ContentModified):
        return JSONRPC_CONTENT_MODIFIED
    if isinstance(error, Superseded):
        return JSONRPC_SERVER_CANCELLED
    if isinstance(error, Cancelled):
        return JSONRPC_REQUEST_CANCELLED
    if isinstance(error, InvalidInput):
        return JSONRPC_INVALID_PARAMS
    return JSONRPC_REQUEST_FAILED


# CLI exit codes by errorType, defined once for every subcommand.
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_CODES: dict[str, int] = {
    "validation": 2,
    "config": 3,
    "provider": 4,
    "timeout": 5,
    "unavailable": 6,
    "internal": 70,
    "cancelled": 130,
}


def exit_code_for(error: KeelError) -> int:
    return EXIT_CODES.get(error.error_type, EXIT_FAILED)
