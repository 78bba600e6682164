import { newCardUuid } from '../../src/render/cardUuid.js';

describe('card uuids', () => {
  test('version 7 (RFC 9562 variant), lower-case, 36 characters', () => {
    expect(newCardUuid()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  test('no two alike across several refills of the random pool (256 uuids a pool)', () => {
    const many = Array.from({ length: 5000 }, () => newCardUuid());
    expect(new Set(many).size).toBe(many.length);
    // The random part differs too, not only the time: 74 random bits each.
    expect(new Set(many.map((u) => u.slice(15))).size).toBe(many.length);
  });

  test('time-ordered: the first 48 bits are the issue time in ms', () => {
    const before = Date.now();
    const u = newCardUuid();
    const after = Date.now();
    const ms = parseInt(u.replace(/-/g, '').slice(0, 12), 16);
    expect(ms).toBeGreaterThanOrEqual(before);
    expect(ms).toBeLessThanOrEqual(after);
  });
});
