import { statSync } from 'node:fs';
import { basename } from 'node:path';
import type { Browser } from 'playwright-core';
import { cspViolations, launchBrowser, saveScreenshot } from '../support/browser';
import { InProcessService, startInProcessService } from '../support/in-process-service';
import { datasetImages, defaultModelLabels } from '../support/paths';

const IMAGES = 10;

interface Row {
  fileName?: string;
  jobId?: string;
  status?: string;
  label?: string;
}

describe('The upload page in Chromium, against the service with a real worker', () => {
  let service: InProcessService;
  let url: string;
  let browser: Browser;

  beforeAll(async () => {
    service = await startInProcessService('upload-page');
    url = service.url;
    browser = await launchBrowser();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await service?.close();
  });

  it('uploads ten images and shows each one labelled with a label of the model, within its Content Security Policy', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    const refused = cspViolations(page);
    const response = await page.goto(url);
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
    const files = datasetImages('ilsvrc2012-val-sample').slice(0, IMAGES);

    await page.setInputFiles('#file-input', files);
    const rowsShown = page.locator('#job-rows tr.job');
    await rowsShown
      .filter({ has: page.locator('.status[data-status="reported"]') })
      .nth(IMAGES - 1)
      .waitFor({ timeout: 60_000 });
    await page
      .getByText(`${IMAGES} images: ${IMAGES} reported.`, { exact: true })
      .waitFor({ timeout: 5_000 });

    const rows: Row[] = [];
    for (const tr of await rowsShown.all()) {
      rows.push({
        fileName: (await tr.getAttribute('data-file-name')) ?? undefined,
        jobId: (await tr.getAttribute('data-job-id')) ?? undefined,
        status: (await tr.getAttribute('data-status')) ?? undefined,
        label: (await tr.locator('.label').textContent()) ?? undefined,
      });
    }
    expect(rows).toHaveLength(IMAGES);
    expect(rows.map((row) => row.fileName).sort()).toEqual(files.map((file) => basename(file)).sort());
    expect(rows.every((row) => row.status === 'reported')).toBe(true);
    const labels = defaultModelLabels();
    expect(rows.filter((row) => !labels.has(row.label ?? ''))).toEqual([]);

    // The page shows the label the service recorded for that very job.
    for (const row of rows) {
      const job = (await (await fetch(`${url}/api/jobs/${row.jobId}`)).json()) as { topLabel: string };
      expect(row.label).toBe(job.topLabel);
    }

    // The fleet panel polls on its own: wait for it to show the worker that did the ten jobs.
    await page
      .locator('#worker-rows tr.worker [data-col="Jobs done"]', { hasText: new RegExp(`^${IMAGES}$`) })
      .waitFor({ timeout: 10_000 });
    const screenshot = await saveScreenshot(page, 'upload-page-ten-labels');
    expect(statSync(screenshot).size).toBeGreaterThan(0);
    expect(pageErrors).toEqual([]);
    expect(refused).toEqual([]);
    await page.close();
  }, 90_000);
});
