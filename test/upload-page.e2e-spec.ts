import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Browser } from 'playwright-core';
import { AppModule } from '../src/app.module';
import { testConfig } from '../src/config/app-config';
import { launchBrowser, saveScreenshot } from './support/browser';
import { datasetImages, defaultModelLabels } from './support/paths';

const IMAGES = 10;

interface Row {
  fileName?: string;
  jobId?: string;
  status?: string;
  label?: string;
}

describe('The upload page in Chromium, against the service with a real worker', () => {
  let app: INestApplication;
  let dataDir: string;
  let url: string;
  let browser: Browser;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'upload-page-'));
    const moduleRef = await Test.createTestingModule({
      imports: [AppModule.forRoot(testConfig({ port: 0, dataDir, minWorkers: 1, maxWorkers: 1 }))],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
    browser = await launchBrowser();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('uploads ten images and shows each one labelled with a label of the model', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(url);
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
    await page.close();
  }, 90_000);
});
