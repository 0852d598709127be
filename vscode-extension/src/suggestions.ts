// Which suggestion VS Code displays, and how much of it the user took.
//
// VS Code's stable API tells an inline completion provider neither that an item was shown
// nor that part of it was accepted (accept word / accept line). So:
// - the first item of each answer counts as shown when it is delivered (VS Code displays
//   the first item that fits; the server's rejection inference covers the rest);
// - a partial acceptance is recognised in the document changes: VS Code inserts the
//   accepted word or line as one edit at the suggestion's position, so an insertion of
//   two or more characters that is a proper prefix of what remains of the suggestion is a
//   partial acceptance. Single characters are the user typing along (they still count
//   toward the accepted length). Anything else means the document moved on.
// Lengths are JavaScript string lengths: UTF-16 code units, what LSP counts.
// Pure: no `vscode` import.

export interface Position {
  line: number;
  character: number;
}

export interface Offer {
  id: string;
  uri: string;
  position: Position;
  text: string;
}

/** One content change of a document (VS Code's `TextDocumentContentChangeEvent`). */
export interface Change {
  range: { start: Position; end: Position };
  text: string;
}

export interface PartialAcceptance {
  id: string;
  acceptedLength: number;
}

interface Tracked extends Offer {
  taken: number;
}

function after(position: Position, text: string): Position {
  const lines = text.split('\n');
  const last = lines[lines.length - 1] ?? '';
  return lines.length === 1
    ? { line: position.line, character: position.character + last.length }
    : { line: position.line + lines.length - 1, character: last.length };
}

function samePosition(a: Position, b: Position): boolean {
  return a.line === b.line && a.character === b.character;
}

export class SuggestionTracker {
  private readonly byUri = new Map<string, Tracked>();
  private readonly shown = new Set<string>();

  /**
   * The suggestion VS Code displays for `offer.uri` now; returns true the first time an
   * id is offered (when "shown" should be reported).
   */
  offer(offer: Offer): boolean {
    this.byUri.set(offer.uri, { ...offer, taken: 0 });
    if (this.shown.has(offer.id)) return false;
    this.shown.add(offer.id);
    if (this.shown.size > 1000) {
      const oldest = this.shown.values().next().value;
      if (oldest !== undefined) this.shown.delete(oldest);
    }
    return true;
  }

  /** The accept command ran: the whole suggestion was taken. */
  accepted(id: string): void {
    for (const [uri, tracked] of this.byUri) {
      if (tracked.id === id) this.byUri.delete(uri);
    }
  }

  /** The document `uri` changed; a partial acceptance to report, if that is what it was. */
  changed(uri: string, changes: readonly Change[]): PartialAcceptance | undefined {
    const tracked = this.byUri.get(uri);
    if (tracked === undefined) return undefined;
    const change = changes.length === 1 ? changes[0] : undefined;
    const rest = tracked.text.slice(tracked.taken);
    const isInsertionHere =
      change !== undefined &&
      samePosition(change.range.start, change.range.end) &&
      samePosition(change.range.start, tracked.position) &&
      change.text !== '' &&
      rest.startsWith(change.text);
    if (!isInsertionHere || change.text === rest) {
      this.byUri.delete(uri); // moved on, or the whole rest went in (the command follows)
      return undefined;
    }
    tracked.taken += change.text.length;
    tracked.position = after(tracked.position, change.text);
    return change.text.length >= 2 ? { id: tracked.id, acceptedLength: tracked.taken } : undefined;
  }
}
