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

type Pos = { line: number; character: number };

function before(a: Pos, b: Pos): boolean {
  return a.line < b.line || (a.line === b.line && a.character < b.character);
}

/**
 * The fixes whose edits touch no text another kept fix touches, in order: applying two fixes
 * that overlap in one edit would garble both. Skipped ones come back for a second pass (their
 * finding is still there after the first is applied).
 */
export function disjointFixes<T extends { edits: TextEdit[] }>(fixes: readonly T[]): { kept: T[]; skipped: T[] } {
  const taken: Array<{ start: Pos; end: Pos }> = [];
  const kept: T[] = [];
  const skipped: T[] = [];
  for (const fix of fixes) {
    const overlaps = fix.edits.some((e) => taken.some((t) => (before(e.range.start, t.end) && before(t.start, e.range.end))
      || (e.range.start.line === t.start.line && e.range.start.character === t.start.character)));
    if (overlaps) {
      skipped.push(fix);
      continue;
    }
    kept.push(fix);
    taken.push(...fix.edits.map((e) => ({ start: e.range.start, end: e.range.end })));
  }
  return { kept, skipped };
}
