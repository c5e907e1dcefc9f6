/**
 * A stand-in for the Python extension (`ms-python.python`) for the e2e: the real one cannot be
 * installed offline. It publishes the part of the Python extension's API that Keel reads
 * (`environments.getActiveEnvironmentPath` / `resolveEnvironment`, see provisioning/provision.ts)
 * and names an interpreter that is a wrapper: it logs each call, then runs the real Python.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";

export interface PythonExtensionStandIn {
  vsix: string;
  interpreter: string; // what the stand-in reports as the active interpreter
  callLog: string; // one line per run of that interpreter: its arguments
}

const MANIFEST = `<?xml version="1.0" encoding="utf-8"?>
<PackageManifest Version="2.0.0" xmlns="http://schemas.microsoft.com/developer/vsx-schema/2011">
  <Metadata>
    <Identity Language="en-US" Id="python" Version="0.0.1" Publisher="ms-python" />
    <DisplayName>Python (Keel e2e stand-in)</DisplayName>
    <Description xml:space="preserve">Publishes the Python extension's environments API for Keel's e2e.</Description>
    <Properties><Property Id="Microsoft.VisualStudio.Code.Engine" Value="^1.80.0" /></Properties>
  </Metadata>
  <Installation><InstallationTarget Id="Microsoft.VisualStudio.Code" /></Installation>
  <Dependencies />
  <Assets><Asset Type="Microsoft.VisualStudio.Code.Manifest" Path="extension/package.json" Addressable="true" /></Assets>
</PackageManifest>
`;
const CONTENT_TYPES = `<?xml version="1.0" encoding="utf-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
  <Default Extension=".json" ContentType="application/json" /><Default Extension=".js" ContentType="application/javascript" />
  <Default Extension=".vsixmanifest" ContentType="text/xml" />
</Types>
`;

export function pythonExtensionStandIn(root: string, realPython: string): PythonExtensionStandIn {
  const dir = path.join(root, "python-extension-stand-in");
  const interpreter = path.join(root, "python-from-the-python-extension");
  const callLog = path.join(root, "python-from-the-python-extension.log");
  writeFileSync(interpreter, `#!/bin/sh\nprintf '%s\\n' "$*" >> ${JSON.stringify(callLog)}\nexec ${JSON.stringify(realPython)} "$@"\n`);
  chmodSync(interpreter, 0o755);
  mkdirSync(path.join(dir, "extension"), { recursive: true });
  writeFileSync(path.join(dir, "extension.vsixmanifest"), MANIFEST);
  writeFileSync(path.join(dir, "[Content_Types].xml"), CONTENT_TYPES);
  writeFileSync(path.join(dir, "extension", "package.json"), JSON.stringify({
    name: "python", publisher: "ms-python", version: "0.0.1", engines: { vscode: "^1.80.0" },
    main: "./extension.js", activationEvents: [],
  }));
  writeFileSync(path.join(dir, "extension", "extension.js"), `const vscode = require("vscode");
const INTERPRETER = ${JSON.stringify(interpreter)};
exports.activate = () => ({
  environments: {
    getActiveEnvironmentPath: () => ({ id: INTERPRETER, path: INTERPRETER }),
    resolveEnvironment: async (env) => ({ executable: { uri: vscode.Uri.file(env.path) } }),
  },
});
`);
  const vsix = path.join(root, "ms-python.python-0.0.1.vsix");
  execFileSync("zip", ["-q", "-r", vsix, "extension.vsixmanifest", "[Content_Types].xml", "extension"], { cwd: dir });
  return { vsix, interpreter, callLog };
}
