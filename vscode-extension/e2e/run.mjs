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
const live = { servers: [], context: undefined };

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
  fs.mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  fs.writeFileSync(path.join(userDataDir, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
  return new CodeServer({ userDataDir, extensionsDir, env, extraArgs });
}

function install(server, vsix) {
  const dirs = ['--user-data-dir', server.userDataDir, '--extensions-dir', server.extensionsDir];
  const done = codeServerSync(['--install-extension', vsix, ...dirs]);
  if (done.status !== 0) throw new Error(`--install-extension: ${done.stdout}${done.stderr}`);
  const listed = codeServerSync(['--list-extensions', '--show-versions', ...dirs]).stdout;
  if (!listed.includes(EXTENSION_ID)) throw new Error(`not installed; listed: ${listed}`);
  const folder = fs.readdirSync(server.extensionsDir).find((d) => d.startsWith(`${EXTENSION_ID}-`));
  return JSON.parse(fs.readFileSync(path.join(server.extensionsDir, folder, 'package.json'), 'utf8'));
}

async function main() {
  const given = inputs();
  const root = tempRoot();
  console.log(`temp folder: ${root}`);
  const model = given.model ?? tinyModel(given.bin, root);
  const env = {
    ...process.env,
    LINEWRIGHT_STATE_DIR: path.join(root, 'lw-state'),
    LINEWRIGHT_CACHE_DIR: path.join(root, 'lw-cache'),
    LINEWRIGHT_CONFIG_DIR: path.join(root, 'lw-config'),
    XDG_CONFIG_HOME: path.join(root, 'xdg-config'),
    XDG_DATA_HOME: path.join(root, 'xdg-data'),
  };
  const checks = new Checks(path.join(root, 'screenshots'));
  const ws = workspace(root);
  const main = instance(root, 'trusted', env, userSettings(given.bin, model, false),
    ['--disable-workspace-trust']);
  let manifest;
  await checks.run('the .vsix installs into code-server', 120_000, async () => {
    manifest = install(main, given.vsix);
  });
  if (manifest) {
    live.servers.push(main);
    await checks.run('code-server starts', 60_000, () => main.start());
    live.context = await openBrowser(given.chromium, path.join(root, 'chromium-profile'));
    checks.page = await openWorkbench(live.context, main.url(ws.folder));
    await editingChecks(checks, ws);
    await flagChecks(checks, ws);
    await commandChecks(checks, ws, manifest);
    await main.stop();
    const restricted = instance(root, 'restricted', env, userSettings(given.bin, model, true), []);
    install(restricted, given.vsix);
    live.servers.push(restricted);
    await restricted.start();
    checks.page = await openWorkbench(live.context, restricted.url(ws.untrusted));
    await restrictedChecks(checks, ws);
  }
  await cleanup();
  const ok = checks.failed === 0;
  if (ok && process.env.E2E_KEEP !== '1') fs.rmSync(root, { recursive: true, force: true });
  else console.log(`logs: ${path.join(root, '*', 'user-data', 'logs')} (temp folder kept)`);
  console.log(`total ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(checks.summary());
  return ok ? 0 : 1;
}

const limitS = Number(process.env.E2E_TIMEOUT_S ?? 480);
const overall = setTimeout(() => {
  console.log(`FAIL the whole run took over ${limitS} s`);
  console.log('0 passed, 1 failed');
  void cleanup().finally(() => process.exit(1));
}, limitS * 1000);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => void cleanup().finally(() => process.exit(130)));
}

main().then(
  (code) => {
    clearTimeout(overall);
    process.exit(code);
  },
  async (error) => {
    clearTimeout(overall);
    console.log(`FAIL ${error.stack ?? error}`);
    await cleanup();
    console.log('0 passed, 1 failed');
    process.exit(1);
  },
);
