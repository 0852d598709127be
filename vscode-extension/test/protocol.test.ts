import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';

import { commandId, CONTRACT, LANGUAGES, notificationMethod } from '../src/protocol';

const EDITORS_COPY = path.join(__dirname, '..', '..', '..', 'editors', 'protocol.json');

describe('protocol', () => {
  it('is the contract every editor reads (editors/protocol.json)', () => {
    assert.deepStrictEqual(CONTRACT, JSON.parse(fs.readFileSync(EDITORS_COPY, 'utf-8')));
  });

  it('names the server\'s commands and refuses others', () => {
    assert.strictEqual(commandId('linewright.generateTests'), 'linewright.generateTests');
    assert.throws(() => commandId('linewright.noSuchCommand'), /not a server command/);
    assert.throws(() => notificationMethod('linewright/noSuch'), /not a Linewright notification/);
  });

  it('selects documents of the contract\'s languages', () => {
    assert.ok(LANGUAGES.includes('python') && LANGUAGES.includes('typescriptreact'));
  });
});
