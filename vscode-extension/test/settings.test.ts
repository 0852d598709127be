import * as assert from 'assert';

import { CLIENT_SETTINGS, contributedProperties, restrictedConfigurations, serverSettings } from '../src/settings';

describe('contributedProperties', () => {
  it('maps each described setting to a VS Code property', () => {
    const properties = contributedProperties({
      'embedded.nCtx': {
        default: 4096, doc: 'Context window in tokens.', type: 'integer', minimum: 512, maximum: 131072,
      },
      'backend.kind': {
        default: 'embedded', doc: 'Model backend.', type: 'string', enum: ['embedded', 'openai'],
      },
      logLevel: { default: 'info', doc: 'How much the server logs.', type: 'string' },
      'testgen.python': { default: '', doc: 'Interpreter.', type: 'string', scope: 'machine' },
    });
    assert.deepStrictEqual(properties, {
      'linewright.embedded.nCtx': {
        type: 'integer', default: 4096, description: 'Context window in tokens.',
        minimum: 512, maximum: 131072,
      },
      'linewright.backend.kind': {
        type: 'string', default: 'embedded', description: 'Model backend.',
        enum: ['embedded', 'openai'],
      },
      'linewright.logLevel': { type: 'string', default: 'info', description: 'How much the server logs.' },
      'linewright.testgen.python': {
        type: 'string', default: '', description: 'Interpreter.', scope: 'machine',
      },
      ...CLIENT_SETTINGS,
    });
  });
});

describe('serverSettings', () => {
  it('nests the explicit values and leaves client-only keys out', () => {
    assert.deepStrictEqual(
      serverSettings([
        ['linewright.completion.debounceMs', 150],
        ['linewright.completion.enabled', false],
        ['linewright.backend.kind', 'ollama'],
        ['linewright.logLevel', 'debug'],
        ['linewright.server.path', '/opt/bin/linewright'],
        ['linewright.trace.server', 'verbose'],
        ['editor.tabSize', 4],
      ]),
      {
        completion: { debounceMs: 150, enabled: false },
        backend: { kind: 'ollama' },
        logLevel: 'debug',
      },
    );
  });

  it('skips values that are not JSON scalars', () => {
    assert.deepStrictEqual(
      serverSettings([['linewright.backend.url', { nested: true }], ['linewright.backend.model', null]]),
      {},
    );
  });

  it('is empty when nothing was set', () => {
    assert.deepStrictEqual(serverSettings([]), {});
  });
});

describe('restrictedConfigurations', () => {
  it('lists the server\'s machine settings and the extension\'s (server.path)', () => {
    const restricted = restrictedConfigurations({
      'backend.url': { default: '', doc: 'URL.', type: 'string', scope: 'machine' },
      'completion.maxTokens': { default: 64, doc: 'Tokens.', type: 'integer' },
    });
    assert.deepStrictEqual(restricted, ['linewright.backend.url', 'linewright.server.path']);
  });
});
