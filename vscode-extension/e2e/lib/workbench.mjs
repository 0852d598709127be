// The VS Code workbench as a person sees it, through headless Chromium: keys typed, and
// what is on screen (status bar, ghost text, suggest widget, Problems panel, toasts).

import { chromium } from 'playwright-core';

import { sleep } from './harness.mjs';

const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];

// Runs in the page before the workbench: records every text the Linewright status item
// shows and every notification toast, so short-lived states and toasts are not missed.
function recorder() {
  const seen = { status: [], toasts: [] };
  window.__linewright = seen;
  const scan = () => {
    for (const item of document.querySelectorAll('.statusbar-item')) {
      const text = (item.textContent ?? '').trim();
      if (/Linewright/.test(text) && seen.status.at(-1) !== text) seen.status.push(text);
    }
    for (const toast of document.querySelectorAll('.notification-toast')) {
      const message = toast.querySelector('.notification-list-item-message')?.textContent ?? '';
      const icon = toast.querySelector('.notification-list-item-icon')?.className ?? '';
      const severity = /error/.test(icon) ? 'error' : /warning/.test(icon) ? 'warning' : 'info';
      const key = `${severity}: ${message}`;
      if (message && !seen.toasts.some((t) => t.key === key && t.node === toast)) {
        seen.toasts.push({ key, node: toast, severity, message, at: Date.now() });
      }
    }
  };
  new MutationObserver(scan).observe(document, {
    subtree: true, childList: true, characterData: true, attributes: true,
  });
}

export async function openBrowser(executablePath, profileDir) {
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath, headless: true, args: ARGS, viewport: { width: 1400, height: 900 },
  });
  await context.addInitScript(recorder);
  return context;
}

/** A page on the workbench of `url`, once its editor area is up. */
export async function openWorkbench(context, url) {
  const page = context.pages()[0] ?? (await context.newPage());
  await page.goto(url);
  await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
  await page.locator('#workbench\\.parts\\.statusbar').waitFor({ timeout: 60_000 });
  return page;
}

/** Waits until `probe()` returns a truthy value; `what` names it in the timeout error. */
export async function until(what, probe, timeoutMs = 60_000, stepMs = 200) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(stepMs);
  }
}

export async function statusHistory(page) {
  return page.evaluate(() => window.__linewright.status);
}

/** The Linewright status item's text now, '' when it is not shown. */
export async function statusNow(page) {
  const item = page.locator('.statusbar-item', { hasText: 'Linewright' }).first();
  return (await item.count()) ? ((await item.textContent()) ?? '').trim() : '';
}

export async function waitReady(page, timeoutMs = 90_000) {
  await until('the status item to say ready', async () => {
    const item = page.locator('.statusbar-item', { hasText: 'Linewright' }).first();
    return (await statusNow(page)) === 'Linewright' && (await item.locator('.codicon-check').count());
  }, timeoutMs);
}

/** Toasts shown since `since` (ms epoch), as {severity, message}. */
export async function toastsSince(page, since) {
  return page.evaluate((t) => window.__linewright.toasts
    .filter((x) => x.at >= t).map(({ severity, message }) => ({ severity, message })), since);
}

export async function quickOpen(page, name) {
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor();
  await input.fill(name);
  // the row of exactly that file: recently opened ones (test_calc.py for calc.py) come first
  const exact = new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  const label = page.locator('.quick-input-list .monaco-list-row .label-name', { hasText: exact });
  await label.first().click();
  const group = page.locator('.editor-group-container.active');
  await group.locator(`.tab.active[data-resource-name="${name}"]`).waitFor();
  await page.locator('.monaco-editor.focused').waitFor();
}

/** Cursor to the end of 1-based `line` of the active editor. */
export async function gotoLineEnd(page, line) {
  await page.keyboard.press('Control+G');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor();
  await input.fill(`:${line}`); // the Go to Line picker is Quick Open with a ':' prefix
  await page.keyboard.press('Enter');
  await page.locator('.monaco-editor.focused').waitFor();
  await page.keyboard.press('End');
}

/** Runs `title` from the command palette (F1), checking the row picked is that one. */
export async function palette(page, title) {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor();
  await input.fill(`>${title}`);
  const focused = page.locator('.quick-input-list .monaco-list-row.focused');
  await until(`"${title}" in the command palette`, async () =>
    (await focused.count()) && (await focused.getAttribute('aria-label'))?.startsWith(title));
  await page.keyboard.press('Enter');
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
}

/** The ghost text on screen (inline part, then the lines below), '' when none. */
export async function ghostText(page) {
  return page.evaluate(() => {
    const parts = [...document.querySelectorAll('.monaco-editor .ghost-text-decoration')]
      .map((n) => n.textContent ?? '');
    const lines = [...document.querySelectorAll('.monaco-editor .ghost-text .view-line')]
      .map((n) => n.textContent ?? '');
    return [parts.join(''), ...lines].join('\n').replace(/\u00a0/g, ' ').replace(/\n+$/, '');
  });
}

export async function waitGhost(page, timeoutMs = 60_000) {
  return until('ghost text', async () => (await ghostText(page)).trim() && ghostText(page),
    timeoutMs);
}

/** Labels of the rows of the suggest widget, once it shows some. */
export async function suggestRows(page, timeoutMs = 60_000) {
  const rows = page.locator('.suggest-widget.visible .monaco-list-row');
  await until('the suggest widget', async () => rows.count(), timeoutMs);
  return rows.evaluateAll((nodes) => nodes.map((n) => ({
    label: n.querySelector('.label-name')?.textContent ?? '',
    detail: n.querySelector('.details-label')?.textContent ?? '',
  })));
}

/** The rows of the Problems panel (opened with Ctrl+Shift+M). */
export async function problems(page) {
  const rows = page.locator('.markers-panel .monaco-list-row');
  return rows.evaluateAll((nodes) => nodes.map((n) => (n.textContent ?? '').trim()));
}

/** Titles of the rows in the code action menu (Ctrl+.). */
export async function actionTitles(page, timeoutMs = 30_000) {
  const rows = page.locator('.action-widget .monaco-list-row.action');
  await until('the code action menu', async () => rows.count(), timeoutMs);
  return rows.evaluateAll((nodes) => nodes.map((n) => (n.textContent ?? '').trim()));
}
