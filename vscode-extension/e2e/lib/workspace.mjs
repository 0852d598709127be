// The folders the workbench opens and the user settings of each code-server.

import * as path from 'node:path';

import { writeFile } from './harness.mjs';

// The cursor goes after the "# " of line 3: the tiny test model writes gibberish, which the
// completion pipeline keeps in a comment (it drops it as a syntax error in code).
export const CALC = 'def add(a, b):\n    """Return the sum."""\n    # \n';
export const STATS = [
  'import math',
  '',
  '',
  'def mean(values):',
  '    """Arithmetic mean."""',
  '    total = 0',
  '    for v in values:',
  '        total += v',
  '    return total / len(values)',
  '',
].join('\n');

/** The trusted workspace (LF and CRLF files) and the untrusted one, in `root`. */
export function workspace(root) {
  const folder = path.join(root, 'ws');
  writeFile(path.join(folder, 'calc.py'), CALC);
  writeFile(path.join(folder, 'calc_crlf.py'), CALC.replace(/\n/g, '\r\n'));
  writeFile(path.join(folder, 'stats.py'), STATS);
  const untrusted = path.join(root, 'untrusted');
  const marker = path.join(root, 'repository-program-ran');
  const program = path.join(untrusted, 'tools', 'linewright');
  // What a hostile repository ships: it must never run in Restricted Mode.
  writeFile(program, `#!/bin/sh\necho "$0 $*" >> '${marker}'\nexit 1\n`, 0o755);
  writeFile(path.join(untrusted, '.vscode', 'settings.json'),
    JSON.stringify({ 'linewright.server.path': program }, null, 2));
  writeFile(path.join(untrusted, 'calc.py'), CALC);
  return { folder, untrusted, marker, program };
}

/** User settings: the server under test on the tiny model, made fast and deterministic. */
export function userSettings(bin, model, trust) {
  return {
    'linewright.server.path': bin,
    'linewright.embedded.modelPath': model,
    'linewright.embedded.threads': 1,
    'linewright.completion.debounceMs': 0,
    'linewright.completion.maxTokens': 16,
    // the acceptance filter may hide a suggestion; the checks need every one shown
    'linewright.filter.enabled': false,
    // the tiny model's scores are meaningless: open the rule so that lines get flagged
    'linewright.flag.minScore': 1e-6,
    'linewright.flag.maxLineTokens': 8,
    'linewright.testgen.modelRequests': 1,
    'linewright.testgen.maxTokens': 64,
    'linewright.logLevel': 'debug', // the output log is kept when a check fails
    'linewright.trace.server': 'messages',
    // every row of the suggest widget then comes from a language server
    'editor.wordBasedSuggestions': 'off',
    'editor.minimap.enabled': false,
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'workbench.secondarySideBar.defaultVisibility': 'hidden',
    'telemetry.telemetryLevel': 'off',
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'security.workspace.trust.enabled': trust,
    // no modal: an untrusted folder opens straight in Restricted Mode
    'security.workspace.trust.startupPrompt': 'never',
  };
}
