// `npm run package`: Keel's wheel, its constraints file and a production bundle → extension/dist/keel-<version>.vsix.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const run = (cmd, args) => execFileSync(cmd, args, { cwd: repo, stdio: ["ignore", "inherit", "inherit"] });
const python = process.env.KEEL_PYTHON ?? (existsSync(path.join(repo, ".venv/bin/python")) ? path.join(repo, ".venv/bin/python") : "python3");
const manifest = JSON.parse(readFileSync(path.join(repo, "package.json"), "utf8"));
const version = manifest.version;
// extension/README.md links ../docs/images/…: resolved against extension/ in the repository.
const repository = String(manifest.repository?.url ?? "").replace(/\.git$/, "");

const wheelDir = path.join(repo, "extension", "wheel");
rmSync(wheelDir, { recursive: true, force: true });
mkdirSync(wheelDir, { recursive: true });
// The wheel only: its dependencies come from the package index when the extension provisions,
// pinned by the constraints file written beside it from this build's environment.
run(python, ["-I", "-m", "pip", "wheel", "--quiet", "--no-deps", "--disable-pip-version-check", ".", "-w", wheelDir]);
const wheels = readdirSync(wheelDir).filter((f) => f.endsWith(".whl"));
if (wheels.length !== 1) throw new Error(`expected one wheel in ${wheelDir}, found ${wheels.join(", ") || "none"}`);
// The extras here must be provision.ts's SERVER_EXTRAS (extension/src/provisioning/commands.ts).
run(python, ["-I", path.join(repo, "extension/scripts/constraints.py"), "--wheel", path.join(wheelDir, wheels[0]),
  "--extras", "security", "--out", path.join(wheelDir, "constraints.txt")]);

run(process.execPath, [path.join(repo, "extension/scripts/build.mjs"), "--production"]);
const outDir = path.join(repo, "extension", "dist");
mkdirSync(outDir, { recursive: true });
const vsix = path.join(outDir, `keel-${version}.vsix`);
// The .vsix shows the user README and CHANGELOG under extension/, not the repository's developer
// README. Its relative links become https links into the repository (package.json `repository`),
// which is where the Marketplace and VS Code fetch its screenshots from.
run(process.execPath, [path.join(repo, "node_modules/@vscode/vsce/vsce"), "package", "--no-dependencies",
  "--readme-path", "extension/README.md", "--changelog-path", "extension/CHANGELOG.md",
  "--baseContentUrl", `${repository}/blob/HEAD/extension`, "--baseImagesUrl", `${repository}/raw/HEAD/extension`, "--out", vsix]);
console.log(`${vsix} (${(statSync(vsix).size / 1024).toFixed(0)} KiB, wheel ${wheels[0]})`);
