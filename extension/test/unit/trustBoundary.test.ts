/**
 * The extension's side of the trust boundary (issue 19): what it starts, with which environment,
 * which settings a workspace may not set, which links a report keeps, which files `reveal` opens.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import {
  CONSTRAINTS_FILE, createVenv, installKeel, provisionedServer, SERVER_EXTRAS, serverPathCommand, versionProbe,
} from "../../src/provisioning/commands";
import { serverEnvironment } from "../../src/lifecycle/serverEnv";
import { machineSafeReader, MACHINE_SETTING_KEYS, warnOncePerKey, type InspectedSetting } from "../../src/config";
import { isWebLink } from "../../src/webview/links";
import { workspaceFilePath } from "../../src/webview/reveal";

const REPO = path.resolve(__dirname, "..", "..", "..");
const STORAGE = "/home/u/.config/Code/User/globalStorage/keel.keel";

// ---- 1. no repository code on any path the extension starts -----------------------------------

test("every Python the extension starts runs isolated (-I) in the extension's storage folder", () => {
  const python = `${STORAGE}/venv/bin/python`;
  const commands = [
    provisionedServer(python, STORAGE),
    versionProbe("/usr/bin/python3", STORAGE),
    createVenv("/usr/bin/python3", `${STORAGE}/venv`, STORAGE),
    installKeel(python, "/ext/extension/wheel/keel-0.1.0-py3-none-any.whl", `/ext/extension/wheel/${CONSTRAINTS_FILE}`, STORAGE),
  ];
  for (const command of commands) {
    assert.equal(command.args[0], "-I", `${command.args.join(" ")} starts with -I`);
    assert.equal(command.cwd, STORAGE, `${command.args.join(" ")} runs in the storage folder`);
  }
  assert.deepEqual(provisionedServer(python, STORAGE).args, ["-I", "-m", "keel", "serve"]);
  assert.deepEqual(createVenv("/usr/bin/python3", `${STORAGE}/venv`, STORAGE).args, ["-I", "-m", "venv", `${STORAGE}/venv`]);
});

test("a keel.server.path executable also starts in the storage folder, never the workspace", () => {
  assert.deepEqual(serverPathCommand("/opt/keel/bin/keel", STORAGE), { command: "/opt/keel/bin/keel", args: ["serve"], cwd: STORAGE });
});

// ---- 5. pinned install of only the extras the server uses ---------------------------------------

test("the install pins every dependency with the shipped constraints file and installs no provider SDKs", () => {
  const { args } = installKeel("/v/bin/python", "/ext/wheel/keel-0.1.0-py3-none-any.whl", "/ext/wheel/constraints.txt", STORAGE);
  assert.deepEqual(args.slice(0, 4), ["-I", "-m", "pip", "install"]);
  const constraint = args.indexOf("-c");
  assert.ok(constraint > 0, "-c is passed");
  assert.equal(args[constraint + 1], "/ext/wheel/constraints.txt");
  assert.equal(args[args.length - 1], "/ext/wheel/keel-0.1.0-py3-none-any.whl[security]");
  assert.ok(!args.some((a) => /providers|anthropic|openai/.test(a)), `no provider SDKs in ${args.join(" ")}`);
});

test("the package script generates constraints for the same extras provisioning installs", () => {
  const script = readFileSync(path.join(REPO, "extension", "scripts", "package.mjs"), "utf8");
  const extras = /"--extras", "([^"]*)"/.exec(script)?.[1];
  assert.equal(extras, SERVER_EXTRAS.join(","));
  const manifest = JSON.parse(readFileSync(path.join(REPO, "package.json"), "utf8")) as { files: string[] };
  assert.ok(manifest.files.includes(`extension/wheel/${CONSTRAINTS_FILE}`), "the .vsix carries the constraints file");
});

// ---- 2. only the variables the server needs --------------------------------------------------

const HOST_ENV = {
  PATH: "/usr/bin", HOME: "/home/u", USER: "u", LOGNAME: "u", LANG: "en_US.UTF-8", LC_ALL: "C.UTF-8", LC_CTYPE: "C",
  TZ: "UTC", TMPDIR: "/tmp", XDG_DATA_HOME: "/home/u/.local/share", XDG_RUNTIME_DIR: "/run/user/1000",
  SSL_CERT_FILE: "/etc/ssl/cert.pem", HTTPS_PROXY: "http://proxy:3128", no_proxy: "localhost",
  AWS_SECRET_ACCESS_KEY: "aws-secret", AWS_ACCESS_KEY_ID: "AKIA", GITHUB_TOKEN: "ghp_x", DATABASE_URL: "postgres://x",
  PYTHONPATH: "/evil", PYTHONSTARTUP: "/evil/start.py", NODE_OPTIONS: "--require /evil.js", KEEL_SERVER_TOKEN: "t",
  VSCODE_IPC_HOOK: "/tmp/ipc.sock", ELECTRON_RUN_AS_NODE: "1",
  ANTHROPIC_API_KEY: "from-shell", OPENAI_API_KEY: "openai-from-shell", MY_PROXY_KEY: "proxy-key",
};

const ENV_CASES: { name: string; platform: NodeJS.Platform; base: Record<string, string>; keyVariables: string[];
  storedKeys: Record<string, string>; expected: Record<string, string> }[] = [
  {
    name: "the default providers: system variables and both keys from the shell; no other secret",
    platform: "linux", base: HOST_ENV, keyVariables: ["ANTHROPIC_API_KEY", "OPENAI_API_KEY"], storedKeys: {},
    expected: {
      PATH: "/usr/bin", HOME: "/home/u", USER: "u", LOGNAME: "u", LANG: "en_US.UTF-8", LC_ALL: "C.UTF-8", LC_CTYPE: "C",
      TZ: "UTC", TMPDIR: "/tmp", XDG_DATA_HOME: "/home/u/.local/share", XDG_RUNTIME_DIR: "/run/user/1000",
      SSL_CERT_FILE: "/etc/ssl/cert.pem", HTTPS_PROXY: "http://proxy:3128", no_proxy: "localhost",
      ANTHROPIC_API_KEY: "from-shell", OPENAI_API_KEY: "openai-from-shell",
    },
  },
  {
    name: "a key stored in SecretStorage wins over the shell's variable of the same name",
    platform: "linux", base: { PATH: "/usr/bin", ANTHROPIC_API_KEY: "from-shell" }, keyVariables: ["ANTHROPIC_API_KEY"],
    storedKeys: { ANTHROPIC_API_KEY: "from-secret-storage" },
    expected: { PATH: "/usr/bin", ANTHROPIC_API_KEY: "from-secret-storage" },
  },
  {
    name: "a provider with its own apiKeyEnv gets that variable; the default keys are not passed",
    platform: "linux", base: HOST_ENV, keyVariables: ["MY_PROXY_KEY"], storedKeys: {},
    expected: {
      PATH: "/usr/bin", HOME: "/home/u", USER: "u", LOGNAME: "u", LANG: "en_US.UTF-8", LC_ALL: "C.UTF-8", LC_CTYPE: "C",
      TZ: "UTC", TMPDIR: "/tmp", XDG_DATA_HOME: "/home/u/.local/share", XDG_RUNTIME_DIR: "/run/user/1000",
      SSL_CERT_FILE: "/etc/ssl/cert.pem", HTTPS_PROXY: "http://proxy:3128", no_proxy: "localhost", MY_PROXY_KEY: "proxy-key",
    },
  },
  {
    name: "offline only: no key variable at all",
    platform: "linux", base: { PATH: "/usr/bin", ANTHROPIC_API_KEY: "k", GITHUB_TOKEN: "g" }, keyVariables: [], storedKeys: {},
    expected: { PATH: "/usr/bin" },
  },
  {
    name: "Windows: its system variables, matched whatever their case, and a stored key replaces the shell's",
    platform: "win32",
    base: { Path: "C:\\Windows", SystemRoot: "C:\\Windows", windir: "C:\\Windows", APPDATA: "C:\\u\\AppData\\Roaming",
      LOCALAPPDATA: "C:\\u\\AppData\\Local", USERPROFILE: "C:\\u", ComSpec: "cmd.exe", PATHEXT: ".EXE", TEMP: "C:\\t",
      anthropic_api_key: "from-shell", GITHUB_TOKEN: "g", AWS_SECRET_ACCESS_KEY: "a" },
    keyVariables: ["ANTHROPIC_API_KEY"], storedKeys: { ANTHROPIC_API_KEY: "stored" },
    expected: { Path: "C:\\Windows", SystemRoot: "C:\\Windows", windir: "C:\\Windows", APPDATA: "C:\\u\\AppData\\Roaming",
      LOCALAPPDATA: "C:\\u\\AppData\\Local", USERPROFILE: "C:\\u", ComSpec: "cmd.exe", PATHEXT: ".EXE", TEMP: "C:\\t",
      ANTHROPIC_API_KEY: "stored" },
  },
  {
    name: "Windows-only variables are not passed on Linux; case matters there",
    platform: "linux", base: { PATH: "/usr/bin", SYSTEMROOT: "x", APPDATA: "y", Path: "z", anthropic_api_key: "k" },
    keyVariables: ["ANTHROPIC_API_KEY"], storedKeys: {},
    expected: { PATH: "/usr/bin" },
  },
];

for (const c of ENV_CASES) {
  test(`server environment: ${c.name}`, () => {
    const env = serverEnvironment({ base: c.base, platform: c.platform, keyVariables: c.keyVariables, storedKeys: c.storedKeys });
    assert.deepEqual(env, c.expected);
  });
}

test("server environment: no secret, interpreter hook or TCP token of the host leaks, whatever the providers", () => {
  const env = serverEnvironment({ base: HOST_ENV, platform: "linux", keyVariables: ["ANTHROPIC_API_KEY"], storedKeys: {} });
  for (const name of ["AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "GITHUB_TOKEN", "DATABASE_URL", "PYTHONPATH",
    "PYTHONSTARTUP", "NODE_OPTIONS", "KEEL_SERVER_TOKEN", "VSCODE_IPC_HOOK", "ELECTRON_RUN_AS_NODE", "OPENAI_API_KEY"]) {
    assert.equal(env[name], undefined, `${name} is not passed`);
  }
});

// ---- 3. provider endpoints and key names are not settable by a workspace ------------------------

function configuration(values: Record<string, InspectedSetting>): { get(key: string): unknown; inspect(key: string): InspectedSetting | undefined } {
  return {
    // What VS Code's get() returns: the most specific value.
    get: (key) => {
      const v = values[key];
      return v?.workspaceFolderValue ?? v?.workspaceValue ?? v?.globalValue ?? v?.defaultValue;
    },
    inspect: (key) => values[key],
  };
}

test("a hostile workspace value of keel.providers is ignored: the user's endpoint and key variable are used, with one warning", () => {
  const user = [{ id: "claude", kind: "anthropic", baseUrl: "https://api.anthropic.com" }];
  const hostile = [{ id: "claude", kind: "anthropic", baseUrl: "http://127.0.0.1:9/", apiKeyEnv: "AWS_SECRET_ACCESS_KEY" }];
  const config = configuration({
    "providers": { defaultValue: [], globalValue: user, workspaceValue: hostile },
    "storage.dir": { defaultValue: null, workspaceFolderValue: "/tmp/attacker-readable" },
    "telemetry.otlpEndpoint": { defaultValue: null, globalValue: null, workspaceValue: "http://attacker:4318" },
    "logLevel": { defaultValue: "info", workspaceValue: "debug" },
  });
  const warnings: string[] = [];
  const read = machineSafeReader(config, warnOncePerKey((message) => warnings.push(message)));
  assert.deepEqual(read("providers"), user);
  assert.equal(read("storage.dir"), null);
  assert.equal(read("telemetry.otlpEndpoint"), null);
  assert.equal(read("logLevel"), "debug", "other settings keep their workspace values");
  read("providers");
  assert.equal(warnings.length, 3, warnings.join("\n"));
  assert.match(warnings[0]!, /keel\.providers/);
});

test("without a user value, a machine setting falls back to its default, never the workspace's", () => {
  const read = machineSafeReader(configuration({
    "providers": { defaultValue: [], workspaceValue: [{ id: "x", kind: "openai", baseUrl: "http://127.0.0.1:9/" }] },
  }), () => undefined);
  assert.deepEqual(read("providers"), []);
});

test("package.json makes provider, storage and telemetry settings machine-scoped and restricted", () => {
  const manifest = JSON.parse(readFileSync(path.join(REPO, "package.json"), "utf8")) as {
    contributes: { configuration: { properties: Record<string, { scope?: string }> } };
    capabilities: { untrustedWorkspaces: { restrictedConfigurations: string[] } };
  };
  for (const key of MACHINE_SETTING_KEYS) {
    assert.equal(manifest.contributes.configuration.properties[`keel.${key}`]?.scope, "machine", `keel.${key}`);
    assert.ok(manifest.capabilities.untrustedWorkspaces.restrictedConfigurations.includes(`keel.${key}`), `keel.${key} restricted`);
  }
});

// ---- 4. report links and reveal ----------------------------------------------------------------

test("only http and https report links stay links", () => {
  for (const url of ["https://docs.python.org/3/", "http://example.com/a?b#c", "HTTPS://EXAMPLE.COM"]) assert.ok(isWebLink(url), url);
  for (const url of ["vscode://ms-python.python/install", "command:workbench.action.terminal.sendSequence",
    "file:///etc/passwd", "javascript:alert(1)", "data:text/html,x", "vscode-webview://x", "src/app.py", "//evil.com/x",
    "mailto:a@b.c", " javascript:alert(1)", ""]) {
    assert.ok(!isWebLink(url), url);
  }
});

test("reveal opens files inside a workspace folder only (POSIX)", () => {
  const folders = ["/home/u/ws"];
  assert.deepEqual(workspaceFilePath("file:///home/u/ws/src/app.py", folders, "linux"), { ok: true, path: "/home/u/ws/src/app.py" });
  assert.deepEqual(workspaceFilePath("file:///home/u/ws/src/my%20file.py", folders, "linux"), { ok: true, path: "/home/u/ws/src/my file.py" });
  // URL parsing reads localhost as no host: the same local file.
  assert.deepEqual(workspaceFilePath("file://localhost/home/u/ws/a.py", folders, "linux"), { ok: true, path: "/home/u/ws/a.py" });
  for (const uri of ["file:///etc/passwd", "file:///home/u/ws/../.ssh/id_rsa", "file:///home/u/ws/%2e%2e/.ssh/id_rsa",
    "file:///home/u/ws-other/x.py", "file:///home/u/ws", "file://attacker.example/share/x.py",
    "vscode://file/home/u/ws/a.py", "not a uri", "file:///home/u/ws/a%00.py"]) {
    assert.equal(workspaceFilePath(uri, folders, "linux").ok, false, uri);
  }
  assert.equal(workspaceFilePath("file:///home/u/ws/a.py", [], "linux").ok, false, "no folder, nothing opens");
});

test("reveal refuses UNC paths and other drives on Windows", () => {
  const folders = ["C:\\Users\\u\\ws"];
  assert.deepEqual(workspaceFilePath("file:///c:/Users/u/ws/src/app.py", folders, "win32"), { ok: true, path: "c:\\Users\\u\\ws\\src\\app.py" });
  for (const uri of ["file://attacker/share/x.py", "file:////attacker/share/x.py", "file:///D:/x.py",
    "file:///C:/Users/u/ws/..%5C..%5Cu2%5Cx.py", "file:///C:/Windows/System32/drivers/etc/hosts", "file:///%5C%5Cattacker%5Cshare%5Cx.py"]) {
    assert.equal(workspaceFilePath(uri, folders, "win32").ok, false, uri);
  }
});
