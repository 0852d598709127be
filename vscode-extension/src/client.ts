// The language client: `linewright serve` over stdio, ghost text through the client
// library's inline completion support, and the telemetry VS Code does not send itself.

import * as vscode from 'vscode';
import {
  LanguageClient,
  type LanguageClientOptions,
  type Middleware,
  type ServerOptions,
  State,
} from 'vscode-languageclient/node';

import { type SettingsTree } from './settings';
import { ModelProgress, type ServerState } from './status';
import { type Change, SuggestionTracker } from './suggestions';

export const LANGUAGES = [
  'python', 'c', 'cpp', 'go', 'java', 'javascript', 'javascriptreact',
  'typescript', 'typescriptreact', 'rust', 'verilog', 'systemverilog',
];
export const ACCEPT_COMMAND = 'linewright.didAccept';
export const DID_SHOW = 'linewright/didShowCompletion';
export const DID_PARTIALLY_ACCEPT = 'linewright/didPartiallyAcceptCompletion';

/** The suggestion id an item's command carries, if it is Linewright's accept command. */
export function suggestionId(command: vscode.Command | undefined): string | undefined {
  const first: unknown = command?.arguments?.[0];
  return command?.command === ACCEPT_COMMAND && typeof first === 'string' ? first : undefined;
}

export interface ClientHooks {
  /** The status bar follows the server's state. */
  onState: (state: ServerState, message?: string) => void;
  output: vscode.LogOutputChannel;
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
    executeCommand(command, args, next) {
      const id: unknown = args[0];
      if (command === ACCEPT_COMMAND && typeof id === 'string') tracker.accepted(id);
      return next(command, args);
    },
    handleWorkDoneProgress(token, params, next) {
      const state = progress.update(token, params);
      if (state !== undefined) hooks.onState(state, 'message' in params ? params.message : undefined);
      next(token, params);
    },
  };
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
  const clientOptions: LanguageClientOptions = {
    documentSelector: LANGUAGES.map((language) => ({ language })),
    initializationOptions: settings,
    outputChannel: hooks.output,
    middleware: middleware(tracker, notify, hooks),
  };
  const client = new LanguageClient('linewright', 'Linewright', serverOptions, clientOptions);
  const disposables = [
    client.onDidChangeState((event) => {
      if (event.newState === State.Running) hooks.onState('ready');
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
