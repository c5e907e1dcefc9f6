import { test } from "node:test";
import assert from "node:assert/strict";
import { groupByFile, lineRange, reportBody } from "../../src/webview/reportModel";
import { finding } from "../support/fixtures";

test("findings are grouped by file (workspace-relative) and sorted by line within a file", () => {
  const a = { ...finding("1", "warning", "r", 30), uri: "file:///ws/src/a.py" };
  const b = { ...finding("2", "error", "r", 5), uri: "file:///ws/src/b.py" };
  const a2 = { ...finding("3", "info", "r", 2), uri: "file:///ws/src/a.py" };
  const groups = groupByFile([a, b, a2], { "file:///ws/src/a.py": "src/a.py" });
  assert.deepEqual(groups.map((g) => [g.path, g.findings.map((f) => f.id)]), [["src/a.py", ["3", "1"]], ["/ws/src/b.py", ["2"]]]);
  assert.equal(lineRange({ ...a, range: { start: { line: 3, character: 0 }, end: { line: 7, character: 1 } } }), "4–8");
  assert.equal(lineRange(a), "31");
});

test("the report body drops the heading, the status line and the findings table the dashboard already shows", () => {
  const markdown = [
    "# review on `src`", "", "**Status:** partial · 3 file(s)", "", "## Lint (succeeded)", "2 findings", "",
    "## Summary (succeeded)", "", "The module is fine.", "## Findings (a model heading, not the table)", "kept",
    "", "## Findings (2)", "", "| severity | where | rule | message |", "|---|---|---|---|", "| warning | `a.py:3` | r | m |",
    "", "…and 1 more: the run's result lists them all (`report.findings`; `keel run ... --json`).",
  ].join("\n");
  const body = reportBody(markdown);
  assert.doesNotMatch(body, /^# review/m);
  assert.doesNotMatch(body, /\*\*Status:\*\*/);
  assert.doesNotMatch(body, /--json|\| severity/);
  assert.match(body, /## Lint \(succeeded\)/);
  assert.match(body, /The module is fine\.\n## Findings \(a model heading, not the table\)\nkept/);
  // Internal error codes never reach the reader (seen in VS Code on a cancelled run).
  assert.equal(reportBody("## Static analysis (cancelled)\n**cancelled** (run.cancelled): The run was cancelled.", false),
    "## Static analysis (cancelled)\nThe run was cancelled.");
  // A run without findings has no findings section of the server's: a model's heading stays.
  assert.match(reportBody("## Summary (succeeded)\n\n## Findings\nthe model's own list", false), /the model's own list/);
});
