// Bundles the extension host (CommonJS for VS Code) and the webview scripts (browser IIFE).
import * as esbuild from "esbuild";
import { fileURLToPath } from "node:url";
import path from "node:path";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const production = process.argv.includes("--production");
const common = { bundle: true, sourcemap: !production, minify: production, logLevel: "warning" };

await Promise.all([
  esbuild.build({
    ...common,
    entryPoints: [path.join(root, "src/extension.ts")],
    outfile: path.join(root, "out/extension.js"),
    platform: "node",
    format: "cjs",
    target: "node20",
    external: ["vscode"],
  }),
  esbuild.build({
    ...common,
    entryPoints: {
      dashboard: path.join(root, "webview/dashboard.ts"),
      advisor: path.join(root, "webview/advisor.ts"),
    },
    outdir: path.join(root, "out/webview"),
    platform: "browser",
    format: "iife",
    target: "es2022",
  }),
]);
