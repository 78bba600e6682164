import { LogBudget } from '../../src/observability/logBudget.js';

function budget(perWindow = 3, windowMs = 1_000) {
  let now = 0;
  const reports: Array<{ notLogged: number; byKey: Record<string, number> }> = [];
  const b = new LogBudget({ perWindow, windowMs, clock: () => now, onSuppressed: (notLogged, byKey) => reports.push({ notLogged, byKey }) });
  return { b, reports, at: (ms: number) => (now = ms) };
}

describe('LogBudget', () => {
  test('allows perWindow lines a window, counts the rest by key, and reports them once the window ends', () => {
    const { b, reports, at } = budget();
    expect(['a', 'b', 'a'].map((k) => b.allow(k))).toEqual([true, true, true]);
    expect(['a', 'b', 'a'].map((k) => b.allow(k))).toEqual([false, false, false]);
    expect(reports).toEqual([]);
    at(999);
    expect(b.allow('a')).toBe(false);
    at(1_000);
    // The next window: the report first, then lines again.
    expect(b.allow('b')).toBe(true);
    expect(reports).toEqual([{ notLogged: 4, byKey: { a: 3, b: 1 } }]);
  });

  test('a window with nothing held back reports nothing', () => {
    const { b, reports, at } = budget();
    b.allow('a');
    at(5_000);
    b.allow('a');
    expect(reports).toEqual([]);
  });

  test('reports at the window’s end even when no line follows (a timer)', async () => {
    const { b, reports } = budget(1, 50);
    // The clock stands still here; only the timer can report.
    b.allow('a');
    b.allow('a');
    b.allow('c');
    await new Promise((r) => setTimeout(r, 120));
    expect(reports).toEqual([{ notLogged: 2, byKey: { a: 1, c: 1 } }]);
  });

  test('the timer is unref’d: it keeps no process alive', () => {
    const { b } = budget(0, 60_000);
    const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    b.allow('a');
    // An unref'd timer is not among the resources that keep the loop alive.
    expect(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBe(before);
  });
});
