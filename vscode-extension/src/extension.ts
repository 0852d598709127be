// Activation: find the server, start the client, the status bar item and the commands.

import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import { ExecuteCommandRequest, type LanguageClient, LSPErrorCodes, ResponseError } from 'vscode-languageclient/node';

import { createClient } from './client';
import { FLAG_FILE, GENERATE_TESTS, TELEMETRY_STATS } from './protocol';
import { findServer } from './serverPath';
import { SECTION, serverSettings } from './settings';
import { type ServerState, statusView } from './status';

class Linewright implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private clientDisposables: vscode.Disposable[] = [];
  private command: string | undefined;
  private readonly output = vscode.window.createOutputChannel('Linewright', { log: true });
  private readonly item = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Right, 100);

  constructor(private readonly context: vscode.ExtensionContext) {
    this.item.command = 'linewright.showDoctor';
    this.item.show();
  }

  setState(state: ServerState, message?: string): void {
    const config = vscode.workspace.getConfiguration(SECTION);
    const view = statusView({
      state,
      backend: config.get<string>('backend.kind', 'embedded'),
      model: config.get<string>('backend.model', ''),
      ...(message === undefined ? {} : { message }),
    });
    this.item.text = view.text;
    this.item.tooltip = view.tooltip;
    this.item.backgroundColor = view.error
      ? new vscode.ThemeColor('statusBarItem.errorBackground')
      : undefined;
  }

  /** Stop any running client, then start one with the current settings. */
  async start(): Promise<void> {
    await this.stop();
    const config = vscode.workspace.getConfiguration(SECTION);
    const trusted = vscode.workspace.isTrusted;
    const found = findServer(config.get<string>('server.path', ''), {
      pathVariable: process.env.PATH,
      pathExt: process.platform === 'win32' ? process.env.PATHEXT : undefined,
      delimiter: path.delimiter,
      isExecutable: (file) => isExecutable(file),
      home: os.homedir(),
      // a workspace's own programs run only once the user trusts it
      trustedFolders: trusted ? (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath) : [],
      pythonInterpreter: trusted ? await selectedInterpreter() : undefined,
    });
    if (found.kind === 'missing') {
      this.setState('error', found.message);
      void this.explainMissing(found.message);
      return;
    }
    this.command = found.command;
    const settings = explicitSettings(this.context.extension.packageJSON);
    const { client, disposables } = createClient(found.command, settings, {
      onState: (state, message) => this.setState(state, message),
      output: this.output,
      trace: config.get<string>('trace.server', 'off'),
    });
    this.client = client;
    this.clientDisposables = disposables;
    try {
      await client.start();
    } catch (error) {
      this.setState('error', `Linewright failed to start: ${String(error)}`);
    }
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.clientDisposables.forEach((d) => d.dispose());
    this.clientDisposables = [];
    if (client) await client.dispose();
  }

  private async explainMissing(message: string): Promise<void> {
    const choice = await vscode.window.showErrorMessage(message, 'Install instructions', 'Set path');
    if (choice === 'Install instructions') {
      // vsce stores the README as `readme.md`; a development checkout has `README.md`
      const names = ['readme.md', 'README.md'];
      const name = names.find((n) => fs.existsSync(path.join(this.context.extensionPath, n)));
      if (name === undefined) return;
      const readme = vscode.Uri.joinPath(this.context.extensionUri, name);
      await vscode.commands.executeCommand('markdown.showPreview', readme);
    } else if (choice === 'Set path') {
      // the setting is machine-scoped: in a remote window it belongs to the Remote tab
      const where = vscode.env.remoteName === undefined ? 'openSettings' : 'openRemoteSettings';
      await vscode.commands.executeCommand(`workbench.action.${where}`, 'linewright.server.path');
    }
  }

  /** Generate tests at `at` (the cursor, or a code action's place), then open the test file. */
  async generateTests(at: [string, { line: number; character: number }]): Promise<void> {
    if (!vscode.workspace.isTrusted) {
      // generating tests runs the workspace's code (in a sandbox, but still its code)
      void vscode.window.showWarningMessage('Linewright: Generate tests needs a trusted workspace.');
      return;
    }
    const result = (await this.serverCommand(GENERATE_TESTS, at)) as
      | { applied?: boolean; file?: string | null }
      | undefined;
    if (result?.applied && result.file) {
      const document = await vscode.workspace.openTextDocument(vscode.Uri.file(result.file));
      await vscode.window.showTextDocument(document, { preview: false, viewColumn: vscode.ViewColumn.Beside });
    }
  }

  /**
   * `workspace/executeCommand` on the server; errors are shown once, not thrown. The server
   * answers RequestFailed after it showed the reason itself: then the log gets it, not a toast.
   */
  async serverCommand(command: string, args: unknown[]): Promise<unknown> {
    if (!this.client?.isRunning()) {
      void vscode.window.showWarningMessage('Linewright is not running.');
      return undefined;
    }
    try {
      return await this.client.sendRequest(ExecuteCommandRequest.type, { command, arguments: args });
    } catch (error) {
      const text = `Linewright: ${command} failed: ${String(error)}`;
      if (error instanceof ResponseError && error.code === LSPErrorCodes.RequestFailed) this.output.error(text);
      else void vscode.window.showErrorMessage(text);
      return undefined;
    }
  }

  async showStats(): Promise<void> {
    const result = (await this.serverCommand(TELEMETRY_STATS, [])) as
      | { text?: string; path?: string }
      | undefined;
    if (result?.text !== undefined) {
      this.output.info(`Suggestions in ${result.path ?? 'the telemetry store'}:\n${result.text}`);
      this.output.show(true);
    }
  }

  showDoctor(): void {
    if (this.command === undefined) {
      void this.start();
      return;
    }
    this.output.show(true);
    this.output.info('Running `linewright doctor`...');
    execFile(this.command, ['doctor'], { timeout: 300_000 }, (_error, stdout, stderr) => {
      this.output.info(`linewright doctor\n${stdout}${stderr}`);
    });
  }

  dispose(): void {
    void this.stop();
    this.item.dispose();
    this.output.dispose();
  }
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The server settings the user set in VS Code (defaults stay with the server's files). */
function explicitSettings(packageJSON: {
  contributes?: { configuration?: { properties?: object } };
}): ReturnType<typeof serverSettings> {
  const config = vscode.workspace.getConfiguration();
  const explicit: [string, unknown][] = [];
  for (const key of Object.keys(packageJSON.contributes?.configuration?.properties ?? {})) {
    const inspected = config.inspect(key);
    const value =
      inspected?.workspaceFolderValue ?? inspected?.workspaceValue ?? inspected?.globalValue;
    if (value !== undefined) explicit.push([key, value]);
  }
  return serverSettings(explicit);
}

/** The interpreter the Python extension selected (its API), if it is installed. */
async function selectedInterpreter(): Promise<string | undefined> {
  const extension = vscode.extensions.getExtension<PythonApi>('ms-python.python');
  if (extension === undefined) return undefined;
  try {
    const api = extension.isActive ? extension.exports : await extension.activate();
    const active = api.environments?.getActiveEnvironmentPath();
    if (active === undefined) return undefined;
    const resolved = await api.environments?.resolveEnvironment(active);
    return resolved?.executable?.uri?.fsPath ?? active.path;
  } catch {
    return undefined; // an older Python extension without the environments API
  }
}

/** The part of the Python extension's API used here. */
interface PythonApi {
  environments?: {
    getActiveEnvironmentPath(): { path: string };
    resolveEnvironment(env: { path: string }): Promise<{ executable?: { uri?: vscode.Uri } } | undefined>;
  };
}

function editorPosition(): [string, { line: number; character: number }] | undefined {
  const editor = vscode.window.activeTextEditor;
  if (!editor) return undefined;
  const { line, character } = editor.selection.active;
  return [editor.document.uri.toString(), { line, character }];
}

/** The running instance, so that `deactivate` can stop the server in order. */
let current: Linewright | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const linewright = new Linewright(context);
  current = linewright;
  context.subscriptions.push(
    linewright,
    vscode.commands.registerCommand('linewright.editor.generateTests', async (...args: unknown[]) => {
      const given = typeof args[0] === 'string' && typeof args[1] === 'object' ? args : undefined;
      const at = (given as [string, { line: number; character: number }] | undefined) ?? editorPosition();
      if (at) await linewright.generateTests(at);
    }),
    vscode.commands.registerCommand('linewright.editor.flagFile', async () => {
      const at = editorPosition();
      if (at) await linewright.serverCommand(FLAG_FILE, [at[0]]);
    }),
    // trusting the workspace makes its .venv and the selected interpreter candidates
    vscode.workspace.onDidGrantWorkspaceTrust(() => void linewright.start()),
    vscode.commands.registerCommand('linewright.restartServer', () => linewright.start()),
    vscode.commands.registerCommand('linewright.showTelemetryStats', () => linewright.showStats()),
    vscode.commands.registerCommand('linewright.showDoctor', () => linewright.showDoctor()),
    vscode.workspace.onDidChangeConfiguration((event) => {
      // initializationOptions carry the settings: a change starts the server again
      if (event.affectsConfiguration(SECTION)) void linewright.start();
    }),
  );
  linewright.setState('starting');
  await linewright.start();
}

export function deactivate(): Promise<void> | undefined {
  // shutdown + exit, awaited: the server then records what was still on screen
  const stopping = current?.stop();
  current = undefined;
  return stopping;
}
