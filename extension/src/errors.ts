/**
 * The one place where errors from the wire (vscode-jsonrpc ResponseError, VS Code's
 * CancellationError, plain Errors) become something the UI can say. Everything else in the
 * extension branches on `ErrorKind`, never on codes.
 */
import type { ErrorData } from "./protocol/keel-protocol";
import { ErrorCodes } from "./lspExt";

export type ErrorKind = "cancelled" | "superseded" | "timeout" | "validation" | "unavailable" | "failed";

export interface DescribedError {
  kind: ErrorKind;
  message: string;
  data?: ErrorData;
}

function errorData(value: unknown): ErrorData | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const data = value as Partial<ErrorData>;
  return typeof data.errorType === "string" && typeof data.code === "string" ? (value as ErrorData) : undefined;
}

export function describeError(error: unknown): DescribedError {
  if (typeof error !== "object" || error === null) {
    return { kind: "failed", message: String(error) };
  }
  const err = error as { name?: unknown; code?: unknown; message?: unknown; data?: unknown };
  const message = typeof err.message === "string" && err.message ? err.message : "The request failed.";
  const data = errorData(err.data);
  if (err.name === "Canceled" || err.code === ErrorCodes.requestCancelled) {
    return { kind: "cancelled", message: "Cancelled.", ...(data ? { data } : {}) };
  }
  if (err.code === ErrorCodes.superseded) {
    return { kind: "superseded", message, ...(data ? { data } : {}) };
  }
  if (data?.errorType === "timeout") return { kind: "timeout", message, data };
  if (data?.errorType === "validation" || err.code === ErrorCodes.invalidParams) {
    return { kind: "validation", message, ...(data ? { data } : {}) };
  }
  if (data?.errorType === "unavailable") return { kind: "unavailable", message, data };
  return { kind: "failed", message, ...(data ? { data } : {}) };
}
