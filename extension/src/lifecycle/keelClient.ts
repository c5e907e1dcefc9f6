/**
 * Owns the language client's whole lifecycle in one place (like rust-analyzer's `Ctx`):
 * provisioning, start, crash restarts with backoff, the stopped state, manual restart, health
 * polling, and the events the UI listens to.
 */
import * as vscode from "vscode";
import {
  CloseAction, ErrorAction, LanguageClient, RevealOutputChannelOn, State, TransportKind,
  type LanguageClientOptions, type ServerOptions,
} from "vscode-languageclient/node";
import type { HealthReport, RunEvent } from "../protocol/keel-protocol";
import * as ext from "../lspExt";
import { serverSettings, type SettingReader } from "../config";
import { RestartPolicy } from "./restartPolicy";
import { HealthWatch } from "./healthWatch";
import { classifyLine, filterChunk } from "./logFilter";
import type { ClientPhase, StatusInput } from "../status/statusModel";
import type { ServerCommand } from "../provisioning/commands";

export interface KeelClientDeps {
  output: vscode.LogOutputChannel;
  /** Resolves the server command (provisioning on first use); undefined when it failed. */
  resolveServer(): Promise<ServerCommand | undefined>;
  /** The server's whole environment: the allow-list of lifecycle/serverEnv.ts plus provider keys. */
  serverEnv(): Promise<Record<string, string>>;
  /** The `keel.*` settings as the server may see them (config.ts machineSafeReader). */
  settings(): SettingReader;
}

/**
 * The language client, with its errors written to the Keel output only. A failed start or a
 * crash is told once, by the status bar and Keel's own message; the library's toasts
 * ("couldn't create connection to server", "connection to server is erroring") would repeat it
 * in its own words, some of them forced past `revealOutputChannelOn`.
 */
export class QuietLanguageClient extends LanguageClient {
  /** Set by KeelClient: whether keel.trace.server asks for everything. */
  verbose: () => boolean = () => false;

  override error(message: string, data?: unknown, _showNotification?: boolean | "force"): void {
    const verbose = this.verbose();
    const verdict = classifyLine(message, "error", verbose);
    if (verdict.action === "drop") return;
    // Without trace, no data: the library prints an Error's whole stack trace from it.
    if (verdict.level === "error") super.error(verdict.text, verbose ? data : undefined, false);
    else if (verdict.level === "warn") super.warn(verdict.text, verbose ? data : undefined, false);
    else super.info(verdict.text, verbose ? data : undefined, false);
  }
}

/** The output channel as the library sees it: server stderr and stray lines go through logFilter. */
export function filteredOutput(output: vscode.LogOutputChannel, verbose: () => boolean): vscode.LogOutputChannel {
  const write = (chunk: string): void => {
    for (const { level, text } of filterChunk(chunk, verbose())) output[level](text);
  };
  return new Proxy(output, {
    get(target, property, receiver) {
      if (property === "append" || property === "appendLine") return write;
      return Reflect.get(target, property, receiver) as unknown;
    },
  });
}

export class KeelClient implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private readonly policy = new RestartPolicy();
  private readonly healthWatch: HealthWatch;
  private disposed = false;
  private status: StatusInput = { phase: "starting", responsive: true };
  private readonly stateEmitter = new vscode.EventEmitter<StatusInput>();
  private readonly healthEmitter = new vscode.EventEmitter<HealthReport>();
  private readonly runEventEmitter = new vscode.EventEmitter<RunEvent>();
  readonly onDidChangeStatus = this.stateEmitter.event;
  readonly onHealth = this.healthEmitter.event;
  readonly onRunEvent = this.runEventEmitter.event;
  private serverPid: number | undefined;

  constructor(private readonly deps: KeelClientDeps) {
    this.healthWatch = new HealthWatch(
      (abort) => this.probeHealth(abort),
      (report) => this.onHealthReport(report),
      (responsive) => this.update({ responsive }),
    );
  }

  get current(): StatusInput {
    return this.status;
  }

  get running(): boolean {
    return this.client?.state === State.Running;
  }

  get pid(): number | undefined {
    return this.serverPid;
  }

  setPhase(phase: ClientPhase, reason?: string): void {
    this.update({ phase, reason, ...(phase === "running" ? {} : { health: undefined, responsive: true }) });
  }

  async start(): Promise<void> {
    if (this.disposed) return;
    this.setPhase("installing");
    const server = await this.deps.resolveServer();
    if (!server) {
      this.setPhase("stopped", "Its Python environment could not be set up.");
      return;
    }
    this.setPhase("starting");
    // Never the host's whole process.env, and never the library's default cwd (the workspace).
    const serverOptions: ServerOptions = {
      command: server.command,
      args: server.args,
      transport: TransportKind.stdio,
      options: { env: await this.deps.serverEnv(), cwd: server.cwd },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [{ scheme: "file", language: "python" }, { scheme: "untitled", language: "python" }],
      outputChannel: filteredOutput(this.deps.output, () => this.verbose()),
      // Crashes and restarts are told by the status bar and one message of ours, not by a toast per error.
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      initializationOptions: () => this.initializationOptions(),
      errorHandler: {
        error: () => ({ action: ErrorAction.Continue, handled: true }),
        closed: async () => this.onServerClosed(),
      },
      // A server that dies while initializing is a crash like any other: the close handler
      // restarts it or stops with our one message; the library would add its own toast.
      initializationFailedHandler: (error) => {
        // A server killed while starting: the close handler tells that crash once.
        const verdict = classifyLine(`The Keel server failed to initialize: ${String(error)}`, "error", this.verbose());
        if (verdict.action === "log" && !/connection to the Keel server closed/.test(verdict.text)) this.deps.output[verdict.level](verdict.text);
        return false;
      },
      middleware: {},
    };
    const client = new QuietLanguageClient("keel", "Keel", serverOptions, clientOptions);
    client.verbose = () => this.verbose();
    this.client = client;
    client.onNotification(ext.healthChanged, (report) => this.onHealthReport(report));
    client.onNotification(ext.runEvent, (event) => this.runEventEmitter.fire(event));
    client.onDidChangeState((change) => {
      if (change.newState === State.Running) {
        this.serverPid = this.pidOf(client);
        this.update({ phase: "running", responsive: true });
        this.healthWatch.start();
      } else if (change.newState === State.Stopped) {
        this.healthWatch.stop();
      }
    });
    try {
      await client.start();
    } catch (error) {
      this.deps.output.error(`The Keel server did not start: ${String(error)}`);
      if (this.client === client && this.status.phase !== "restarting") {
        this.setPhase("stopped", "It did not start; see the Keel output.");
      }
    }
  }

  /** The manual restart (command, status bar action, a key or trust change). */
  async restart(): Promise<void> {
    this.deps.output.info("Restarting the Keel server (asked for: a command, a key or a trust change).");
    this.policy.reset();
    await this.stop();
    await this.start();
  }

  async stop(): Promise<void> {
    this.healthWatch.stop();
    const client = this.client;
    this.client = undefined;
    this.serverPid = undefined;
    if (client && client.needsStop()) {
      try {
        await client.stop(2000);
      } catch (error) {
        this.deps.output.warn(`Stopping the Keel server: ${String(error)}`);
      }
    }
    this.setPhase("stopped", "Use Restart to start it.");
  }

  sendSettings(): void {
    if (!this.running) return;
    void this.client?.sendNotification("workspace/didChangeConfiguration", { settings: serverSettings(this.deps.settings()) });
  }

  /** Sends a keel/* request; fails with a clear message when the server is not running. */
  async request<P, R>(type: import("vscode-jsonrpc").RequestType<P, R, void>, params: P,
    token?: vscode.CancellationToken): Promise<R> {
    const client = this.client;
    if (!client || client.state !== State.Running) {
      throw new Error(`The Keel server is ${this.status.phase === "running" ? "not ready" : this.status.phase}.`);
    }
    return token ? client.sendRequest(type, params, token) : client.sendRequest(type, params);
  }

  dispose(): void {
    this.disposed = true;
    this.healthWatch.stop();
  }

  async deactivate(): Promise<void> {
    this.dispose();
    await this.stop();
  }

  private verbose(): boolean {
    const trace = this.deps.settings()("trace.server");
    return trace === "messages" || trace === "verbose";
  }

  private initializationOptions(): Record<string, unknown> {
    return {
      settings: serverSettings(this.deps.settings()),
      workspaceTrusted: vscode.workspace.isTrusted,
      clientName: `vscode-keel ${vscode.version}`,
    };
  }

  private async onServerClosed(): Promise<{ action: CloseAction; handled: boolean }> {
    this.healthWatch.stop();
    this.serverPid = undefined;
    const decision = this.policy.onCrash(Date.now());
    if (this.disposed || decision.action === "stop") {
      const reason = `It crashed ${decision.crashes} times in 3 minutes.`;
      this.deps.output.error(`The Keel server stopped: ${reason}`);
      this.setPhase("stopped", reason);
      if (!this.disposed) {
        void vscode.window.showErrorMessage(`The Keel server keeps crashing: it crashed ${decision.crashes} times in 3 minutes. Restart it, or see the log for why.`, "Restart", "Show log")
          .then((choice) => {
            if (choice === "Restart") void vscode.commands.executeCommand("keel.restartServer");
            if (choice === "Show log") this.deps.output.show();
          });
      }
      return { action: CloseAction.DoNotRestart, handled: true };
    }
    this.setPhase("restarting", `Attempt ${decision.crashes} in ${decision.delayMs} ms.`);
    this.deps.output.warn(`The Keel server exited; restarting in ${decision.delayMs} ms (crash ${decision.crashes}).`);
    await new Promise((resolve) => setTimeout(resolve, decision.delayMs));
    if (this.disposed || this.status.phase !== "restarting") return { action: CloseAction.DoNotRestart, handled: true };
    this.setPhase("starting");
    return { action: CloseAction.Restart, handled: true };
  }

  private onHealthReport(report: HealthReport): void {
    const previous = this.status.health;
    if (previous && previous.seq > report.seq && previous.version === report.version) return; // stale
    this.update({ health: report, responsive: true });
    this.healthEmitter.fire(report);
  }

  private async probeHealth(abort: AbortSignal): Promise<HealthReport> {
    const source = new vscode.CancellationTokenSource();
    abort.addEventListener("abort", () => source.cancel());
    try {
      // While the server is still loading it answers at once with a "starting" report (and pushes
      // the real one as keel/healthChanged): a slow start does not read as "not responding".
      return await this.request(ext.health, { whileStarting: true }, source.token);
    } finally {
      source.dispose();
    }
  }

  private pidOf(client: LanguageClient): number | undefined {
    // The process is private in vscode-languageclient; the pid is only used for diagnostics/tests.
    const proc = (client as unknown as { _serverProcess?: { pid?: number } })._serverProcess;
    return proc?.pid;
  }

  private update(change: Partial<StatusInput>): void {
    this.status = { ...this.status, ...change };
    this.stateEmitter.fire(this.status);
  }
}
