import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Subjects } from '@grider-ms-tickets/common';
import { FakeEventBus } from '@grider-ms-tickets/common/testing';
import { chromium, type BrowserContext } from 'playwright-core';
import { expirationJobId } from '../../queues/expiration-job-id';
import { REFUSALS } from '../action-guard';
import type { ExpirationService } from '../../service';
import { startTestService, stopTestService } from '../../test/test-service';
import { inMs, newOrderId, orderCreated, testNames } from '../../test/helpers';

const USER = 'admin';
const PASSWORD = 'e2e-only-password';

/**
 * Debian's Chromium (`apt-get install chromium`; `.ci/run` installs it), or
 * the one CHROMIUM_PATH names. Playwright's own browser download can't work
 * without a network, so playwright-core drives this one.
 */
function chromiumPath(): string {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  try {
    return execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('chromium is not installed: apt-get install -y chromium, or set CHROMIUM_PATH');
  }
}

// The service in this process on the real Redis (a queue prefix of its own)
// and a fake bus, with a few pending orders; a headless Chromium logs in to
// the dashboard and reads the page.
describe('the queue dashboard in a browser', () => {
  const names = testNames('dashboard-e2e');
  const bus = new FakeEventBus();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'expiration-dashboard-e2e-'));
  const pending = [newOrderId(), newOrderId(), newOrderId()];
  let service: ExpirationService;
  let browser: BrowserContext;
  const queueUrl = () =>
    `http://127.0.0.1:${service.port}/admin/queues/queue/${encodeURIComponent('order:expiration')}?status=delayed`;

  beforeAll(async () => {
    service = await startTestService(names, { bus, env: { DASHBOARD_CREDENTIALS: `${USER}:${PASSWORD}` } });
    for (const [i, id] of pending.entries()) {
      await bus.emit(Subjects.OrderCreated, orderCreated(inMs((i + 1) * 10 * 60_000), id));
    }
    browser = await chromium.launchPersistentContext(path.join(tmp, 'profile'), {
      executablePath: chromiumPath(),
      headless: true,
      // No network here: nothing in the background may try to reach one.
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-quic',
      ],
      httpCredentials: { username: USER, password: PASSWORD },
      viewport: { width: 1024, height: 700 },
    });
    // The page asks Google Fonts for its font; only the service itself is reached.
    await browser.route('**/*', (route) =>
      new URL(route.request().url()).host === `127.0.0.1:${service.port}` ? route.continue() : route.abort(),
    );
  });

  afterAll(async () => {
    await browser?.close();
    await stopTestService(service);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('logs in, opens order:expiration and lists each pending order with the time it expires', async () => {
    // Arrange
    const page = await browser.newPage();
    const screenshot = path.join(tmp, 'dashboard.png');

    // Act
    const response = await page.goto(queueUrl());
    for (const id of pending) await page.getByText(`order ${id} expires`).waitFor();
    const text = await page.locator('body').innerText();
    await page.screenshot({ path: screenshot });

    // Assert
    expect(response?.status()).toBe(200);
    for (const id of pending) {
      const job = await service.expirations.queue.getJob(expirationJobId(id));
      const due = new Date((job?.timestamp ?? 0) + (job?.opts.delay ?? 0)).toISOString();
      expect(text).toContain(`order ${id} expires ${due}`);
    }
    expect(fs.readFileSync(screenshot).subarray(1, 4).toString()).toBe('PNG');
    if (process.env.DASHBOARD_SCREENSHOT) fs.copyFileSync(screenshot, process.env.DASHBOARD_SCREENSHOT);
  });

  it('shows why "Clean all" is refused, and the delayed jobs stay', async () => {
    // Arrange
    const page = await browser.newPage();
    await page.goto(queueUrl());
    await page.getByText(`order ${pending[0]} expires`).waitFor();

    // Act
    await page.getByRole('button', { name: 'Clean all' }).click();
    await page.getByRole('button', { name: 'Confirm' }).click();

    // Assert
    await page.getByText(REFUSALS.clean).waitFor();
    expect(await service.expirations.queue.getDelayedCount()).toBe(pending.length);
  });
});
