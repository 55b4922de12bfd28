import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { ControlPlaneProcess, freePort, waitFor } from './support/control-plane-process';
import { datasetImages } from './support/paths';

const MiB = 1024 * 1024;
/** What the control plane's resident memory may grow by under the load below. */
const RSS_ALLOWANCE_BYTES = 150 * MiB;
const FILES = 100;
const FILE_BYTES = Math.ceil((1024 * MiB) / FILES);

/** A PNG of noise of about `bytes` bytes (noise hardly compresses). */
async function noisePng(bytes: number): Promise<Buffer> {
  const side = Math.ceil(Math.sqrt(bytes / 3));
  const png = await sharp(randomBytes(side * side * 3), { raw: { width: side, height: side, channels: 3 } })
    .png({ compressionLevel: 0 })
    .toBuffer();
  return png;
}

/** Resident memory of a process now and at its peak since the peak was last reset, from /proc. */
function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)![1]) * 1024;
  return { rss: kib('VmRSS'), peak: kib('VmHWM') };
}

/** Resets the peak resident memory the kernel reports for `pid` (Linux's clear_refs, value 5). */
const resetPeak = (pid: number) => writeFileSync(`/proc/${pid}/clear_refs`, '5');

/**
 * `POST /api/jobs` with `count` copies of `file`, streamed: the test never holds the body either.
 * Resolves with the status and the parsed answer.
 */
function postManyFiles(
  url: string,
  file: Buffer,
  count: number,
): Promise<{ status: number; body: { jobs?: unknown[] } }> {
  const boundary = `----upload-memory-${randomBytes(8).toString('hex')}`;
  const head = (i: number) =>
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="noise-${i}.png"\r\n` +
        'Content-Type: image/png\r\n\r\n',
    );
  const tail = Buffer.from(`--${boundary}--\r\n`);
  const length = Array.from({ length: count }, (_, i) => head(i).length + file.length + 2).reduce(
    (a, b) => a + b,
    tail.length,
  );
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${url}/api/jobs`,
      {
        method: 'POST',
        headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': length },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode!, body: JSON.parse(Buffer.concat(chunks).toString()) }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    let i = 0;
    const writeNext = (): void => {
      while (i < count) {
        req.write(head(i));
        req.write(file);
        const flushed = req.write('\r\n');
        i++;
        if (!flushed) {
          req.once('drain', writeNext);
          return;
        }
      }
      req.end(tail);
    };
    writeNext();
  });
}

describe('uploads held in memory only within their budget (32 MiB), the rest streamed to disk: the control plane under a 1 GiB request and 500 waiting POST /', () => {
  let dataDir: string;
  let service: ControlPlaneProcess;
  const photos = datasetImages('ilsvrc2012-val-sample').map((path) => readFileSync(path));

  const classify = (photo: Buffer, name: string) => {
    const form = new FormData();
    form.append('myfile', new Blob([photo], { type: 'image/jpeg' }), name);
    return fetch(`${service.url}/`, { method: 'POST', body: form });
  };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'upload-memory-'));
    service = new ControlPlaneProcess(dataDir, await freePort(), {
      MAX_UPLOAD_BYTES: String(FILE_BYTES + MiB),
      MIN_WORKERS: '1',
      MAX_WORKERS: '1',
    });
    await service.start();
    await service.workersRunning();
  });
  afterAll(async () => {
    await service.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('grows the control plane by at most 150 MB, answers every request, and keeps serving', async () => {
    const big = await noisePng(FILE_BYTES);
    const pid = service.pid!;

    // Warm up every path the load takes once, so that what is measured is what the load holds.
    expect((await classify(photos[0], 'warm-up.jpg')).status).toBe(200);
    expect((await postManyFiles(service.url, big, 2)).status).toBe(202);
    const before = memoryOf(pid).rss;
    resetPeak(pid);

    const [oneGiB, waiting] = await Promise.all([
      postManyFiles(service.url, big, FILES),
      Promise.all(
        Array.from({ length: 500 }, (_, i) => classify(photos[i % photos.length], `photo-${i}.jpg`)),
      ),
    ]);
    const grownBy = memoryOf(pid).peak - before;
    console.log(
      `control plane RSS before ${(before / MiB).toFixed(0)} MiB, peak +${(grownBy / MiB).toFixed(1)} MiB`,
    );

    expect(oneGiB.status).toBe(202);
    expect(oneGiB.body.jobs).toHaveLength(FILES);
    const statuses = waiting.map((res) => res.status);
    // Up to MAX_WAITING_CLASSIFY (256) wait for their label; the rest are turned away at once.
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(256);
    expect(statuses.every((s) => s === 200 || s === 503)).toBe(true);
    for (const res of waiting.filter((r) => r.status === 503))
      expect(res.headers.get('retry-after')).toBe('5');
    expect(grownBy).toBeLessThanOrEqual(RSS_ALLOWANCE_BYTES);

    // Still serving, and every temporary upload file is gone.
    const after = await classify(photos[1], 'after.jpg');
    expect(after.status).toBe(200);
    expect((await after.text()).length).toBeGreaterThan(0);
    await waitFor('the temporary upload files to be deleted', async () =>
      readdirSync(join(dataDir, 'uploads')).length === 0 ? true : undefined,
    );
  }, 300_000);
});
