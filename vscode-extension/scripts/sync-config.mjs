// Writes the server's settings into package.json's contributes.configuration, from
// `linewright.config.describe()` (the Python settings tree is the source of truth).
//   npm run sync-config          rewrite package.json
//   npm run check-config         exit 1 when package.json is out of date
// The Python that has linewright installed: $LINEWRIGHT_PYTHON, else python3.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { contributedProperties } = require('../out/src/settings.js');

const python = process.env.LINEWRIGHT_PYTHON || 'python3';
const described = JSON.parse(
  execFileSync(
    python,
    ['-c', 'import json, linewright.config as c; print(json.dumps(c.describe()))'],
    { encoding: 'utf-8' },
  ),
);
const packagePath = new URL('../package.json', import.meta.url);
const text = readFileSync(packagePath, 'utf-8');
const manifest = JSON.parse(text);
manifest.contributes.configuration.properties = contributedProperties(described);
// Settings a repository may not choose (scope "machine"), also restricted in untrusted workspaces.
manifest.capabilities.untrustedWorkspaces.restrictedConfigurations = Object.entries(described)
  .filter(([, setting]) => setting.scope === 'machine')
  .map(([key]) => `linewright.${key}`);
const updated = JSON.stringify(manifest, null, 2) + '\n';

if (process.argv.includes('--check')) {
  if (updated !== text) {
    console.error('package.json settings differ from the server\'s: run `npm run sync-config`.');
    process.exit(1);
  }
} else if (updated !== text) {
  writeFileSync(packagePath, updated);
}
