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

  test('when full, the least recently used entry goes first', () => {
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
});
