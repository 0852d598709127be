import * as assert from 'assert';
import * as path from 'path';

import { findServer, type Lookup } from '../src/serverPath';

function lookup(executables: string[], overrides: Partial<Lookup> = {}): Lookup {
  return {
    pathVariable: ['/usr/bin', '/home/u/.local/bin'].join(':'),
    pathExt: undefined,
    delimiter: ':',
    isExecutable: (file) => executables.includes(file),
    ...overrides,
  };
}

describe('findServer', () => {
  it('finds linewright on PATH, first directory first', () => {
    const found = findServer('', lookup(['/home/u/.local/bin/linewright', '/opt/linewright']));
    assert.deepStrictEqual(found, { kind: 'found', command: path.join('/home/u/.local/bin', 'linewright') });
  });

  it('uses the configured path when it can run', () => {
    const found = findServer(' /opt/linewright ', lookup(['/opt/linewright']));
    assert.deepStrictEqual(found, { kind: 'found', command: '/opt/linewright' });
  });

  it('names a configured path that cannot run instead of falling back to PATH', () => {
    const found = findServer('/nope/linewright', lookup([path.join('/usr/bin', 'linewright')]));
    assert.strictEqual(found.kind, 'missing');
    assert.match(found.kind === 'missing' ? found.message : '', /linewright\.server\.path \(\/nope\/linewright\)/);
  });

  it('says how to install when it is nowhere', () => {
    const found = findServer('', lookup([], { pathVariable: undefined }));
    assert.strictEqual(found.kind, 'missing');
    assert.match(found.kind === 'missing' ? found.message : '', /pipx install linewright/);
  });

  it('tries the PATHEXT extensions on Windows', () => {
    const found = findServer('', lookup([path.join('C:\\py\\Scripts', 'linewright.exe')], {
      pathVariable: 'C:\\py\\Scripts', pathExt: '.COM;.EXE', delimiter: ';',
    }));
    assert.deepStrictEqual(found, { kind: 'found', command: path.join('C:\\py\\Scripts', 'linewright.exe') });
  });
});
