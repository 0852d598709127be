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

  it('says how to install from a clone when it is nowhere (the package is not on PyPI)', () => {
    const found = findServer('', lookup([], { pathVariable: undefined, home: '/home/u' }));
    assert.strictEqual(found.kind, 'missing');
    const message = found.kind === 'missing' ? found.message : '';
    assert.match(message, /pipx install \/path\/to\/linewright/);
    assert.doesNotMatch(message, /pipx install linewright\b/);
    assert.match(message, /\/home\/u\/\.local\/bin, \/home\/u\/bin\)/);
  });

  it('finds pipx\'s ~/.local/bin and ~/bin when they are not on PATH', () => {
    const base = { pathVariable: '/usr/bin', home: '/home/u' };
    assert.deepStrictEqual(findServer('', lookup(['/home/u/.local/bin/linewright'], base)), {
      kind: 'found', command: path.join('/home/u/.local/bin', 'linewright'),
    });
    assert.deepStrictEqual(findServer('', lookup(['/home/u/bin/linewright'], base)), {
      kind: 'found', command: path.join('/home/u/bin', 'linewright'),
    });
  });

  it('prefers a trusted workspace\'s .venv, then the selected interpreter, to PATH', () => {
    const everywhere = ['/ws/.venv/bin/linewright', '/envs/py/bin/linewright', '/usr/bin/linewright'];
    const options = { trustedFolders: ['/ws'], pythonInterpreter: '/envs/py/bin/python' };
    assert.deepStrictEqual(findServer('', lookup(everywhere, options)), {
      kind: 'found', command: path.join('/ws/.venv/bin', 'linewright'),
    });
    assert.deepStrictEqual(findServer('', lookup(everywhere.slice(1), options)), {
      kind: 'found', command: path.join('/envs/py/bin', 'linewright'),
    });
  });

  it('never runs a workspace\'s .venv unless the workspace is trusted (no folders given)', () => {
    const found = findServer('', lookup(['/ws/.venv/bin/linewright'], { pathVariable: '/usr/bin' }));
    assert.strictEqual(found.kind, 'missing');
  });

  it('tries the PATHEXT extensions on Windows', () => {
    const found = findServer('', lookup([path.join('C:\\py\\Scripts', 'linewright.exe')], {
      pathVariable: 'C:\\py\\Scripts', pathExt: '.COM;.EXE', delimiter: ';',
    }));
    assert.deepStrictEqual(found, { kind: 'found', command: path.join('C:\\py\\Scripts', 'linewright.exe') });
  });
});
