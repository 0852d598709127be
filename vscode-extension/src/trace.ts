// `linewright.trace.server`: the LSP messages in their own output channel, "Linewright Trace".
//
// vscode-languageclient traces only when its log channel is at the Trace log level (the
// setting then picks the detail), so on its own the setting did nothing for users who never
// change a channel's level. This channel's level follows the setting instead: "off" is Info
// (no trace), "messages" and "verbose" are Trace, and every line it is given is shown.

import * as vscode from 'vscode';

/** The channel's log level for a `linewright.trace.server` value. */
export function traceLevel(setting: string): vscode.LogLevel {
  return setting === 'messages' || setting === 'verbose' ? vscode.LogLevel.Trace : vscode.LogLevel.Info;
}

/** A LogOutputChannel over a plain output channel, at the level the setting gives. */
export function traceChannel(setting: string): vscode.LogOutputChannel {
  const channel = vscode.window.createOutputChannel('Linewright Trace');
  const changed = new vscode.EventEmitter<vscode.LogLevel>();
  const line = (message: string): void => channel.appendLine(message);
  return {
    name: channel.name,
    logLevel: traceLevel(setting),
    onDidChangeLogLevel: changed.event,
    trace: line,
    debug: line,
    info: line,
    warn: line,
    error: (error: string | Error) => line(String(error)),
    append: (value: string) => channel.append(value),
    appendLine: line,
    replace: (value: string) => channel.replace(value),
    clear: () => channel.clear(),
    show: (arg?: unknown) => channel.show(typeof arg === 'boolean' ? arg : true),
    hide: () => channel.hide(),
    dispose: () => {
      changed.dispose();
      channel.dispose();
    },
  };
}
