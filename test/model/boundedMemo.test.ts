import { BoundedMemo } from '../../src/model/boundedMemo.js';

describe('BoundedMemo', () => {
  test('makes a value once and gives it back while remembered, undefined values included', () => {
    const memo = new BoundedMemo<number | undefined>(10);
    let made = 0;
    const make = (k: string): number | undefined => {
      made += 1;
      return k === 'none' ? undefined : k.length;
    };
    expect(memo.get('abc', make)).toBe(3);
    expect(memo.get('abc', make)).toBe(3);
    expect(memo.get('none', make)).toBeUndefined();
    expect(memo.get('none', make)).toBeUndefined();
    expect(made).toBe(2);
  });

  test('when full, an entry not used since the last turnover goes first; one used since stays', () => {
    const memo = new BoundedMemo<string>(2);
    const made: string[] = [];
    const make = (k: string): string => {
      made.push(k);
      return k.toUpperCase();
    };
    memo.get('a', make);
    memo.get('b', make);
    memo.get('a', make); // a is now the most recently used
    memo.get('c', make); // b goes
    expect(memo.size).toBe(2);
    memo.get('a', make);
    memo.get('b', make);
    expect(made).toEqual(['a', 'b', 'c', 'b']);
  });

  test('never holds more than its bound, however many keys pass', () => {
    const memo = new BoundedMemo<number>(100);
    for (let i = 0; i < 10_000; i++) memo.get(`k${String(i)}`, () => i);
    expect(memo.size).toBeLessThanOrEqual(100);
    expect(memo.size).toBeGreaterThanOrEqual(50);
  });

  test('an entry used again and again stays while other keys stream past', () => {
    const memo = new BoundedMemo<number>(10);
    let made = 0;
    for (let i = 0; i < 1000; i++) {
      memo.get('hot', () => (made += 1));
      memo.get(`cold-${String(i)}`, () => -1);
    }
    expect(made).toBe(1);
  });
});
