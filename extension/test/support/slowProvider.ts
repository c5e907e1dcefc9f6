/**
 * A minimal Anthropic-compatible /v1/messages endpoint on 127.0.0.1 that answers after a delay,
 * so a workflow run stays in flight long enough for the e2e to click Run twice. (`keel chaos
 * serve` would do, but its CLI currently crashes on start: a structlog configuration bug.)
 */
import { createServer, type Server } from "node:http";

export async function startSlowProvider(delayMs: number): Promise<{ url: string; calls: () => number; close(): Promise<void> }> {
  let calls = 0;
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => { body += chunk.toString(); });
    req.on("end", () => {
      calls += 1;
      const model = (() => { try { return (JSON.parse(body) as { model?: string }).model ?? "claude"; } catch { return "claude"; } })();
      setTimeout(() => {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({
          id: `msg_${calls}`, type: "message", role: "assistant", model, stop_reason: "end_turn", stop_sequence: null,
          content: [{ type: "text", text: "## Summary\n\nThis module processes inputs through deeply nested conditionals." }],
          usage: { input_tokens: 100, output_tokens: 20 },
        }));
      }, delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    calls: () => calls,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
