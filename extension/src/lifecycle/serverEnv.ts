/**
 * The server's environment: an allow-list, not the extension host's whole `process.env`. The
 * host's environment holds whatever the user's shell had (AWS_*, GITHUB_TOKEN, database URLs);
 * the server needs only what locates files, proxies and certificates, plus one key per
 * configured provider. A key the user stored in SecretStorage wins over the variable of the
 * same name. Pure, so a unit test runs it over a table of environments.
 *
 * `KEEL_SERVER_TOKEN` is not passed: the extension talks to the server over stdio, and the token
 * only authenticates TCP connections.
 */

const PASSED = [
  "PATH", "HOME", "USER", "LOGNAME", "LANG", "LANGUAGE", "TZ", "TMPDIR", "TMP", "TEMP",
  "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_RUNTIME_DIR",
  "XDG_DATA_DIRS", "XDG_CONFIG_DIRS",
  "SSL_CERT_FILE", "SSL_CERT_DIR",
  "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "no_proxy", "all_proxy",
] as const;

/** Windows needs these to start a process, find its profile and load sockets. */
const PASSED_ON_WINDOWS = ["SYSTEMROOT", "WINDIR", "APPDATA", "LOCALAPPDATA", "USERPROFILE", "COMSPEC", "PATHEXT"] as const;

const LOCALE = /^LC_[A-Z_]+$/;

export interface ServerEnvInput {
  /** The extension host's environment. */
  base: Readonly<Record<string, string | undefined>>;
  platform: NodeJS.Platform;
  /** The variables the configured providers read their keys from (config.ts providerKeyTargets). */
  keyVariables: readonly string[];
  /** Keys from SecretStorage, by variable name. */
  storedKeys: Readonly<Record<string, string>>;
}

export function serverEnvironment({ base, platform, keyVariables, storedKeys }: ServerEnvInput): Record<string, string> {
  const windows = platform === "win32";
  // Windows variable names are case-insensitive (`Path`, `SystemRoot`): match them so.
  const fold = (name: string): string => (windows ? name.toUpperCase() : name);
  const allowed = new Set<string>([...PASSED, ...(windows ? PASSED_ON_WINDOWS : [])].map(fold));
  const keys = new Set(keyVariables.map(fold));
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(base)) {
    if (value === undefined) continue;
    const folded = fold(name);
    if (allowed.has(folded) || LOCALE.test(folded) || keys.has(folded)) env[name] = value;
  }
  for (const name of keyVariables) {
    const stored = storedKeys[name];
    if (!stored) continue;
    for (const existing of Object.keys(env)) if (fold(existing) === fold(name)) delete env[existing];
    env[name] = stored;
  }
  return env;
}
