import { createHmac } from 'node:crypto';
import { signWebhook, verifyWebhook } from './webhook-signature';

const secret = 'whsec-0123456789abcdef';
const body = '{"id":"j1","status":"reported"}';

describe('webhook signatures', () => {
  it('signs "<timestamp>.<body>" with HMAC-SHA256, as a receiver recomputes it with node:crypto alone', () => {
    const header = signWebhook(secret, body, 1_765_000_000);
    const expected = createHmac('sha256', secret).update(`1765000000.${body}`).digest('hex');
    expect(header).toBe(`t=1765000000,v1=${expected}`);
  });

  it('verifies its own signature within the tolerance', () => {
    const header = signWebhook(secret, body, 1_000_000);
    expect(verifyWebhook(secret, body, header, 1_000_000)).toBe(true);
    expect(verifyWebhook(secret, body, header, 1_000_300)).toBe(true);
  });

  it('refuses another body, another secret, an old or a future timestamp, and a malformed header', () => {
    const header = signWebhook(secret, body, 1_000_000);
    expect(verifyWebhook(secret, `${body} `, header, 1_000_000)).toBe(false);
    expect(verifyWebhook('another-secret-0123', body, header, 1_000_000)).toBe(false);
    expect(verifyWebhook(secret, body, header, 1_000_301)).toBe(false);
    expect(verifyWebhook(secret, body, header, 999_699)).toBe(false);
    expect(verifyWebhook(secret, body, header.replace('t=1000000', 't=1000001'), 1_000_000)).toBe(false);
    expect(verifyWebhook(secret, body, undefined, 1_000_000)).toBe(false);
    expect(verifyWebhook(secret, body, 'v1=abc', 1_000_000)).toBe(false);
  });
});
