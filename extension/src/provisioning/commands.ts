/**
 * Every process the extension starts, as data: the server, the version probe, `venv` and `pip`.
 * Pure (no VS Code API) so a unit test asserts the exact args and working directory.
 *
 * Why `-I` and a neutral cwd: `python -m X` and `python -c` put the working directory first on
 * `sys.path`, and vscode-languageclient runs a server without a `cwd` in the first workspace
 * folder; the extension host's own cwd is the repository when VS Code was started with `code .`.
 * A repository's `keel/__main__.py` or top-level `psutil.py` would then run as Keel. `-I` drops
 * the working directory, PYTHONPATH, PYTHON* variables and the user site from `sys.path`; the
 * extension's global storage folder as cwd keeps even a host that ignores `-I`, or a
 * `keel.server.path` executable, away from the repository (as the Python tools extension
 * template does).
 */
import * as path from "node:path";
import { VERSION_SCRIPT } from "./interpreter";

export interface ServerCommand {
  command: string;
  args: string[];
  /** Always set: the extension's global storage folder, never a workspace folder. */
  cwd: string;
}

/** What a process needs to start: the same shape for provisioning steps. */
export type ProcessCommand = ServerCommand;

/** The extras the server imports: bandit for the static security stage. Not `providers`: the
 * provider clients are httpx, the SDKs are never imported (server/keel/providers/http_provider.py). */
export const SERVER_EXTRAS = ["security"] as const;

/** The constraints file shipped beside the wheel (extension/scripts/package.mjs writes it). */
export const CONSTRAINTS_FILE = "constraints.txt";

/** The server in Keel's private environment. */
export function provisionedServer(python: string, neutralDir: string): ServerCommand {
  return { command: python, args: ["-I", "-m", "keel", "serve"], cwd: neutralDir };
}

/** `keel.server.path`: an executable the user chose; it still starts outside the repository. */
export function serverPathCommand(executable: string, neutralDir: string): ServerCommand {
  return { command: executable, args: ["serve"], cwd: neutralDir };
}

/** Asks a candidate interpreter its version. */
export function versionProbe(interpreter: string, neutralDir: string): ProcessCommand {
  return { command: interpreter, args: ["-I", "-c", VERSION_SCRIPT], cwd: neutralDir };
}

export function createVenv(interpreter: string, venv: string, neutralDir: string): ProcessCommand {
  return { command: interpreter, args: ["-I", "-m", "venv", path.resolve(venv)], cwd: neutralDir };
}

/** Installs the wheel with the server's extras, every dependency pinned by the constraints file. */
export function installKeel(python: string, wheel: string, constraints: string, neutralDir: string): ProcessCommand {
  return {
    command: python,
    args: ["-I", "-m", "pip", "install", "--disable-pip-version-check", "--quiet",
      "-c", path.resolve(constraints), `${path.resolve(wheel)}[${SERVER_EXTRAS.join(",")}]`],
    cwd: neutralDir,
  };
}

/** The python of a virtual environment, on this platform. */
export function venvPython(venv: string, platform: NodeJS.Platform = process.platform): string {
  return platform === "win32" ? path.join(venv, "Scripts", "python.exe") : path.join(venv, "bin", "python");
}
