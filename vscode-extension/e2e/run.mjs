// The packaged extension in a real VS Code (code-server), checked as a person would: keys
// typed in headless Chromium, results read off the screen and off the saved files.
//
//   LINEWRIGHT_BIN=/path/to/venv/bin/linewright node run.mjs
//
// Optional: LINEWRIGHT_VSIX (default ../linewright.vsix), LINEWRIGHT_MODEL (a GGUF; default
// the suite's tiny deterministic model), LINEWRIGHT_CHROMIUM, E2E_TIMEOUT_S (default 480),
// E2E_KEEP=1 (keep the temp folder). Prints one line per check, then "N passed, N failed".

import * as fs from 'node:fs';
import * as path from 'node:path';

import { Checks, CodeServer, codeServerSync, inputs, tempRoot, tinyModel } from './lib/harness.mjs';
import { commandChecks, editingChecks, flagChecks } from './lib/checks.mjs';
import { restrictedChecks } from './lib/restricted.mjs';
import { workspace, userSettings } from './lib/workspace.mjs';
import { openBrowser, openWorkbench } from './lib/workbench.mjs';

const EXTENSION_ID = 'linewright.linewright';
const started = Date.now();
const live = { servers: [], context: undefined, checks: undefined, root: undefined };

async function cleanup() {
  const { context, servers } = live;
  live.context = undefined;
  live.servers = [];
  if (context) await Promise.race([context.close().catch(() => {}), sleep(10_000)]);
  await Promise.all(servers.map((s) => s.stop()));
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A code-server with its own user data and the vsix installed into its extensions folder. */
function instance(root, name, env, settings, extraArgs) {
  const userDataDir = path.join(root, name, 'user-data');
  const extensionsDir = path.join(root, name, 'extensions');
  // code-server is a remote window: machine-scoped settings are read from the Machine
  // (Remote) file, the others from the User file
  for (const scope of ['User', 'Machine']) {
    fs.mkdirSync(path.join(userDataDir, scope), { recursive: true });
    fs.writeFileSync(path.join(userDataDir, scope, 'settings.json'), JSON.stringify(settings, null, 2));
  }
  return new CodeServer({ userDataDir, extensionsDir, env, extraArgs });
}

function install(server, vsix) {
  const dirs = ['--user-data-dir', server.userDataDir, '--extensions-dir', server.extensionsDir];
  const done = codeServerSync(['--install-extension', vsix, ...dirs], server.env);
  if (done.status !== 0) throw new Error(`--install-extension: ${done.stdout}${done.stderr}`);
  const listed = codeServerSync(['--list-extensions', '--show-versions', ...dirs], server.env).stdout;
  if (!listed.includes(EXTENSION_ID)) throw new Error(`not installed; listed: ${listed}`);
  const folder = fs.readdirSync(server.extensionsDir).find((d) => d.startsWith(`${EXTENSION_ID}-`));
  return JSON.parse(fs.readFileSync(path.join(server.extensionsDir, folder, 'package.json'), 'utf8'));
}

/** The environment of code-server, hence of the extension host and the server. */
function childEnv(root) {
  // The server reads LINEWRIGHT_* variables as settings: this script's own inputs stay out.
  const own = new Set(['LINEWRIGHT_BIN', 'LINEWRIGHT_VSIX', 'LINEWRIGHT_MODEL', 'LINEWRIGHT_CHROMIUM']);
  const inherited = Object.entries(process.env).filter(([key]) => !own.has(key));
  return {
    ...Object.fromEntries(inherited),
    LINEWRIGHT_STATE_DIR: path.join(root, 'lw-state'),
    LINEWRIGHT_CACHE_DIR: path.join(root, 'lw-cache'),
    LINEWRIGHT_CONFIG_DIR: path.join(root, 'lw-config'),
    // code-server writes its config.yaml and state there
    XDG_CONFIG_HOME: path.join(root, 'xdg-config'),
    XDG_DATA_HOME: path.join(root, 'xdg-data'),
  };
}

/** One code-server with the vsix installed, started, and a workbench page on `folder`. */
async function open(name, settings, extraArgs, folder) {
  const server = instance(live.root, name, childEnv(live.root), settings, extraArgs);
  const manifest = install(server, live.given.vsix);
  live.servers.push(server);
  await server.start();
  live.context ??= await openBrowser(live.given.chromium, path.join(live.root, 'chromium-profile'));
  live.checks.page = await openWorkbench(live.context, server.url(folder));
  return { server, manifest };
}

async function main() {
  const given = inputs();
  const root = tempRoot();
  console.log(`temp folder: ${root}`);
  const model = given.model ?? tinyModel(given.bin, root);
  Object.assign(live, { given, root, checks: new Checks(path.join(root, 'screenshots')) });
  const ws = workspace(root);
  const checks = live.checks;
  const trusted = await open('trusted', userSettings(given.bin, model, false),
    ['--disable-workspace-trust'], ws.folder);
  await editingChecks(checks, ws);
  await flagChecks(checks, ws);
  await commandChecks(checks, ws, trusted.manifest);
  await trusted.server.stop();
  await open('restricted', userSettings(given.bin, model, true), [], ws.untrusted);
  await restrictedChecks(checks, ws);
}

/** Stops everything, prints the closing lines, returns the exit code. */
async function finish(error) {
  await cleanup();
  const checks = live.checks ?? new Checks(undefined);
  if (error) {
    checks.failed += 1;
    console.log(`FAIL ${error.stack ?? error}`);
  }
  const ok = checks.failed === 0;
  if (live.root && ok && process.env.E2E_KEEP !== '1') {
    fs.rmSync(live.root, { recursive: true, force: true });
  } else if (live.root) {
    console.log(`logs: ${path.join(live.root, '*', 'user-data', 'logs')} (temp folder kept)`);
  }
  console.log(`total ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(checks.summary());
  return ok ? 0 : 1;
}

const limitS = Number(process.env.E2E_TIMEOUT_S ?? 480);
const overall = setTimeout(() => {
  void finish(new Error(`the whole run took over ${limitS} s`)).then((code) => process.exit(code));
}, limitS * 1000);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => void cleanup().finally(() => process.exit(130)));
}

main().then(() => finish(), (error) => finish(error)).then((code) => {
  clearTimeout(overall);
  process.exit(code);
});
