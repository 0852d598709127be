import * as assert from 'assert';

import { type Change, SuggestionTracker } from '../src/suggestions';

const URI = 'file:///w/calc.py';

function insert(line: number, character: number, text: string): Change[] {
  const at = { line, character };
  return [{ range: { start: at, end: at }, text }];
}

function tracker(text = 'return a + b\nprint(a)'): SuggestionTracker {
  const t = new SuggestionTracker();
  assert.strictEqual(t.offer({ id: 'lw-1', uri: URI, position: { line: 2, character: 4 }, text }), true);
  return t;
}

describe('SuggestionTracker', () => {
  it('reports an id shown once', () => {
    const t = tracker();
    assert.strictEqual(t.offer({ id: 'lw-1', uri: URI, position: { line: 2, character: 4 }, text: 'x' }), false);
    assert.strictEqual(t.offer({ id: 'lw-2', uri: URI, position: { line: 2, character: 4 }, text: 'x' }), true);
  });

  it('recognises accepted words, counting the characters typed along', () => {
    const t = tracker();
    assert.deepStrictEqual(t.changed(URI, insert(2, 4, 'return ')), { id: 'lw-1', acceptedLength: 7 });
    assert.strictEqual(t.changed(URI, insert(2, 11, 'a')), undefined); // typed along
    assert.deepStrictEqual(t.changed(URI, insert(2, 12, ' + b\n')), { id: 'lw-1', acceptedLength: 13 });
    assert.deepStrictEqual(t.changed(URI, insert(3, 0, 'print')), { id: 'lw-1', acceptedLength: 18 });
  });

  it('counts UTF-16 code units', () => {
    const t = tracker('s = "🎉 done"');
    assert.deepStrictEqual(t.changed(URI, insert(2, 4, 's = "🎉')), { id: 'lw-1', acceptedLength: 7 });
  });

  it('forgets the suggestion when the document moves on', () => {
    const t = tracker();
    assert.strictEqual(t.changed(URI, insert(2, 4, 'x = 1')), undefined);
    assert.strictEqual(t.changed(URI, insert(2, 9, 'return')), undefined);
  });

  it('does not call the whole suggestion partial (the accept command reports it)', () => {
    const t = tracker('a + b');
    assert.strictEqual(t.changed(URI, insert(2, 4, 'a + b')), undefined);
  });

  it('ignores edits elsewhere, deletions and other documents', () => {
    const t = tracker();
    assert.strictEqual(t.changed('file:///w/other.py', insert(2, 4, 'return ')), undefined);
    const deletion: Change[] = [{ range: { start: { line: 2, character: 2 }, end: { line: 2, character: 4 } }, text: '' }];
    assert.strictEqual(t.changed(URI, deletion), undefined);
    assert.strictEqual(t.changed(URI, insert(2, 4, 'return ')), undefined, 'forgotten after the deletion');
  });

  it('stops tracking once accepted', () => {
    const t = tracker();
    t.accepted('lw-1');
    assert.strictEqual(t.changed(URI, insert(2, 4, 'return ')), undefined);
  });
});
