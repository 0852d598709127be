// Restricted Mode: an untrusted folder whose .vscode/settings.json names a program of the
// repository as the server. Opening a Python file there must not run that program.

import * as fs from 'node:fs';

import { sleep } from './harness.mjs';
import { quickOpen, statusNow, until } from './workbench.mjs';

export async function restrictedChecks(checks, ws) {
  const page = checks.page;
  await checks.run('Restricted Mode: the repository\'s linewright.server.path does not run',
    120_000, async () => {
      const badge = page.locator('.statusbar-item', { hasText: 'Restricted Mode' });
      await badge.first().waitFor({ timeout: 30_000 });
      await quickOpen(page, 'calc.py');
      await until('the Linewright status item', () => statusNow(page), 60_000);
      // settled (ready with the user's server, or error, or stopped), or the program ran
      await until('the status item to settle', async () =>
        fs.existsSync(ws.marker) || !/starting|loading/.test(await statusNow(page)), 90_000);
      await sleep(2_000); // a start that comes after the first state
      const state = await statusNow(page);
      console.log(`     status in Restricted Mode: ${JSON.stringify(state)}`);
      if (fs.existsSync(ws.marker)) {
        const ran = fs.readFileSync(ws.marker, 'utf8').trim();
        throw new Error(`the workspace's program ran in Restricted Mode: ${ran}`);
      }
    });
}
