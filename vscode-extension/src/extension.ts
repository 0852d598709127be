// Activation: find the server, start the client, the status bar item and the commands.

import { execFile } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { ExecuteCommandRequest, type LanguageClient } from 'vscode-languageclient/node';

import { createClient } from './client';
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
    const found = findServer(config.get<string>('server.path', ''), {
      pathVariable: process.env.PATH,
      pathExt: process.platform === 'win32' ? process.env.PATHEXT : undefined,
      delimiter: path.delimiter,
      isExecutable: (file) => isExecutable(file),
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
      const readme = vscode.Uri.joinPath(this.context.extensionUri, 'README.md');
      await vscode.commands.executeCommand('markdown.showPreview', readme);
    } else if (choice === 'Set path') {
      await vscode.commands.executeCommand('workbench.action.openSettings', 'linewright.server.path');
    }
  }

  /** `workspace/executeCommand` on the server; errors are shown, not thrown. */
  async serverCommand(command: string, args: unknown[]): Promise<unknown> {
    if (!this.client?.isRunning()) {
      void vscode.window.showWarningMessage('Linewright is not running.');
      return undefined;
    }
    try {
      return await this.client.sendRequest(ExecuteCommandRequest.type, { command, arguments: args });
    } catch (error) {
      void vscode.window.showErrorMessage(`Linewright: ${command} failed: ${String(error)}`);
      return undefined;
    }
  }

  async showStats(): Promise<void> {
    const result = (await this.serverCommand('linewright.telemetryStats', [])) as
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
    vscode.commands.registerCommand('linewright.editor.generateTests', async () => {
      const at = editorPosition();
      if (at) await linewright.serverCommand('linewright.generateTests', at);
    }),
    vscode.commands.registerCommand('linewright.editor.flagFile', async () => {
      const at = editorPosition();
      if (at) await linewright.serverCommand('linewright.flagFile', [at[0]]);
    }),
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
