/**
 * The run report as the dashboard shows it: one summary, then findings grouped by file with
 * `file:line` links, paged (keel/runFindings) instead of cut. The server's markdown also carries
 * a heading, a status line and a findings table cut at 50 (for the CLI); shown under our own
 * summary and grouped findings they would repeat them, so only its stage sections are kept.
 * Pure: unit-tested without a DOM.
 */
import type { Finding } from "../protocol/keel-protocol";

export const FINDINGS_PAGE = 100;

export interface FileGroup {
  uri: string;
  path: string;
  findings: Finding[];
}

/** Findings grouped by file, files in the order they first appear (the server orders by severity). */
export function groupByFile(findings: readonly Finding[], relPaths: Readonly<Record<string, string>>): FileGroup[] {
  const groups = new Map<string, FileGroup>();
  for (const finding of findings) {
    let group = groups.get(finding.uri);
    if (!group) {
      group = { uri: finding.uri, path: relPaths[finding.uri] ?? fallbackPath(finding.uri), findings: [] };
      groups.set(finding.uri, group);
    }
    group.findings.push(finding);
  }
  for (const group of groups.values()) group.findings.sort((a, b) => a.range.start.line - b.range.start.line);
  return [...groups.values()];
}

function fallbackPath(uri: string): string {
  try {
    return decodeURIComponent(new URL(uri).pathname);
  } catch {
    return uri;
  }
}

/** "src/a.py:12" or "src/a.py:12–14": the range a reader can find in the editor. */
export function lineRange(finding: Finding): string {
  const start = finding.range.start.line + 1;
  const end = finding.range.end.line + 1;
  return end > start ? `${start}–${end}` : `${start}`;
}

/**
 * The markdown minus what the dashboard already shows: the title, the status line, and the
 * findings (a table cut at 50, or a first page grouped by file). They are always the server's last
 * section; only the last "## Findings" heading counts, and only when the run has findings, so a
 * model answer that writes its own "## Findings" keeps its text.
 */
const INTERNAL_CODE = /^\*\*\w+\*\* \([a-z_]+(\.[a-z_]+)+\): /;

export function reportBody(markdown: string, hasFindings = true): string {
  const lines = markdown.split("\n");
  let cut = lines.length;
  // Without findings the server writes no findings section: a "Findings" heading is the model's.
  for (let i = lines.length - 1; hasFindings && i >= 0; i--) {
    if (/^#{2,3} Findings\b/.test(lines[i] ?? "")) {
      cut = i;
      break;
    }
  }
  const kept = lines.slice(0, cut).filter((line, index) => !(index === 0 && line.startsWith("# ")) && !line.startsWith("**Status:**"))
    // "**cancelled** (run.cancelled): The run was cancelled." → the sentence, without the internal code.
    .map((line) => line.replace(INTERNAL_CODE, ""));
  return kept.join("\n").trim();
}
