/**
 * What the status bar item says, from the client's phase and the server's last health report.
 * Pure (no vscode import) so the mapping is unit-tested; statusBar.ts applies it.
 */
import type { HealthComponent, HealthReport } from "../protocol/keel-protocol";

export type ClientPhase = "installing" | "starting" | "running" | "restarting" | "stopped";

export type StatusState =
  | "installing" | "starting" | "healthy" | "degraded" | "unhealthy" | "restarting" | "stopped" | "notResponding";

export interface StatusInput {
  phase: ClientPhase;
  health?: HealthReport | undefined;
  responsive: boolean;
  /** Why the client stopped or is restarting (crash count, provisioning failure). */
  reason?: string | undefined;
}

export interface CommandLink {
  title: string;
  command: string;
  args?: unknown[];
}

export interface StatusView {
  state: StatusState;
  text: string;
  /** A ThemeColor id for the item's background, or undefined for the default. */
  background?: "statusBarItem.warningBackground" | "statusBarItem.errorBackground" | undefined;
  summary: string;
  components: Array<{ name: string; status: string; detail: string; fix?: string; action?: CommandLink }>;
  actions: CommandLink[];
}

const ICONS: Record<StatusState, string> = {
  installing: "$(sync~spin)", starting: "$(sync~spin)", restarting: "$(sync~spin)",
  healthy: "$(check)", degraded: "$(warning)", unhealthy: "$(error)",
  stopped: "$(circle-slash)", notResponding: "$(watch)",
};

const LABELS: Record<StatusState, string> = {
  installing: "installing", starting: "starting", restarting: "restarting",
  healthy: "healthy", degraded: "degraded", unhealthy: "unhealthy",
  stopped: "stopped", notResponding: "not responding",
};

export const RESTART: CommandLink = { title: "Restart server", command: "keel.restartServer" };
export const SHOW_LOG: CommandLink = { title: "Show log", command: "keel.showLog" };
export const RUN_DOCTOR: CommandLink = { title: "Run doctor", command: "keel.runDoctor" };

/** The command that carries out a component's fix, when there is one. */
export function fixAction(component: HealthComponent): CommandLink | undefined {
  const { name } = component;
  if (name.startsWith("provider:")) {
    if (component.status === "disabled" || /key|API_KEY/i.test(component.fix ?? "")) {
      return { title: "Set API key", command: "keel.setApiKey", args: [name.slice("provider:".length)] };
    }
    return undefined;
  }
  if (name === "config") return { title: "Open settings", command: "workbench.action.openSettings", args: ["keel"] };
  if (name === "storage") return { title: "Open storage settings", command: "workbench.action.openSettings", args: ["keel.storage"] };
  if (name === "budget") return { title: "Open budget settings", command: "workbench.action.openSettings", args: ["keel.budgets"] };
  if (component.fix) return RUN_DOCTOR;
  return undefined;
}

export function stateOf(input: StatusInput): StatusState {
  if (input.phase !== "running") return input.phase;
  if (!input.responsive) return "notResponding";
  // A server still loading answers health with a "starting" report: it is starting, not degraded.
  if (input.health?.starting) return "starting";
  return input.health?.level ?? "starting";
}

export function statusView(input: StatusInput): StatusView {
  const state = stateOf(input);
  const background = state === "degraded" || state === "notResponding" || state === "restarting"
    ? "statusBarItem.warningBackground"
    : state === "unhealthy" || state === "stopped" ? "statusBarItem.errorBackground" : undefined;
  const summary = summaryOf(state, input);
  const components = (input.health?.starting ? [] : input.health?.components ?? []).map((c) => {
    // A server that does not answer: its last report says nothing about now.
    if (state === "notResponding") return { name: c.name, status: "unknown", detail: "unknown while the server does not answer" };
    const action = c.status === "ok" ? undefined : fixAction(c);
    return { name: c.name, status: c.status, detail: c.detail, ...(c.fix ? { fix: c.fix } : {}), ...(action ? { action } : {}) };
  });
  const actions = state === "stopped" || state === "notResponding" || state === "unhealthy"
    ? [RESTART, SHOW_LOG, RUN_DOCTOR]
    : [SHOW_LOG, RUN_DOCTOR];
  return { state, text: `${ICONS[state]} Keel: ${LABELS[state]}`, background, summary, components, actions };
}

function summaryOf(state: StatusState, input: StatusInput): string {
  switch (state) {
    case "installing": return "Setting up Keel's Python environment…";
    case "starting": return "Starting the Keel server…";
    case "restarting": return `The Keel server stopped unexpectedly; restarting. ${input.reason ?? ""}`.trim();
    case "stopped": return `The Keel server is stopped. ${input.reason ?? ""}`.trim();
    case "notResponding": return "The Keel server did not answer a health check within 5 s; the state of its components is unknown until it answers.";
    default: return input.health?.summary ?? "";
  }
}

/** Markdown with command links: the tooltip of the status bar item. */
export function tooltipMarkdown(view: StatusView): string {
  const lines = [`**Keel: ${LABELS[view.state]}**`, "", escapeMarkdown(view.summary), ""];
  for (const c of view.components) {
    let line = `- ${statusIcon(c.status)} \`${escapeMarkdown(c.name)}\` ${escapeMarkdown(c.detail)}`;
    if (c.fix) line += ` — *${escapeMarkdown(c.fix)}*`;
    if (c.action) line += ` [${c.action.title}](${commandUri(c.action)})`;
    lines.push(line);
  }
  lines.push("", view.actions.map((a) => `[${a.title}](${commandUri(a)})`).join(" · "));
  return lines.join("\n");
}

export function commandUri(link: CommandLink): string {
  return link.args ? `command:${link.command}?${encodeURIComponent(JSON.stringify(link.args))}` : `command:${link.command}`;
}

function statusIcon(status: string): string {
  return status === "ok" ? "$(pass)" : status === "disabled" ? "$(circle-slash)" : status === "degraded" ? "$(warning)"
    : status === "unknown" ? "$(question)" : "$(error)";
}

export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, (ch) => `\\${ch}`);
}
