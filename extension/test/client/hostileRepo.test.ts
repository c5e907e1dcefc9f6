/**
 * A hostile repository opened as the workspace runs none of its code (issue 19): the real
 * `keel serve`, started with the extension's own command and environment builders, from a
 * working directory that shadows Keel and the modules it imports. Each shadow writes a marker
 * file when imported; the server must answer keel/health and keel/analyze and no marker appear.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import * as ext from "../../src/lspExt";
import { provisionedServer } from "../../src/provisioning/commands";
import { serverEnvironment } from "../../src/lifecycle/serverEnv";
import { dataHomeEnv, PYTHON, SMELLY, startProcess } from "../support/keelServer";
import { tempFolder } from "../support/tempFolders";

/** Modules Keel (server or analysis workers) imports, each shadowed at the repository's top level. */
const SHADOWED = ["psutil", "structlog", "pydantic", "libcst", "yaml", "httpx"];

function hostileRepository(shadowKeel: boolean): { root: string; markers: string } {
  const root = tempFolder("keel-hostile-repo-");
  const markers = tempFolder("keel-hostile-markers-");
  const payload = (name: string): string =>
    `import pathlib\npathlib.Path(${JSON.stringify(path.join(markers, name))}).write_text("ran")\n`;
  if (shadowKeel) {
    mkdirSync(path.join(root, "keel"));
    writeFileSync(path.join(root, "keel", "__init__.py"), payload("keel-package"));
    writeFileSync(path.join(root, "keel", "__main__.py"), payload("keel-main"));
  }
  for (const name of SHADOWED) writeFileSync(path.join(root, `${name}.py`), payload(name));
  writeFileSync(path.join(root, "smelly.py"), SMELLY);
  return { root, markers };
}

/**
 * Starts the server as the extension does. `cwd` is what vscode-languageclient uses: the
 * command's own, else the first workspace folder (the repository); `ignoreCwd` plays a host that
 * starts it in the repository anyway, so only the interpreter's isolation stands between.
 */
async function serveHostile(ignoreCwd: boolean, shadowKeel = true): Promise<void> {
  const repo = hostileRepository(shadowKeel);
  const storage = tempFolder("keel-ext-storage-");
  const command = provisionedServer(PYTHON, storage);
  const env = serverEnvironment({
    base: { ...process.env, ...dataHomeEnv() }, platform: process.platform,
    keyVariables: ["ANTHROPIC_API_KEY", "OPENAI_API_KEY"], storedKeys: {},
  });
  const cwd = ignoreCwd ? repo.root : (command.cwd ?? repo.root);
  const server = startProcess(command.command, command.args, { cwd, env: { ...env, ANTHROPIC_API_KEY: "", OPENAI_API_KEY: "" } });
  const markers = (): string[] => (existsSync(repo.markers) ? readdirSync(repo.markers).sort() : []);
  const died = new Promise<never>((_, reject) => server.process.on("exit", (code) => reject(
    new Error(`the server exited (${code}) instead of answering; repository code that ran: ${markers().join(", ") || "none"}\n${server.stderr()}`))));
  const uri = (rel: string): string => pathToFileURL(path.join(repo.root, rel)).toString();
  const talk = async (): Promise<void> => {
    await server.connection.sendRequest("initialize", {
      processId: process.pid, rootUri: uri(""), workspaceFolders: [{ uri: uri(""), name: "hostile" }], capabilities: {},
      initializationOptions: { settings: {}, workspaceTrusted: false, clientName: "keel-ext-test" },
    });
    await server.connection.sendNotification("initialized", {});
    const report = await server.connection.sendRequest(ext.health, {});
    assert.ok(["healthy", "degraded", "unhealthy"].includes(report.level));
    // Analysis runs in worker processes: they must not import the repository's modules either.
    const analysis = await server.connection.sendRequest(ext.analyze, { uri: uri("smelly.py") });
    assert.ok(analysis.findings.length > 0, "the analysis ran");
  };
  try {
    await Promise.race([talk(), died]);
  } finally {
    await server.stop();
  }
  assert.deepEqual(markers(), [], "no module of the repository was imported");
}

test("the server started with the extension's command runs none of the repository's code", async () => {
  await serveHostile(false);
});

test("even started inside the repository, the extension's server command imports nothing from it (-I)", async () => {
  await serveHostile(true);
});

test("with no keel/ to replace the server, the real server still imports none of the repository's modules", async () => {
  await serveHostile(true, false);
});
