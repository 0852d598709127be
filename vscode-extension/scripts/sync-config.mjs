// Writes what package.json takes from the server, which is the source of truth:
// - contributes.configuration from `linewright.config.describe()` (the Python settings tree),
//   plus the extension's own settings, and restrictedConfigurations (every machine-scoped one);
// - activationEvents from the contract's languages (src/protocol.json);
// and checks that src/protocol.json is what `python -m linewright.contract` writes.
//   npm run sync-config          rewrite package.json and src/protocol.json
//   npm run check-config         exit 1 when either is out of date
// The Python that has linewright installed: $LINEWRIGHT_PYTHON, else python3.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { contributedProperties, restrictedConfigurations } = require('../out/src/settings.js');

const python = process.env.LINEWRIGHT_PYTHON || 'python3';
const check = process.argv.includes('--check');
const stale = [];

function fromPython(code) {
  return execFileSync(python, ['-c', code], { encoding: 'utf-8' });
}

/** Write `text` to `file` (or, with --check, note that it differs). */
function update(file, text, what) {
  if (readFileSync(file, 'utf-8') === text) return;
  if (check) stale.push(what);
  else writeFileSync(file, text);
}

const contract = fromPython('import sys, linewright.contract as c; sys.stdout.write(c.render())');
const protocolPath = new URL('../src/protocol.json', import.meta.url);
update(protocolPath, contract, 'src/protocol.json differs from `python -m linewright.contract`');

const described = JSON.parse(
  fromPython('import json, linewright.config as c; print(json.dumps(c.describe()))'),
);
const packagePath = new URL('../package.json', import.meta.url);
const manifest = JSON.parse(readFileSync(packagePath, 'utf-8'));
manifest.contributes.configuration.properties = contributedProperties(described);
// Settings a repository may not choose (scope "machine"), also restricted in untrusted workspaces.
manifest.capabilities.untrustedWorkspaces.restrictedConfigurations =
  restrictedConfigurations(described);
manifest.activationEvents = JSON.parse(contract).languages.map((id) => `onLanguage:${id}`);
update(packagePath, JSON.stringify(manifest, null, 2) + '\n', 'package.json differs from the server\'s settings or languages');

if (stale.length > 0) {
  for (const what of stale) console.error(`${what}: run \`npm run sync-config\`.`);
  process.exit(1);
}
