import { isLoopbackHost } from '../../src/model/loopback.js';

describe('isLoopbackHost', () => {
  it.each(['localhost', '127.0.0.1', '127.1.2.3', '[::1]', '::1'])('%s is loopback', (h) => expect(isLoopbackHost(h)).toBe(true));
  it.each(['localhost.evil.com', '128.0.0.1', '10.0.0.1', '[::2]', 'example.org', '0.0.0.0'])('%s is not', (h) =>
    expect(isLoopbackHost(h)).toBe(false),
  );
  it('URL-normalised IPv4 shorthands count', () => {
    expect(isLoopbackHost(new URL('http://127.1/').hostname)).toBe(true);
    expect(isLoopbackHost(new URL('http://2130706433/').hostname)).toBe(true);
  });
});
