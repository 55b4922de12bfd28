import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { ACTOR_KINDS } from '../../src/actors/actor-kinds';
import { cspViolations, launchBrowser, saveScreenshot } from '../support/browser';
import { InProcessService, startInProcessService } from '../support/in-process-service';
import { waitFor } from '../support/control-plane-process';
import { datasetImages } from '../support/paths';

/** Every machine the host runs: each must have its chart on the page. */
const MACHINES = Object.fromEntries(ACTOR_KINDS.map((kind) => [kind.name, kind.machine]));
const PAGE_TIMEOUT_MS = 60_000;

/** The number under `state` in the live chart of `kind` (the "× n" line mermaid drew), or undefined. */
function countIn(page: Page, kind: string, state: string): Promise<number | undefined> {
  return page.evaluate(
    ([kind, state]) => {
      for (const node of document.querySelectorAll(`#chart-${kind} svg g.node`)) {
        if (node.querySelector('text')?.textContent?.trim() !== state) continue;
        const count = /× (\d+)/.exec(node.textContent ?? '');
        return count ? Number(count[1]) : undefined;
      }
      return undefined;
    },
    [kind, state],
  );
}

describe('the /debug page, in a browser, over a control plane with a real worker', () => {
  let service: InProcessService;
  let baseUrl: string;
  let browser: Browser;
  let page: Page;
  const requested: string[] = [];
  let refused: string[];
  let jobId: string;

  beforeAll(async () => {
    service = await startInProcessService('debug-page');
    baseUrl = service.url;
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.setDefaultTimeout(PAGE_TIMEOUT_MS);
    page.on('request', (request) => requested.push(request.url()));
    refused = cspViolations(page);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await service?.close();
  });

  it('draws the statechart of every machine (job, worker, controller, webhook), generated from the machines, with no outside request and within its Content Security Policy', async () => {
    const response = await page.goto(`${baseUrl}/debug`);
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
    for (const [kind, machine] of Object.entries(MACHINES)) {
      await page.waitForSelector(`#chart-${kind} svg g.node`);
      const names = await page.$$eval(`#chart-${kind} svg g.node text`, (texts) =>
        texts.map((t) => t.textContent?.trim()),
      );
      for (const state of Object.keys(machine.root.states)) expect(names).toContain(state);
    }
    expect(await countIn(page, 'job', 'reported')).toBe(0);
    expect(requested).toContain(`${baseUrl}/debug/assets/mermaid.min.js`);
    expect(requested.filter((url) => !url.startsWith(`${baseUrl}/`) && !url.startsWith('data:'))).toEqual([]);
    expect(refused).toEqual([]);
    await saveScreenshot(page, 'debug-statecharts');
  }, 60_000);

  it('counts an uploaded job live: its state in the job chart goes from 0 to 1, without a reload', async () => {
    const form = new FormData();
    const file = datasetImages('ilsvrc2012-val-sample')[0];
    form.append('files', new Blob([readFileSync(file)], { type: 'image/jpeg' }), basename(file));
    const response = await fetch(`${baseUrl}/api/jobs`, { method: 'POST', body: form });
    expect(response.status).toBe(202);
    jobId = ((await response.json()) as { jobs: Array<{ id: string }> }).jobs[0].id;
    const navigations = await page.evaluate(() => performance.getEntriesByType('navigation').length);

    await waitFor('the job chart to count one reported job', async () =>
      (await countIn(page, 'job', 'reported')) === 1 ? true : undefined,
    );
    expect(await page.evaluate(() => performance.getEntriesByType('navigation').length)).toBe(navigations);
    expect(await page.textContent('#live-status')).toBe('live');
    const workerCounts = await Promise.all(['running', 'idle'].map((s) => countIn(page, 'worker', s)));
    expect(workerCounts.reduce((a, b) => (a ?? 0) + (b ?? 0), 0)).toBe(1);

    await waitFor('the fleet table to show the worker that did the job, with its uptime', async () => {
      const cells = await page.$$eval('#fleet-rows tr:first-child td', (tds) =>
        tds.map((td) => td.textContent),
      );
      return /^(running|idle)$/.test(cells[1] ?? '') && cells[3] === '1' && /^\d+ s$/.test(cells[4] ?? '')
        ? true
        : undefined;
    });
    expect(await page.textContent('#decision-rows')).toMatch(/scaleOut.*below the minimum of 1/s);
    // The job passed through the backlog: the backlog line's scale tops at 1, the fleet's at 1.
    await waitFor('the backlog and fleet chart to show the job', async () =>
      (await page.textContent('#series text.axis.backlog')) === '1' ? true : undefined,
    );
    expect(await page.textContent('#series text.axis.fleet')).toBe('1');
    expect(await page.locator('#series path.line').count()).toBe(2);
    await saveScreenshot(page, 'debug-after-upload');
  }, 90_000);

  it('steps the job back and forth through its history, each state replayed by the server', async () => {
    // The state after each of the job's events. A worker may take the job, and even classify it,
    // before its JobQueued is written (the machine allows it, and ignores a JobQueued that comes
    // after the result): where that event falls, and whether it is there, is read from the log.
    const events = (await (await fetch(`${baseUrl}/api/jobs/${jobId}/events`)).json()) as { type: string }[];
    const n = events.length;
    const stateAfter: Record<string, string | undefined> = {
      JobUploaded: 'uploaded',
      JobQueued: 'queued',
      JobAttemptStarted: undefined,
      JobClassified: 'classified',
      JobReported: 'reported',
    };
    const expected: string[] = [];
    for (const { type } of events) expected.push(stateAfter[type] ?? expected[expected.length - 1]);
    const types = events.map((e) => e.type).sort();
    const allFive = Object.keys(stateAfter).sort();
    expect([allFive, allFive.filter((type) => type !== 'JobQueued')]).toContainEqual(types);
    await page.fill('#inspect-ref', jobId);
    await page.click('#inspect-form button[type=submit]');
    await page.waitForFunction(
      (n) => document.getElementById('inspect-position')?.textContent === `event ${n} of ${n}`,
      n,
    );

    const expectStateAfter = async (k: number) => {
      await page.waitForFunction(
        ([k, n]) => document.getElementById('inspect-position')?.textContent === `event ${k} of ${n}`,
        [k, n],
      );
      expect(await page.textContent('#inspect-state')).toBe(expected[k - 1]);
      await page.waitForFunction(
        (state) =>
          document.querySelector('#inspect-chart svg g.node.current text')?.textContent?.trim() === state,
        expected[k - 1],
      );
      expect(await page.locator('#inspect-events li.current').getAttribute('data-index')).toBe(String(k));
    };
    await expectStateAfter(n);

    for (let k = n - 1; k >= 1; k--) {
      const replayed = page.waitForResponse(
        (r) => r.url().includes(`/debug/api/streams/`) && r.url().endsWith(`k=${k}`),
      );
      await page.click('#inspect-prev');
      expect((await replayed).status()).toBe(200);
      await expectStateAfter(k);
    }
    expect(await page.isDisabled('#inspect-prev')).toBe(true);
    await page.click('#inspect-next');
    await expectStateAfter(2);
    await page.locator('#inspect-slider').fill(String(n - 1));
    await expectStateAfter(n - 1);
    // Drawn as visited: the states the job passed through before the one it is in (classified).
    const visited = await page.$$eval('#inspect-chart svg g.node.visited', (nodes) =>
      nodes.map((node) => node.querySelector('text')?.textContent?.trim()),
    );
    const passed = new Set(expected.slice(0, n - 2));
    passed.delete(expected[n - 2]);
    expect(visited.sort()).toEqual([...passed].sort());
    expect(refused).toEqual([]);
    await saveScreenshot(page, 'debug-inspector');
  }, 60_000);

  it('answers 404 for an unknown stream and 400 for a step outside the stream, with reasons', async () => {
    const unknown = await fetch(`${baseUrl}/debug/api/streams/no-such-thing`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({
      error: 'unknown_stream',
      message: 'No job, worker or controller stream no-such-thing in the log',
    });
    const { length } = (await (await fetch(`${baseUrl}/api/jobs/${jobId}/events`)).json()) as unknown[];
    for (const k of [0, length + 1]) {
      const outside = await fetch(`${baseUrl}/debug/api/streams/job-${jobId}?k=${k}`);
      expect(outside.status).toBe(400);
      expect(await outside.json()).toEqual({
        error: 'step_out_of_range',
        message: `k must be a whole number from 1 to ${length}, the stream's events; got ${k}`,
      });
    }
    const malformed = await fetch(`${baseUrl}/debug/api/streams/controller?k=two`);
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { error: string }).error).toBe('invalid_request');
  });
});
