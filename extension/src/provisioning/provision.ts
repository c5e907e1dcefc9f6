/**
 * Provisioning: the server runs without a manual install. The .vsix carries Keel's wheel and its
 * constraints file; on first start (or when either changes) a private virtual environment is
 * created in the extension's global storage with the chosen interpreter and the wheel is installed
 * there with its pins, under cancellable progress. `keel.server.path` skips all this and runs an
 * existing `keel`. What each step runs, and why isolated, is in commands.ts.
 */
import * as vscode from "vscode";
import { spawn } from "node:child_process";
import { existsSync, promises as fs } from "node:fs";
import { createHash } from "node:crypto";
import * as path from "node:path";
import { interpreterCandidates, isSupported, parseVersion, type InterpreterCandidate } from "./interpreter";
import {
  CONSTRAINTS_FILE, createVenv, installKeel, provisionedServer, serverPathCommand, venvPython, versionProbe,
  type ProcessCommand, type ServerCommand,
} from "./commands";

export type { ServerCommand } from "./commands";

class ProvisioningError extends Error {}

const MARKER = "keel-wheel.txt";

export class Provisioner {
  /** Milliseconds the last install took (for the docs' figures and the log). */
  lastInstallMs: number | undefined;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly output: vscode.LogOutputChannel,
  ) {}

  async resolveServer(): Promise<ServerCommand | undefined> {
    const config = vscode.workspace.getConfiguration("keel");
    const serverPath = config.get<string>("server.path")?.trim();
    if (serverPath) {
      this.output.info(`Using keel.server.path: ${serverPath}`);
      return serverPathCommand(serverPath, await this.neutralDir());
    }
    for (;;) {
      try {
        return await this.ensureEnvironment();
      } catch (error) {
        if (error instanceof vscode.CancellationError) {
          this.output.warn("Keel's setup was cancelled.");
          return undefined;
        }
        const reason = error instanceof Error ? error.message : String(error);
        this.output.error(`Setting up Keel failed: ${reason}`);
        const choice = await vscode.window.showErrorMessage(
          `Keel could not set up its Python environment: ${reason}`, "Show log", "Retry", "Choose interpreter");
        if (choice === "Retry") continue;
        if (choice === "Choose interpreter" && await this.chooseInterpreter()) continue;
        if (choice === "Show log") this.output.show();
        return undefined;
      }
    }
  }

  /** Asks for a Python executable and stores it in `keel.python`; true when one was chosen. */
  async chooseInterpreter(): Promise<boolean> {
    const picked = await vscode.window.showOpenDialog({ canSelectMany: false, openLabel: "Use this Python", title: "Python ≥ 3.11 for Keel" });
    const file = picked?.[0];
    if (!file) return false;
    await vscode.workspace.getConfiguration("keel").update("python", file.fsPath, vscode.ConfigurationTarget.Global);
    return true;
  }

  private venvDir(): string {
    return path.join(this.context.globalStorageUri.fsPath, "venv");
  }

  /** The working directory of every process we start: ours, never a repository (see commands.ts). */
  private async neutralDir(): Promise<string> {
    const dir = this.context.globalStorageUri.fsPath;
    await fs.mkdir(dir, { recursive: true });
    return dir;
  }

  private async wheelPath(): Promise<string> {
    const dir = path.join(this.context.extensionPath, "extension", "wheel");
    const wheels = existsSync(dir) ? (await fs.readdir(dir)).filter((name) => name.endsWith(".whl")) : [];
    const wheel = wheels.sort().pop();
    if (!wheel) throw new ProvisioningError("this build of the extension carries no Keel wheel; set keel.server.path to an installed keel");
    return path.join(dir, wheel);
  }

  private async ensureEnvironment(): Promise<ServerCommand> {
    const wheel = await this.wheelPath();
    const constraints = path.join(path.dirname(wheel), CONSTRAINTS_FILE);
    if (!existsSync(constraints)) throw new ProvisioningError(`this build of the extension carries no ${CONSTRAINTS_FILE} beside its wheel`);
    const cwd = await this.neutralDir();
    const venv = this.venvDir();
    const python = venvPython(venv);
    const marker = path.join(venv, MARKER);
    // The wheel and its pins: a new build with other pins reinstalls, as a new wheel does.
    const wanted = `${path.basename(wheel)} ${createHash("sha256").update(await fs.readFile(constraints)).digest("hex").slice(0, 16)}`;
    const installed = existsSync(marker) ? (await fs.readFile(marker, "utf8")).trim() : "";
    if (installed === wanted && existsSync(python)) return provisionedServer(python, cwd);
    const started = Date.now();
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: "Keel: setting up its Python environment", cancellable: true },
      async (progress, token) => {
        progress.report({ message: "finding Python ≥ 3.11…" });
        const interpreter = await this.pickInterpreter(cwd, token);
        progress.report({ message: `creating the environment with ${interpreter.path}…` });
        await fs.rm(venv, { recursive: true, force: true });
        await this.run(createVenv(interpreter.path, venv, cwd), token);
        progress.report({ message: "installing Keel (about a minute the first time)…" });
        await this.run(installKeel(python, wheel, constraints, cwd), token);
        await fs.writeFile(marker, wanted);
      });
    this.lastInstallMs = Date.now() - started;
    this.output.info(`Keel's environment is ready in ${venv} (set up in ${(this.lastInstallMs / 1000).toFixed(1)} s).`);
    return provisionedServer(python, cwd);
  }

  private async pickInterpreter(cwd: string, token: vscode.CancellationToken): Promise<InterpreterCandidate> {
    const setting = vscode.workspace.getConfiguration("keel").get<string>("python");
    const trusted = vscode.workspace.isTrusted;
    const candidates = interpreterCandidates(setting, trusted ? await pythonExtensionInterpreter() : undefined, trusted);
    const problems: string[] = [];
    for (const candidate of candidates) {
      try {
        const out = await this.run(versionProbe(candidate.path, cwd), token);
        const version = parseVersion(out);
        if (version && isSupported(version)) {
          this.output.info(`Using Python ${version.join(".")} from the ${candidate.source}: ${candidate.path}`);
          return candidate;
        }
        problems.push(`${candidate.path} (${candidate.source}) is Python ${version?.join(".") ?? "?"}, Keel needs ≥ 3.11`);
      } catch (error) {
        if (error instanceof vscode.CancellationError) throw error;
        problems.push(`${candidate.path} (${candidate.source}) could not run`);
      }
    }
    throw new ProvisioningError(problems.join("; "));
  }

  /** Runs a process, logging its output; rejects with its last stderr line on failure. */
  private run({ command, args, cwd }: ProcessCommand, token: vscode.CancellationToken): Promise<string> {
    this.output.info(`$ ${command} ${args.join(" ")}`);
    return new Promise((resolve, reject) => {
      const child = spawn(command, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      const cancel = token.onCancellationRequested(() => child.kill("SIGTERM"));
      child.stdout.on("data", (chunk: Buffer) => { stdout += chunk.toString(); });
      child.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
        this.output.info(chunk.toString().trimEnd());
      });
      child.on("error", (error) => { cancel.dispose(); reject(new ProvisioningError(`${command}: ${error.message}`)); });
      child.on("close", (code) => {
        cancel.dispose();
        if (token.isCancellationRequested) reject(new vscode.CancellationError());
        else if (code === 0) resolve(stdout);
        else {
          const last = stderr.trim().split("\n").pop() ?? "";
          reject(new ProvisioningError(`${path.basename(command)} ${args.slice(0, 3).join(" ")} exited with ${code}${last ? `: ${last}` : ""}`));
        }
      });
    });
  }
}

/** The Python extension's active interpreter, through its published API, when it is installed. */
async function pythonExtensionInterpreter(): Promise<string | undefined> {
  const extension = vscode.extensions.getExtension("ms-python.python");
  if (!extension) return undefined;
  try {
    const api = (await extension.activate()) as {
      environments?: {
        getActiveEnvironmentPath(resource?: vscode.Uri): { path: string };
        resolveEnvironment(env: { path: string }): Promise<{ executable: { uri?: vscode.Uri } } | undefined>;
      };
    } | undefined;
    const environments = api?.environments;
    if (!environments) return undefined;
    const active = environments.getActiveEnvironmentPath(vscode.workspace.workspaceFolders?.[0]?.uri);
    const resolved = await environments.resolveEnvironment(active);
    return resolved?.executable.uri?.fsPath ?? active.path;
  } catch {
    return undefined; // the Python extension is optional: fall back to python3
  }
}
