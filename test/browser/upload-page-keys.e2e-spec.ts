import type { Browser } from 'playwright-core';
import { keyDigest } from '../../src/security/api-keys';
import { launchBrowser } from '../support/browser';
import { InProcessService, startInProcessService } from '../support/in-process-service';
import { datasetImages } from '../support/paths';

const API_KEY = 'page-key-0123456789abcdef';
const ADMIN_KEY = 'admin-page-key-0123456789abcdef';

describe('The upload page against a service with keys', () => {
  let service: InProcessService;
  let browser: Browser;

  beforeAll(async () => {
    service = await startInProcessService('upload-page-keys', {
      keys: { api: [keyDigest(API_KEY)], admin: [keyDigest(ADMIN_KEY)] },
    });
    browser = await launchBrowser();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await service?.close();
  });

  /** A new page that answers every prompt with `key`, and the prompts it answered. */
  async function pageAnsweringPrompts(key: string) {
    const page = await browser.newPage();
    const prompts: string[] = [];
    page.on('dialog', (dialog) => {
      prompts.push(dialog.message());
      void dialog.accept(key);
    });
    return { page, prompts };
  }

  it('asks for the key once, keeps it for the tab, and gets every upload labelled', async () => {
    const { page, prompts } = await pageAnsweringPrompts(API_KEY);
    await page.goto(service.url);
    await page.setInputFiles('#file-input', datasetImages('ilsvrc2012-val-sample').slice(0, 3));
    await page
      .locator('#job-rows tr.job')
      .filter({ has: page.locator('.status[data-status="reported"]') })
      .nth(2)
      .waitFor({ timeout: 60_000 });

    expect(prompts).toEqual(['This service needs an API key. Key:']);
    expect(await page.evaluate(() => sessionStorage.getItem('eir-api-key'))).toBe(API_KEY);
    // The fleet is an admin route: an API key does not show it.
    expect(await page.locator('#fleet').isHidden()).toBe(true);
    await page.close();
  }, 90_000);

  it('has /debug ask for an admin key, and draw the machines with it', async () => {
    const { page, prompts } = await pageAnsweringPrompts(ADMIN_KEY);
    await page.goto(`${service.url}/debug`);
    await page.waitForSelector('#chart-job svg g.node', { timeout: 30_000 });
    expect(prompts).toEqual(['This page needs an admin key. Key:']);
    expect(await page.evaluate(() => sessionStorage.getItem('eir-api-key'))).toBe(ADMIN_KEY);
    await page.close();
  }, 60_000);
});
