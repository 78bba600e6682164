import { buildReport, formatReport, TOP_REASONS } from '../../src/store/report.js';
import { isoWeek } from '../../src/store/isoWeek.js';

describe('the feedback report', () => {
  const rows = {
    weeks: [
      { kind: 'tramadol', language: 'da', week: '2026-W48', issued: 4, accepted: 1, overridden: 2, acceptedUnknown: 0, noAnswer: 1 },
      { kind: 'tramadol', language: 'da', week: '2026-W49', issued: 2, accepted: 0, overridden: 1, acceptedUnknown: 0, noAnswer: 1 },
      { kind: 'screening-incomplete', language: 'en', week: '2026-W49', issued: 1, accepted: 0, overridden: 0, acceptedUnknown: 0, noAnswer: 1 },
    ],
    suggestions: [{ kind: 'tramadol', language: 'da', name: 'delete', cards: 1 }],
    reasons: [
      ...Array.from({ length: TOP_REASONS + 1 }, (_, i) => ({ kind: 'tramadol', language: 'da', system: 'http://example.org/override', code: `r${i}`, cards: 1 })),
      { kind: 'tramadol', language: 'da', system: '', code: '', cards: 2 },
    ],
    unmatchedCards: 3,
  };

  test('per kind and language: totals over weeks, accepted suggestions, top override reasons (most first, at most five)', () => {
    const r = buildReport(rows, 'sqlite', Date.parse('2026-12-01T00:00:00Z'));
    expect(r.totals).toEqual({ issued: 7, accepted: 1, overridden: 3, acceptedUnknown: 0, noAnswer: 3 });
    const tramadol = r.kinds.find((k) => k.kind === 'tramadol');
    expect(tramadol).toMatchObject({ language: 'da', issued: 6, accepted: 1, overridden: 3, noAnswer: 2, acceptedSuggestions: [{ suggestion: 'delete', cards: 1 }] });
    expect(tramadol?.topOverrideReasons).toHaveLength(TOP_REASONS);
    expect(tramadol?.topOverrideReasons[0]).toEqual({ reason: '(no reason: dismissed)', cards: 2 });
    expect(r.weeks.map((w) => w.week)).toEqual(['2026-W48', '2026-W49', '2026-W49']);
    expect(r.feedbackForUnknownCards).toBe(3);
  });

  test('as text: one line per kind and language, its suggestions and reasons, and a table per week', () => {
    const text = formatReport(buildReport(rows, 'postgres', Date.parse('2026-12-01T00:00:00Z')));
    expect(text).toContain('store: postgres');
    expect(text).toContain('tramadol [da]: 6 issued, 1 accepted (17 %), 3 overridden (50 %), 2 no answer (33 %)');
    expect(text).toContain('    accepted: delete — 1 card(s)');
    expect(text).toContain('    overridden: (no reason: dismissed) — 2 card(s)');
    expect(text).toMatch(/2026-W49\s+screening-incomplete\s+en\s+1\s+0\s+0\s+1/);
    expect(text).toContain('Feedback for 3 card(s) not in the card log (or sent to another service\'s feedback endpoint).');
  });

  test('cards whose only acceptances name suggestions they never had: counted apart, not as accepted; the text says so only when there are some', () => {
    const withUnknown = { ...rows, weeks: [...rows.weeks, { kind: 'tramadol', language: 'da', week: '2026-W49', issued: 2, accepted: 0, overridden: 0, acceptedUnknown: 2, noAnswer: 0 }] };
    const r = buildReport(withUnknown, 'sqlite', Date.parse('2026-12-01T00:00:00Z'));
    expect(r.totals).toEqual({ issued: 9, accepted: 1, overridden: 3, acceptedUnknown: 2, noAnswer: 3 });
    const text = formatReport(r);
    expect(text).toContain('tramadol [da]: 8 issued, 1 accepted (13 %), 3 overridden (38 %), 2 accepted an unknown suggestion (25 %), 2 no answer (25 %)');
    expect(text).toContain('lang  issued accepted overridden unknown-suggestion no-answer');
    expect(text).toMatch(/2026-W49\s+tramadol\s+da\s+2\s+0\s+0\s+2\s+0/);
    expect(formatReport(buildReport(rows, 'sqlite', 0))).not.toMatch(/unknown/);
  });

  test('ISO weeks: Monday starts the week; the first Thursday decides the year', () => {
    expect(isoWeek(Date.parse('2026-11-25T12:00:00Z'))).toBe('2026-W48');
    expect(isoWeek(Date.parse('2026-11-30T00:00:00Z'))).toBe('2026-W49');
    expect(isoWeek(Date.parse('2027-01-01T00:00:00Z'))).toBe('2026-W53');
    expect(isoWeek(Date.parse('2025-12-29T00:00:00Z'))).toBe('2026-W01');
  });
});
