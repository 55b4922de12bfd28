import { CallbackHostNotAllowedError, InvalidCallbackUrlError, parseCallbackUrl } from './callback-url';

const config = { allowedHosts: ['hooks.example.com', '127.0.0.1:9000', '[::1]:8080'] };

describe('parseCallbackUrl', () => {
  it.each([
    'https://hooks.example.com/jobs?team=a',
    'http://hooks.example.com:8443/jobs',
    'HTTPS://HOOKS.EXAMPLE.COM/jobs',
    'http://127.0.0.1:9000/hook',
    'http://[::1]:8080/hook',
  ])('takes %s: a host on the list (any port when the entry names none)', (url) => {
    expect(parseCallbackUrl(url, config)).toBe(url);
  });

  it('takes no callback URL at all', () => {
    expect(parseCallbackUrl(undefined, config)).toBeUndefined();
  });

  it.each([
    ['http://127.0.0.1:9001/hook', 'another port than the one listed'],
    ['http://evil.example.com/hook', 'another host'],
    ['http://hooks.example.com.evil.net/hook', 'a host that only starts like one listed'],
    ['http://[::1]:9/hook', 'another port of a listed IPv6 address'],
  ])('refuses %s (%s) as not allowed', (url) => {
    expect(() => parseCallbackUrl(url, config)).toThrow(CallbackHostNotAllowedError);
  });

  it.each([
    ['ftp://hooks.example.com/x', /http or https/],
    ['file:///etc/passwd', /http or https/],
    ['hooks.example.com/jobs', /not an absolute URL/],
    ['https://user:secret@hooks.example.com/', /credentials/],
    [`https://hooks.example.com/${'a'.repeat(2048)}`, /longer than 2048/],
  ])('refuses %s as invalid, saying why', (url, why) => {
    expect(() => parseCallbackUrl(url, config)).toThrow(InvalidCallbackUrlError);
    expect(() => parseCallbackUrl(url, config)).toThrow(why);
  });

  it('refuses every URL when the list is empty, saying that callbacks are off', () => {
    expect(() => parseCallbackUrl('https://hooks.example.com/', { allowedHosts: [] })).toThrow(
      /callbacks are off here/,
    );
  });
});
