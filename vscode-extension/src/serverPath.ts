// Finding the `linewright` executable: the `linewright.server.path` setting, else PATH.
// Pure (file-system access is passed in) so it is unit-tested in plain Node.

import * as path from 'path';

export interface Lookup {
  /** The PATH variable. */
  pathVariable: string | undefined;
  /** Windows' PATHEXT; undefined elsewhere. */
  pathExt: string | undefined;
  /** Path separator of PATH (`:` or `;`). */
  delimiter: string;
  /** Whether `file` exists and can be run. */
  isExecutable: (file: string) => boolean;
}

export type Found = { kind: 'found'; command: string } | { kind: 'missing'; message: string };

export const EXECUTABLE = 'linewright';

/** Where the server is, or a message that says what to do about it. */
export function findServer(configured: string, lookup: Lookup): Found {
  if (configured.trim() !== '') {
    const command = configured.trim();
    if (lookup.isExecutable(command)) return { kind: 'found', command };
    return {
      kind: 'missing',
      message: `Linewright: the server set in linewright.server.path (${command}) cannot be run.`,
    };
  }
  const extensions = lookup.pathExt ? ['', ...lookup.pathExt.split(';')] : [''];
  for (const dir of (lookup.pathVariable ?? '').split(lookup.delimiter)) {
    if (dir === '') continue;
    for (const extension of extensions) {
      const candidate = path.join(dir, EXECUTABLE + extension.toLowerCase());
      if (lookup.isExecutable(candidate)) return { kind: 'found', command: candidate };
    }
  }
  return {
    kind: 'missing',
    message:
      'Linewright: the `linewright` command was not found on PATH. Install it ' +
      '(`pipx install linewright`, or `pip install .` in a checkout) or set linewright.server.path.',
  };
}
