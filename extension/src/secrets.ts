/**
 * Provider API keys live in VS Code's SecretStorage, never in settings; they reach the server only
 * through its environment (the variable its settings name), so a changed key means a restart.
 */
import * as vscode from "vscode";
import { providerKeyTargets, serverSettings, type SettingReader } from "./config";
import { serverEnvironment } from "./lifecycle/serverEnv";

const PREFIX = "keel.apiKey.";

export class ApiKeys {
  constructor(private readonly secrets: vscode.SecretStorage, private readonly settings: () => SettingReader) {}

  onDidChange(listener: () => void): vscode.Disposable {
    return this.secrets.onDidChange((event) => {
      if (event.key.startsWith(PREFIX)) listener();
    });
  }

  /** The environment the server starts with: the allow-list, and each configured provider's key. */
  async serverEnvironment(): Promise<Record<string, string>> {
    const keyVariables = providerKeyTargets(this.currentSettings()).map((target) => target.envVar);
    const storedKeys: Record<string, string> = {};
    for (const name of keyVariables) {
      const value = await this.secrets.get(PREFIX + name);
      if (value) storedKeys[name] = value;
    }
    return serverEnvironment({ base: process.env, platform: process.platform, keyVariables, storedKeys });
  }

  /** "Keel: Set API Key…": pick the provider (or take it from a command link), then the key. */
  async promptAndStore(providerId?: string): Promise<boolean> {
    const targets = providerKeyTargets(this.currentSettings());
    let target = targets.find((t) => t.providerId === providerId);
    if (!target) {
      const picked = await vscode.window.showQuickPick(
        targets.map((t) => ({ label: t.providerId, description: `${t.kind} · $${t.envVar}`, target: t })),
        // As the key's input box: a panel that takes the focus meanwhile (the Refactor Advisor
        // re-analysing) must not close the first step of the two (seen in the VS Code e2e).
        { title: "Keel: Set API Key", placeHolder: "Which provider?", ignoreFocusOut: true });
      target = picked?.target;
    }
    if (!target) return false;
    const value = await vscode.window.showInputBox({
      title: `API key for ${target.providerId}`,
      prompt: `Stored in VS Code's secret storage and given to the Keel server as $${target.envVar}. Leave empty to remove it.`,
      password: true,
      ignoreFocusOut: true,
    });
    if (value === undefined) return false;
    if (value.trim()) await this.secrets.store(PREFIX + target.envVar, value.trim());
    else await this.secrets.delete(PREFIX + target.envVar);
    return true;
  }

  private currentSettings(): ReturnType<typeof serverSettings> {
    return serverSettings(this.settings());
  }
}
