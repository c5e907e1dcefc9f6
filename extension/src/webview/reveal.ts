/**
 * Which `file://` URIs a webview's `reveal` may open: files inside a workspace folder only. A
 * webview is untrusted input (its script draws model-written reports); without this check a
 * crafted message opens any local file, or on Windows a UNC path (`file://host/share/...`), whose
 * mere opening sends the user's NTLM credentials to that host. Pure, so a unit test covers both
 * platforms' path rules.
 */
import * as path from "node:path";

export type RevealTarget = { ok: true; path: string } | { ok: false; reason: string };

export function workspaceFilePath(uri: string, folders: readonly string[], platform: NodeJS.Platform): RevealTarget {
  const paths = platform === "win32" ? path.win32 : path.posix;
  let url: URL;
  let decoded: string;
  try {
    url = new URL(uri);
    decoded = decodeURIComponent(url.pathname);
  } catch {
    return { ok: false, reason: "it is not a valid URI" };
  }
  if (url.protocol !== "file:") return { ok: false, reason: "it is not a file:// URI" };
  if (url.host !== "") return { ok: false, reason: `it names a host (${url.host})` };
  if (decoded.includes("\0")) return { ok: false, reason: "its path holds a NUL byte" };
  let fsPath = decoded;
  if (platform === "win32") {
    // file:///C:/x has the path /C:/x; anything without a drive (//server/share) is refused.
    if (!/^\/[A-Za-z]:[/\\]/.test(decoded)) return { ok: false, reason: "it has no drive letter" };
    fsPath = decoded.slice(1);
  }
  const resolved = paths.resolve(fsPath);
  for (const folder of folders) {
    const relative = paths.relative(paths.resolve(folder), resolved);
    const inside = relative !== "" && relative !== ".." && !relative.startsWith(`..${paths.sep}`) && !paths.isAbsolute(relative);
    if (inside) return { ok: true, path: resolved };
  }
  return { ok: false, reason: "it is outside the workspace folders" };
}
