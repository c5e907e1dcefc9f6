/**
 * Maps the `keel.*` VS Code settings one to one onto the server's settings object
 * (docs/configuration.md). Settings the user left unset are not sent, so the server's own
 * defaults apply; client-only settings (`keel.server.path`, `keel.python`, `keel.trace.server`)
 * never reach the server.
 */
import type { Settings } from "./protocol/keel-protocol";

/** Dotted keys under `keel.` that are server settings, in the server's own shape. */
export const SERVER_SETTING_KEYS = [
  "logLevel",
  "providers",
  "timeouts.healthMs", "timeouts.preflightMs", "timeouts.listWorkflowsMs", "timeouts.estimateCostMs",
  "timeouts.runWorkflowMs", "timeouts.cancelRunMs", "timeouts.analyzeMs", "timeouts.generateFixMs",
  "timeouts.runsMs", "timeouts.reportMs",
  "storage.dir", "storage.retentionDays", "storage.maxBytes",
  "advisor.diagnostics", "advisor.maxFileBytes", "advisor.thresholds",
  "telemetry.otlpEndpoint",
  "budgets.perRunUsd", "budgets.dailyUsd", "budgets.monthlyUsd", "budgets.onExceed",
] as const;

export const CLIENT_SETTING_KEYS = ["server.path", "python", "trace.server"] as const;

/** Reads a `keel.`-relative key; undefined when the user set nothing (or null/empty). */
export type SettingReader = (key: string) => unknown;

/**
 * Settings that decide where code and keys go: the provider endpoints and key variable names,
 * where history (which quotes code) is written, where telemetry is sent. A workspace may not set
 * them: trusting a repository to run its code is not handing it your API key. package.json gives
 * them scope "machine"; `machineSafeReader` enforces the same on hosts that do not.
 */
export const MACHINE_SETTING_KEYS = ["providers", "storage.dir", "telemetry.otlpEndpoint",
  // A workspace may not raise what its user allowed to be spent.
  "budgets.perRunUsd", "budgets.dailyUsd", "budgets.monthlyUsd", "budgets.onExceed"] as const;

/** The part of `WorkspaceConfiguration.inspect()` this module reads. */
export interface InspectedSetting {
  defaultValue?: unknown;
  globalValue?: unknown;
  workspaceValue?: unknown;
  workspaceFolderValue?: unknown;
  workspaceLanguageValue?: unknown;
  workspaceFolderLanguageValue?: unknown;
}

export interface KeelConfiguration {
  get(key: string): unknown;
  inspect(key: string): InspectedSetting | undefined;
}

/**
 * A reader that takes machine settings from the user's (or default) value only; `onIgnored` is
 * called with the key when a workspace or folder value was there and was not used.
 */
export function machineSafeReader(config: KeelConfiguration, onIgnored: (key: string) => void): SettingReader {
  const machine = new Set<string>(MACHINE_SETTING_KEYS);
  return (key) => {
    if (!machine.has(key)) return config.get(key);
    const inspected = config.inspect(key);
    if (!inspected) return undefined;
    const { workspaceValue, workspaceFolderValue, workspaceLanguageValue, workspaceFolderLanguageValue } = inspected;
    if ([workspaceValue, workspaceFolderValue, workspaceLanguageValue, workspaceFolderLanguageValue].some((v) => v !== undefined)) {
      onIgnored(key);
    }
    return inspected.globalValue !== undefined ? inspected.globalValue : inspected.defaultValue;
  };
}

/** `onIgnored` for `machineSafeReader` that warns once per key for the life of the extension. */
export function warnOncePerKey(warn: (message: string) => void): (key: string) => void {
  const warned = new Set<string>();
  return (key) => {
    if (warned.has(key)) return;
    warned.add(key);
    warn(`Ignored the workspace's value of keel.${key}: it decides where code and API keys are sent, so only your user settings set it.`);
  };
}

function isUnset(value: unknown): boolean {
  return value === undefined || value === null || value === ""
    || (typeof value === "object" && !Array.isArray(value) && Object.keys(value as object).length === 0);
}

export function serverSettings(read: SettingReader): Settings {
  const settings: Record<string, unknown> = {};
  for (const key of SERVER_SETTING_KEYS) {
    const value = read(key);
    if (isUnset(value)) continue;
    const parts = key.split(".");
    let node = settings;
    for (const part of parts.slice(0, -1)) {
      node[part] ??= {};
      node = node[part] as Record<string, unknown>;
    }
    node[parts[parts.length - 1] as string] = value;
  }
  return settings as Settings;
}

/** True when a configuration change touches anything the server or the client's start depends on. */
export function affectsServer(affects: (section: string) => boolean): "restart" | "notify" | "none" {
  if (affects("keel.server.path") || affects("keel.python")) return "restart";
  return SERVER_SETTING_KEYS.some((key) => affects(`keel.${key}`)) ? "notify" : "none";
}

export interface ProviderKeyTarget {
  providerId: string;
  kind: string;
  envVar: string;
}

const DEFAULT_KEY_ENV: Record<string, string> = { anthropic: "ANTHROPIC_API_KEY", openai: "OPENAI_API_KEY" };

/** The providers that take a key, with the environment variable the server reads it from. */
export function providerKeyTargets(settings: Settings): ProviderKeyTarget[] {
  const providers = settings.providers?.length
    ? settings.providers
    : [{ id: "anthropic", kind: "anthropic" as const }, { id: "openai", kind: "openai" as const }];
  const targets: ProviderKeyTarget[] = [];
  for (const provider of providers) {
    const envVar = provider.apiKeyEnv ?? DEFAULT_KEY_ENV[provider.kind];
    if (envVar) targets.push({ providerId: provider.id, kind: provider.kind, envVar });
  }
  return targets;
}
