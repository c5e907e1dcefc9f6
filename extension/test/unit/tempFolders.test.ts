import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import * as path from "node:path";

const SUPPORT = path.resolve(__dirname, "..", "support", "tempFolders.ts");

function folderMadeBy(script: string, env: NodeJS.ProcessEnv = {}): string {
  const child = spawnSync(process.execPath, ["--import", "tsx", "-e", script], {
    encoding: "utf8", env: { ...process.env, ...env },
  });
  assert.equal(child.status, script.includes("throw") ? 1 : 0, child.stderr);
  const folder = child.stdout.trim();
  assert.ok(folder.includes("keel-temp-test-"), child.stdout);
  return folder;
}

const MAKE = `const { tempFolder } = require(${JSON.stringify(SUPPORT)});
const folder = tempFolder("keel-temp-test-");
require("node:fs").writeFileSync(require("node:path").join(folder, "f.txt"), "x");
console.log(folder);`;

test("a test's temp folders are removed when its process exits, passed or failed", () => {
  assert.equal(existsSync(folderMadeBy(MAKE)), false);
  assert.equal(existsSync(folderMadeBy(MAKE + "\nthrow new Error('a failing test');")), false);
});

test("KEEL_KEEP_TEMP=1 keeps them to look at", () => {
  const kept = folderMadeBy(MAKE, { KEEL_KEEP_TEMP: "1" });
  assert.equal(existsSync(kept), true);
  rmSync(kept, { recursive: true, force: true });
});
