/** Helpers shared by Keel's webview scripts: DOM building without innerHTML, and the host bridge. */
import type { StatusView } from "../src/status/statusModel";

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

export const vscode: VsCodeApi = acquireVsCodeApi();

type Child = Node | string | null | undefined | false;

/** Creates an element; text is always set as text, never parsed as HTML. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string | boolean | undefined> = {},
  ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    el.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    el.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return el;
}

export function replace(el: Element, ...children: Child[]): void {
  el.replaceChildren(...children.filter((c): c is Node | string => c !== null && c !== undefined && c !== false));
}

export function usd(value: number | undefined | null): string {
  if (value === undefined || value === null) return "–";
  return value === 0 ? "$0" : value < 0.01 ? `$${value.toFixed(4)}` : `$${value.toFixed(2)}`;
}

export function onMessage<T>(handler: (message: T) => void): void {
  window.addEventListener("message", (event: MessageEvent<T>) => handler(event.data));
}

/** The banner shown when the server is not healthy, with the action as a button. */
export function renderBanner(el: HTMLElement, view: StatusView): void {
  if (view.state === "healthy") {
    el.hidden = true;
    replace(el);
    return;
  }
  el.hidden = false;
  el.className = `banner banner-${view.state}`;
  const fixes = view.components.filter((c) => c.status !== "ok" && c.status !== "disabled" && c.fix);
  const primary = view.components.find((c) => c.action && c.status !== "ok")?.action ?? view.actions[0];
  const button = primary && ["keel.restartServer", "keel.showLog", "keel.runDoctor", "keel.setApiKey", "keel.openSettings"].includes(primary.command)
    ? h("button", { type: "button", class: "banner-action", "data-command": primary.command }, primary.title)
    : null;
  button?.addEventListener("click", () => vscode.postMessage({ type: "command", command: primary?.command }));
  replace(el,
    h("strong", {}, `Keel is ${view.state === "notResponding" ? "not responding" : view.state}. `),
    h("span", {}, view.summary),
    fixes.length ? h("ul", {}, ...fixes.map((c) => h("li", {}, `${c.name}: ${c.detail} — ${c.fix ?? ""}`))) : null,
    button);
}
