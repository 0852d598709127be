// The checks in the trusted workspace: status bar, ghost text and its accept keys,
// completion items, flags with their quick fixes, and every command of the extension.

import * as fs from 'node:fs';
import * as path from 'node:path';

import { sleep } from './harness.mjs';
import {
  actionTitles, ghostText, gotoLineEnd, palette, problems, quickOpen, statusHistory, statusNow,
  suggestRows, toastsSince, until, waitGhost, waitReady,
} from './workbench.mjs';

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

/** Ctrl+S, then the file's text once it differs from `before`. */
async function save(page, file, before) {
  await page.keyboard.press('Control+S');
  return until(`${path.basename(file)} to be saved`, () => {
    const text = fs.readFileSync(file, 'utf8');
    return text !== before && text;
  }, 20_000);
}

/** Types `typed` at the end of `line`, waits for ghost text, returns it. */
async function typeForGhost(page, line, typed) {
  await gotoLineEnd(page, line);
  await page.keyboard.type(typed, { delay: 40 });
  return waitGhost(page);
}

/** Tab on ghost text in `name`: the file then holds the first line of what was shown. */
async function tabAccepts(page, ws, name) {
  const file = path.join(ws.folder, name);
  const before = fs.readFileSync(file, 'utf8');
  await quickOpen(page, name);
  const ghost = await typeForGhost(page, 3, 'n');
  await page.keyboard.press('Tab');
  await until('the ghost text to go', async () => (await ghostText(page)) === '', 10_000);
  const after = await save(page, file, before);
  const line = after.split(/\r?\n/)[2];
  const expected = `    # n${ghost.split('\n')[0]}`.trimEnd();
  assert(line.trimEnd().startsWith(expected),
    `line 3 is ${JSON.stringify(line)}, expected it to start with ${JSON.stringify(expected)}`);
  return after;
}

export async function editingChecks(checks, ws) {
  const page = checks.page;
  const calc = path.join(ws.folder, 'calc.py');
  await checks.run('status bar: starting, then ready', 120_000, async () => {
    await quickOpen(page, 'calc.py');
    await waitReady(page);
    const history = await statusHistory(page);
    const starting = history.findIndex((t) => /Linewright: starting/.test(t));
    assert(starting >= 0 && history.at(-1) === 'Linewright', `status texts: ${history}`);
  });
  await checks.run('ghost text after typing; Tab accepts it (LF file)', 120_000, () =>
    tabAccepts(page, ws, 'calc.py'));
  await checks.run('Ctrl+Right accepts one word of the ghost text', 120_000, async () => {
    await quickOpen(page, 'calc.py');
    const before = fs.readFileSync(calc, 'utf8');
    await gotoLineEnd(page, 3);
    await page.keyboard.press('Enter');
    await page.keyboard.type('# w', { delay: 40 });
    const ghost = (await waitGhost(page)).split('\n')[0];
    // VS Code takes leading blanks as a step of their own: step until a word is taken
    for (let step = 0; step < 3; step += 1) {
      const was = (await ghostText(page)).split('\n')[0];
      await page.keyboard.press('Control+ArrowRight');
      const left = await until('a word to be accepted', async () => {
        const now = (await ghostText(page)).split('\n')[0];
        return now !== was && { now };
      }, 10_000);
      if (ghost.slice(0, ghost.length - left.now.length).trim() !== '') break;
    }
    await page.keyboard.press('Escape');
    const line = (await save(page, calc, before)).split('\n')[3];
    const taken = line.slice('    # w'.length);
    assert(line.startsWith('    # w') && taken.trim() !== '', `line 4 is ${JSON.stringify(line)}`);
    assert(ghost.startsWith(taken), `took ${JSON.stringify(taken)} of ${JSON.stringify(ghost)}`);
    const words = ghost.trim().split(/\s+/).length;
    assert(words < 2 || taken.trimEnd().length < ghost.trimEnd().length,
      `Ctrl+Right took all of ${JSON.stringify(ghost)}`);
  });
  await checks.run('Ctrl+Space lists a Linewright completion item; Enter inserts it', 120_000,
    async () => {
      const before = fs.readFileSync(calc, 'utf8');
      await gotoLineEnd(page, 4);
      await page.keyboard.press('Enter');
      await page.keyboard.type('# c', { delay: 40 });
      await page.keyboard.press('Escape');
      await page.keyboard.press('Control+Space');
      const rows = await suggestRows(page);
      assert(rows.every((r) => r.label.startsWith('c')), `rows: ${JSON.stringify(rows)}`);
      await page.keyboard.press('Enter');
      const line = (await save(page, calc, before)).split('\n')[4];
      const squash = (s) => s.replace(/\s+/g, '');
      assert(squash(line).startsWith(squash(`#${rows[0].label}`)),
        `line 5 is ${JSON.stringify(line)}, the item was ${JSON.stringify(rows[0].label)}`);
    });
  await checks.run('CRLF file: Tab accepts and the file keeps CRLF', 120_000, async () => {
    const after = await tabAccepts(page, ws, 'calc_crlf.py');
    assert(!/(^|[^\r])\n/.test(after), `bare LF in ${JSON.stringify(after)}`);
    const eol = page.locator('.statusbar-item', { hasText: /^CRLF$/ });
    assert(await eol.count(), 'the status bar does not say CRLF');
  });
}

export async function flagChecks(checks, ws) {
  const page = checks.page;
  await checks.run('FLAG: squiggles and Problems panel entries', 150_000, async () => {
    await quickOpen(page, 'stats.py');
    await until('squiggles', () => page.locator('[class*="squiggly-"]').count(), 120_000);
    await page.keyboard.press('Control+Shift+M');
    const rows = await until('Linewright rows in Problems', async () =>
      (await problems(page)).filter((r) => r.includes('linewright')), 30_000);
    assert(rows.length > 0, 'no Problems rows from linewright');
  });
  await checks.run('FLAG: Ctrl+. offers the quick fixes; "Ignore" removes the flag', 90_000,
    async () => {
      const count = async () => (await problems(page)).filter((r) => r.includes('linewright')).length;
      const before = await count();
      await page.keyboard.press('Control+1'); // back to the editor
      await gotoLineEnd(page, 1);
      await page.keyboard.press('F8'); // next problem
      await page.keyboard.press('Escape');
      await page.keyboard.press('Control+.');
      const titles = await actionTitles(page);
      const ignore = titles.find((t) => t.includes('Ignore this line (Linewright)'));
      assert(ignore, `code actions: ${JSON.stringify(titles)}`);
      await page.locator('.action-widget .monaco-list-row.action', { hasText: ignore }).click();
      await until('one flag fewer in Problems', async () => (await count()) < before, 30_000);
    });
}

/** What shows that a command did its work; undefined: it only must not show an error. */
function expectation(page, command, since) {
  const panelText = (text) => async () =>
    page.locator('.part.panel', { hasText: text }).count();
  const summary = async () => (await toastsSince(page, since))
    .some((t) => /verified tests? for|Linewright: .*fail/.test(t.message));
  // the new test file is then in front
  const tests = async () => (await summary()) &&
    page.locator('.editor-group-container.active .tab.active[data-resource-name="test_stats.py"]')
      .count();
  const restarted = async () => {
    const history = await statusHistory(page);
    return history.at(-1) === 'Linewright' && history.slice(0, -1).some((t) => /starting/.test(t));
  };
  return {
    'linewright.editor.generateTests': ['the summary, then tests/test_stats.py in front', tests],
    'linewright.showTelemetryStats': ['the stats in the output', panelText('Suggestions in')],
    'linewright.showDoctor': ['the doctor report', panelText('linewright doctor')],
    'linewright.restartServer': ['the server to restart', restarted],
  }[command];
}

export async function commandChecks(checks, ws, manifest) {
  const page = checks.page;
  const hidden = new Set((manifest.contributes.menus?.commandPalette ?? [])
    .filter((m) => m.when === 'false').map((m) => m.command));
  for (const { command, title, category } of manifest.contributes.commands) {
    if (hidden.has(command)) continue;
    const label = category ? `${category}: ${title}` : title;
    await checks.run(`command palette: ${label}`, 150_000, async () => {
      await quickOpen(page, 'stats.py');
      await gotoLineEnd(page, 6); // inside mean(): the function Generate tests picks
      const since = Date.now();
      await page.evaluate(() => { window.__linewright.status = []; });
      await palette(page, label);
      const expected = expectation(page, command, since);
      if (expected) await until(expected[0], expected[1], 120_000);
      else await sleep(5_000);
      if (command === 'linewright.restartServer') await waitReady(page);
      const bad = (await toastsSince(page, since)).filter((t) => t.severity === 'error');
      assert(bad.length === 0, `error toasts: ${JSON.stringify(bad)}`);
      assert((await statusNow(page)) !== '', 'the status item is gone');
    });
  }
}
