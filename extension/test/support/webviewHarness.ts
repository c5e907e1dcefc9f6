/**
 * Loads a built webview script in headless Debian chromium (playwright-core, never a downloaded
 * browser) behind the same CSP shell the extension uses, with a stub acquireVsCodeApi that
 * records what the webview posts.
 */
import { createServer, type Server } from "node:http";
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { webviewHtml } from "../../src/webview/html";

export const EXTENSION_DIR = path.resolve(__dirname, "..", "..");
export const CHROMIUM = process.env["KEEL_CHROMIUM"] ?? "/usr/bin/chromium";
export const CHROMIUM_ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

export interface Harness {
  page: Page;
  sent(): Promise<Array<Record<string, unknown>>>;
  clearSent(): Promise<void>;
  deliver(message: unknown): Promise<void>;
  /** CSP violations and uncaught webview errors: every test asserts there are none. */
  cspViolations: string[];
  close(): Promise<void>;
}

let browser: Browser | undefined;
let server: Server | undefined;
let origin = "";

export async function launch(): Promise<void> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (url.pathname.startsWith("/page/")) {
      const script = url.pathname.slice("/page/".length);
      res.writeHead(200, { "content-type": "text/html" });
      res.end(webviewHtml({
        title: script, cspSource: origin, nonce: "test-nonce",
        scriptUri: `${origin}/out/webview/${script}.js`, styleUri: `${origin}/media/webview.css`,
      }));
      return;
    }
    const file = path.join(EXTENSION_DIR, path.normalize(url.pathname));
    if (!file.startsWith(EXTENSION_DIR) || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": file.endsWith(".js") ? "text/javascript" : "text/css" });
    res.end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  origin = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
}

export async function shutdown(): Promise<void> {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
}

export async function open(script: "dashboard" | "advisor", initialState?: unknown): Promise<Harness> {
  if (!browser) throw new Error("launch() first");
  const page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
  const cspViolations: string[] = [];
  page.on("console", (msg) => {
    if (/Content Security Policy/i.test(msg.text())) cspViolations.push(msg.text());
  });
  // A string, not a function: tsx's transform would inject helpers the page does not have.
  await page.addInitScript({ content: `
    window.__sent = [];
    window.__state = ${JSON.stringify(initialState ?? null)};
    window.acquireVsCodeApi = () => ({
      postMessage: (m) => window.__sent.push(JSON.parse(JSON.stringify(m))),
      getState: () => window.__state ?? undefined,
      setState: (s) => { window.__state = s; },
    });` });
  page.on("pageerror", (e) => cspViolations.push(`the webview threw: ${e.message}`));
  await page.goto(`${origin}/page/${script}`);
  await page.waitForFunction(() => (window as unknown as { __sent: Array<{ type: string }> }).__sent.some((m) => m.type === "ready"), undefined, { timeout: 10_000 });
  return {
    page,
    cspViolations,
    sent: () => page.evaluate(() => (window as unknown as { __sent: Array<Record<string, unknown>> }).__sent),
    clearSent: () => page.evaluate(() => { (window as unknown as { __sent: unknown[] }).__sent = []; }),
    deliver: async (message) => {
      // Dispatched synchronously, so the webview has handled it when this resolves.
      await page.evaluate((m) => { window.dispatchEvent(new MessageEvent("message", { data: m })); }, message);
    },
    close: () => page.close(),
  };
}

export async function waitForSent(h: Harness, predicate: (m: Record<string, unknown>) => boolean, what: string): Promise<Record<string, unknown>> {
  for (let i = 0; i < 100; i++) {
    const found = (await h.sent()).find(predicate);
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`the webview never posted ${what}; it posted ${JSON.stringify(await h.sent())}`);
}
