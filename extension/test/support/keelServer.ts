/** Starts the real `keel serve` on stdio and connects a vscode-jsonrpc client to it (tests only). */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import {
  createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection,
} from "vscode-jsonrpc/node";
import { tempFolder } from "./tempFolders";

export const REPO = path.resolve(__dirname, "..", "..", "..");
export const PYTHON = process.env["KEEL_TEST_PYTHON"] ?? path.join(REPO, ".venv", "bin", "python");

export interface Workspace {
  root: string;
  uri(rel: string): string;
}

/** A workspace with a smelly file and a large one. */
export function sampleWorkspace(): Workspace {
  const root = tempFolder("keel-ext-ws-");
  mkdirSync(path.join(root, "src"));
  writeFileSync(path.join(root, "src", "smelly.py"), SMELLY);
  writeFileSync(path.join(root, "src", "large.py"), largeModule(4000));
  return { root, uri: (rel) => pathToFileURL(path.join(root, rel)).toString() };
}

export const SMELLY = `import os, sys


def process(a, b, c, d, e, f, g):
    if a:
        if b:
            if c:
                if d:
                    if e:
                        return f
    try:
        return g
    except:
        pass
    return None
`;

export function largeModule(functions: number): string {
  const parts: string[] = [];
  for (let i = 0; i < functions; i++) {
    parts.push(`def f${i}(a, b, c, d, e, f):\n    if a and b or c and d or e and f:\n        for x in range(a):\n            if x % 2:\n                if x % 3:\n                    if x % 5:\n                        return x\n    return ${i}\n`);
  }
  return parts.join("\n");
}

export interface RunningServer {
  connection: MessageConnection;
  process: ChildProcess;
  stderr: () => string;
  stop(): Promise<void>;
}

/** A fresh data home, so a test server writes no history or logs into the user's. */
export function dataHomeEnv(): Record<string, string> {
  const dataHome = tempFolder("keel-ext-data-");
  return { XDG_DATA_HOME: dataHome, XDG_STATE_HOME: dataHome, XDG_CACHE_HOME: dataHome };
}

export function startServer(workspace: Workspace, extraArgs: string[] = []): RunningServer {
  return startProcess(PYTHON, ["-m", "keel", "serve", ...extraArgs], {
    cwd: workspace.root,
    env: { ...process.env, ...dataHomeEnv(), ANTHROPIC_API_KEY: "", OPENAI_API_KEY: "" },
  });
}

/** Starts a server from an exact command line, cwd and environment (the extension's own builders). */
export function startProcess(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): RunningServer {
  const child = spawn(command, args, { ...options, stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => { stderr += chunk.toString(); });
  const connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  connection.listen();
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  return {
    connection, process: child, stderr: () => stderr,
    async stop() {
      try {
        await connection.sendRequest("shutdown");
        await connection.sendNotification("exit");
      } catch {
        child.kill("SIGKILL");
      }
      await exited;
      connection.dispose();
    },
  };
}
