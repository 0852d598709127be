// Finding the `linewright` executable: `linewright.server.path`, else (in a trusted
// workspace) the workspace's `.venv` and the interpreter the Python extension selected, else
// PATH, else where pipx and `pip install --user` put commands (`~/.local/bin`) and the
// user's `~/bin`. Pure (file-system access is passed in) so it is unit-tested in plain Node.

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
  /** The user's home folder ('' when unknown). */
  home?: string;
  /** Workspace folders on disk; only given in a trusted workspace (their programs may run). */
  trustedFolders?: readonly string[];
  /** The interpreter the Python extension selected; only given in a trusted workspace. */
  pythonInterpreter?: string | undefined;
}

export type Found = { kind: 'found'; command: string } | { kind: 'missing'; message: string };

export const EXECUTABLE = 'linewright';

/** How to install the server: the package is not on PyPI, it installs from a clone. */
export const INSTALL_HINT =
  'Install it from a clone of the Linewright repository (`pipx install /path/to/linewright`, ' +
  'or `pip install .` in the clone), then run `linewright doctor`';

/** Folders to look in after the configured path, most specific first. */
export function searchFolders(lookup: Lookup): string[] {
  const windows = lookup.pathExt !== undefined;
  const scripts = windows ? 'Scripts' : 'bin';
  const folders = (lookup.trustedFolders ?? []).map((folder) => path.join(folder, '.venv', scripts));
  if (lookup.pythonInterpreter) folders.push(path.dirname(lookup.pythonInterpreter));
  folders.push(...(lookup.pathVariable ?? '').split(lookup.delimiter).filter((dir) => dir !== ''));
  if (lookup.home) folders.push(path.join(lookup.home, '.local', 'bin'), path.join(lookup.home, 'bin'));
  return [...new Set(folders)];
}

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
  const folders = searchFolders(lookup);
  for (const dir of folders) {
    for (const extension of extensions) {
      const candidate = path.join(dir, EXECUTABLE + extension.toLowerCase());
      if (lookup.isExecutable(candidate)) return { kind: 'found', command: candidate };
    }
  }
  return {
    kind: 'missing',
    message:
      `Linewright: the \`linewright\` command was not found (looked in ${folders.join(', ') || 'PATH'}). ` +
      `${INSTALL_HINT}, or set linewright.server.path.`,
  };
}
