import type { TextEdit } from "../protocol/keel-protocol";

/** Applies LSP-style edits to `text`; `offsetAt` maps a position to an offset in `text`. */
export function applyTextEdits(text: string, edits: TextEdit[],
  offsetAt: (position: { line: number; character: number }) => number): string {
  const spans = edits
    .map((edit) => ({ start: offsetAt(edit.range.start), end: offsetAt(edit.range.end), newText: edit.newText }))
    .sort((a, b) => b.start - a.start);
  let result = text;
  for (const span of spans) result = result.slice(0, span.start) + span.newText + result.slice(span.end);
  return result;
}
