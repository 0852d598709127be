// The language client: `linewright serve` over stdio, ghost text through the client
// library's inline completion support, the telemetry VS Code does not send itself, and the
// server's messages turned into the status bar's states. Ids come from the contract.

import * as vscode from 'vscode';
import {
  LanguageClient,
  type LanguageClientOptions,
  type Middleware,
  type ServerOptions,
  ShowMessageNotification,
  State,
} from 'vscode-languageclient/node';

import {
  ACCEPT_COMMAND,
  DID_PARTIALLY_ACCEPT,
  DID_SHOW,
  GENERATE_TESTS,
  LANGUAGES,
} from './protocol';
import { type SettingsTree } from './settings';
import { isBackendFailure, MESSAGE_ERROR, MESSAGE_WARNING, ModelProgress, type ServerState } from './status';
import { type Change, SuggestionTracker } from './suggestions';
import { traceChannel } from './trace';

/** The server's "Generate tests" code action kind (a Source action, under Source Action...). */
const GENERATE_KIND = 'source.linewright.generateTests';

/** The suggestion id an item's command carries, if it is Linewright's accept command. */
export function suggestionId(command: vscode.Command | undefined): string | undefined {
  const first: unknown = command?.arguments?.[0];
  return command?.command === ACCEPT_COMMAND && typeof first === 'string' ? first : undefined;
}

export interface ClientHooks {
  /** The status bar follows the server's state. */
  onState: (state: ServerState, message?: string) => void;
  output: vscode.LogOutputChannel;
  /** `linewright.trace.server`. */
  trace: string;
}

/** The Generate tests action again, as a refactoring: Ctrl+. (the light bulb) lists those. */
function alsoAsRefactor(actions: (vscode.Command | vscode.CodeAction)[]): (vscode.Command | vscode.CodeAction)[] {
  const copies: vscode.CodeAction[] = [];
  for (const action of actions) {
    if (action instanceof vscode.CodeAction && action.kind?.value === GENERATE_KIND) {
      const copy = new vscode.CodeAction(action.title, vscode.CodeActionKind.Refactor.append('linewright.generateTests'));
      if (action.command) copy.command = action.command;
      copies.push(copy);
    }
  }
  return [...actions, ...copies];
}

function middleware(
  tracker: SuggestionTracker,
  notify: (method: string, params: object) => void,
  hooks: ClientHooks,
): Middleware {
  const progress = new ModelProgress();
  return {
    async provideInlineCompletionItems(document, position, context, token, next) {
      const result = await next(document, position, context, token);
      const items = Array.isArray(result) ? result : (result?.items ?? []);
      const first = items[0];
      const id = suggestionId(first?.command);
      if (first && id && typeof first.insertText === 'string' && !token.isCancellationRequested) {
        hooks.onState('ready'); // an answer: the backend works (again)
        const start = first.range?.start ?? position;
        const offer = {
          id,
          uri: document.uri.toString(),
          position: { line: start.line, character: start.character },
          text: first.insertText,
        };
        if (tracker.offer(offer)) notify(DID_SHOW, { id });
      }
      return result;
    },
    async provideCodeActions(document, range, context, token, next) {
      const actions = await next(document, range, context, token);
      return actions ? alsoAsRefactor(actions) : actions;
    },
    executeCommand(command, args, next) {
      const id: unknown = args[0];
      if (command === ACCEPT_COMMAND && typeof id === 'string') tracker.accepted(id);
      if (command === GENERATE_TESTS) {
        // the code action's command: the extension runs it, to refuse it in Restricted Mode
        // and to open the new test file
        return vscode.commands.executeCommand('linewright.editor.generateTests', ...args);
      }
      return next(command, args);
    },
    handleWorkDoneProgress(token, params, next) {
      const state = progress.update(token, params);
      if (state !== undefined) hooks.onState(state, 'message' in params ? params.message : undefined);
      next(token, params);
    },
  };
}

/** One toast per server message (as the client library shows them), and the error state. */
function showServerMessage(hooks: ClientHooks, type: number, message: string): void {
  if (isBackendFailure(type, message)) hooks.onState('error', message);
  if (type === MESSAGE_ERROR) void vscode.window.showErrorMessage(message);
  else if (type === MESSAGE_WARNING) void vscode.window.showWarningMessage(message);
  else void vscode.window.showInformationMessage(message);
}

/** A client for `command serve`, started by the caller; dispose what it returns with it. */
export function createClient(
  command: string,
  settings: SettingsTree,
  hooks: ClientHooks,
): { client: LanguageClient; disposables: vscode.Disposable[] } {
  const tracker = new SuggestionTracker();
  // called by the middleware only once the client runs, after `client` is set below
  const notify = (method: string, params: object): void => {
    if (client.isRunning()) void client.sendNotification(method, params);
  };
  const serverOptions: ServerOptions = { command, args: ['serve'] };
  const trace = traceChannel(hooks.trace);
  const clientOptions: LanguageClientOptions = {
    documentSelector: LANGUAGES.map((language) => ({ language })),
    initializationOptions: settings,
    outputChannel: hooks.output,
    traceOutputChannel: trace,
    middleware: middleware(tracker, notify, hooks),
  };
  const client = new LanguageClient('linewright', 'Linewright', serverOptions, clientOptions);
  const disposables = [
    trace,
    client.onDidChangeState((event) => {
      if (event.newState === State.Running) {
        hooks.onState('ready');
        // replaces the library's own handler, which would show the same toast
        client.onNotification(ShowMessageNotification.type, (params) =>
          showServerMessage(hooks, params.type, params.message),
        );
      }
      if (event.newState === State.Starting) hooks.onState('starting');
      if (event.newState === State.Stopped) hooks.onState('stopped');
    }),
    vscode.workspace.onDidChangeTextDocument((event) => {
      const changes: Change[] = event.contentChanges.map((c) => ({
        range: {
          start: { line: c.range.start.line, character: c.range.start.character },
          end: { line: c.range.end.line, character: c.range.end.character },
        },
        text: c.text,
      }));
      const partial = tracker.changed(event.document.uri.toString(), changes);
      if (partial) notify(DID_PARTIALLY_ACCEPT, partial);
    }),
  ];
  return { client, disposables };
}
