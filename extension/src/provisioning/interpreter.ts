/**
 * Which Python creates Keel's private environment: the `keel.python` setting, else the Python
 * extension's active interpreter (only in a trusted workspace), else `python3` on PATH; and
 * whether it is new enough.
 *
 * In an untrusted workspace the Python extension's choice may be the repository's own
 * `.venv/bin/python`: running it (even with -I) runs the repository's program, and the private
 * environment built from it would run every later server on it. VS Code already ignores a
 * workspace's `keel.python` there (a restricted setting).
 */
export const MIN_PYTHON: readonly [number, number] = [3, 11];

export interface InterpreterCandidate {
  path: string;
  source: "keel.python setting" | "Python extension" | "PATH";
}

export function interpreterCandidates(setting: string | undefined, pythonExtension: string | undefined,
  workspaceTrusted = true): InterpreterCandidate[] {
  if (setting && setting.trim()) return [{ path: setting.trim(), source: "keel.python setting" }];
  const list: InterpreterCandidate[] = [];
  if (pythonExtension && workspaceTrusted) list.push({ path: pythonExtension, source: "Python extension" });
  list.push({ path: "python3", source: "PATH" });
  return list;
}

/** Parses the output of `python -c "import sys; print(*sys.version_info[:3])"`. */
export function parseVersion(output: string): [number, number, number] | undefined {
  const match = /^(\d+) (\d+) (\d+)\s*$/.exec(output.trim());
  return match ? [Number(match[1]), Number(match[2]), Number(match[3])] : undefined;
}

export function isSupported(version: readonly number[]): boolean {
  const [major = 0, minor = 0] = version;
  return major > MIN_PYTHON[0] || (major === MIN_PYTHON[0] && minor >= MIN_PYTHON[1]);
}

export const VERSION_SCRIPT = "import sys; print(*sys.version_info[:3])";
