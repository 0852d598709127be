import * as assert from 'assert';

import { isBackendFailure, MESSAGE_ERROR, MESSAGE_WARNING, ModelProgress, statusView } from '../src/status';

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

describe('isBackendFailure', () => {
  // the server's wording (lsp/completion.py and lsp/diagnostics.py, warn_once_a_minute)
  it('recognises the completion and line-flag backend warnings', () => {
    const completion = 'Linewright: openai at http://127.0.0.1:9 failed (http://127.0.0.1:9/v1/completions): refused';
    assert.ok(isBackendFailure(MESSAGE_WARNING, completion));
    assert.ok(isBackendFailure(MESSAGE_WARNING, 'Linewright: line flags: embedded llama.cpp failed: gone'));
  });

  it('leaves other messages alone: failed commands, test summaries, settings problems', () => {
    assert.ok(!isBackendFailure(MESSAGE_ERROR, 'Linewright: cannot generate tests: backend failed'));
    assert.ok(!isBackendFailure(MESSAGE_WARNING, 'Linewright: 0 verified tests for `f`; dropped 2: 2 failed'));
    assert.ok(!isBackendFailure(MESSAGE_WARNING, 'Linewright: invalid settings, using defaults for: x'));
  });
});
