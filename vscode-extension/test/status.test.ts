import * as assert from 'assert';

import { ModelProgress, statusView } from '../src/status';

describe('statusView', () => {
  it('shows a ready server briefly, with the backend in the tooltip', () => {
    assert.deepStrictEqual(statusView({ state: 'ready', backend: 'embedded', model: '' }), {
      text: '$(check) Linewright',
      tooltip: 'Linewright: ready\nBackend: embedded (default model)\nClick for the `linewright doctor` report.',
      error: false,
    });
  });

  it('names the state and the message otherwise', () => {
    const view = statusView({
      state: 'error', backend: 'ollama', model: 'qwen2.5-coder:1.5b', message: 'not found on PATH',
    });
    assert.strictEqual(view.text, '$(error) Linewright: error');
    assert.strictEqual(
      view.tooltip,
      'Linewright: error\nBackend: ollama (qwen2.5-coder:1.5b)\nnot found on PATH\n' +
        'Click for the `linewright doctor` report.',
    );
    assert.strictEqual(view.error, true);
    assert.strictEqual(statusView({ state: 'loading', backend: 'embedded', model: '' }).text,
      '$(sync~spin) Linewright: loading model');
  });
});

describe('ModelProgress', () => {
  it('follows the model token and ignores other progress', () => {
    const progress = new ModelProgress();
    assert.strictEqual(progress.update('scan', { kind: 'begin', title: 'Linewright: flagging' }), undefined);
    assert.strictEqual(progress.update('m1', { kind: 'begin', title: 'Linewright: starting model' }), 'loading');
    assert.strictEqual(progress.update('m1', { kind: 'report', message: 'loading tiny.gguf' }), 'loading');
    assert.strictEqual(progress.update('scan', { kind: 'end' }), undefined);
    assert.strictEqual(progress.update('m1', { kind: 'end', message: 'model server ready' }), 'ready');
    assert.strictEqual(progress.update('m1', { kind: 'end' }), undefined);
  });
});
