/**
 * Temporary folders for tests: each one made here is removed when the test process exits,
 * passed or failed, so a run leaves nothing in the temp dir (`KEEL_KEEP_TEMP=1` keeps them
 * to look at after a failure).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

const made: string[] = [];
let removeOnExit = false;

/** A new empty folder `<temp dir>/<prefix>XXXXXX`, removed at exit. */
export function tempFolder(prefix: string): string {
  const folder = mkdtempSync(path.join(tmpdir(), prefix));
  made.push(folder);
  if (!removeOnExit) {
    removeOnExit = true;
    process.on("exit", removeTempFolders);
  }
  return folder;
}

/** Remove every folder `tempFolder` made so far (at exit, or earlier when a suite is done). */
export function removeTempFolders(): void {
  if (process.env["KEEL_KEEP_TEMP"] === "1") return;
  for (const folder of made.splice(0)) {
    try {
      rmSync(folder, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      // A process of the test still holding a file open (Windows): nothing else can be done at exit.
    }
  }
}
