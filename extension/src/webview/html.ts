/**
 * The HTML shell of every Keel webview: a strict Content-Security-Policy with a fresh nonce,
 * nothing remote, and the panel's own script and style through asWebviewUri.
 */
import { randomBytes } from "node:crypto";

export interface WebviewLike {
  cspSource: string;
  asWebviewUri(uri: { toString(): string }): { toString(): string };
}

export function newNonce(): string {
  return randomBytes(18).toString("base64url");
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `img-src ${cspSource} data:`,
    `style-src ${cspSource}`,
    `font-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
    "connect-src 'none'",
    "form-action 'none'",
    "base-uri 'none'",
  ].join("; ");
}

export function webviewHtml(options: { title: string; cspSource: string; scriptUri: string; styleUri: string; nonce?: string }): string {
  const nonce = options.nonce ?? newNonce();
  const csp = contentSecurityPolicy(options.cspSource, nonce);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${options.styleUri}">
<title>${options.title}</title>
</head>
<body>
<main id="app" aria-live="polite"></main>
<script nonce="${nonce}" src="${options.scriptUri}"></script>
</body>
</html>`;
}
