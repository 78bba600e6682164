/**
 * The feedback report: per card kind and language, cards issued, accepted (which suggestions),
 * overridden (top reasons) and unanswered, also per ISO week. Each card counts once: accepted if any
 * answer accepted one of its suggestions, else overridden if any answer overrode it, else apart if an answer
 * accepted only suggestion ids the card never had (src/store/sqlStore.ts says why).
 */
import type { ReportRows, Store } from './store.js';

export interface Counts {
  issued: number;
  accepted: number;
  overridden: number;
  /** Answered only by acceptances of suggestion ids the card never had: neither accepted nor overridden. */
  acceptedUnknown: number;
  noAnswer: number;
}

export interface KindReport extends Counts {
  kind: string;
  language: string;
  acceptedSuggestions: Array<{ suggestion: string; cards: number }>;
  topOverrideReasons: Array<{ reason: string; cards: number }>;
}

export interface FeedbackReport {
  generatedAt: string;
  store: Store['kind'];
  totals: Counts;
  kinds: KindReport[];
  weeks: Array<Counts & { week: string; kind: string; language: string }>;
  /** Cards answered by feedback but missing from the card log (unknown uuids, or a log entry lost). */
  feedbackForUnknownCards: number;
  /**
   * Quiet by design (docs/clinical-rules.md §6): cards made but not shown because a clinician had
   * answered the same finding. Not counted as issued: the EHR never saw them.
   */
  suppressed: { total: number; kinds: Array<{ kind: string; language: string; cards: number }> };
}

export const TOP_REASONS = 5;
const NO_REASON = '(no reason: dismissed)';

const add = (a: Counts, b: Counts): void => {
  a.issued += b.issued;
  a.accepted += b.accepted;
  a.overridden += b.overridden;
  a.acceptedUnknown += b.acceptedUnknown;
  a.noAnswer += b.noAnswer;
};

export function buildReport(rows: ReportRows, store: Store['kind'], now: number): FeedbackReport {
  const kinds = new Map<string, KindReport>();
  const totals: Counts = { issued: 0, accepted: 0, overridden: 0, acceptedUnknown: 0, noAnswer: 0 };
  const kindOf = (kind: string, language: string): KindReport => {
    const id = `${kind}\u0000${language}`;
    let k = kinds.get(id);
    if (!k) {
      k = { kind, language, issued: 0, accepted: 0, overridden: 0, acceptedUnknown: 0, noAnswer: 0, acceptedSuggestions: [], topOverrideReasons: [] };
      kinds.set(id, k);
    }
    return k;
  };
  for (const w of rows.weeks) {
    add(kindOf(w.kind, w.language), w);
    add(totals, w);
  }
  for (const s of rows.suggestions) kindOf(s.kind, s.language).acceptedSuggestions.push({ suggestion: s.name, cards: s.cards });
  for (const r of rows.reasons) {
    const reason = r.code === '' ? NO_REASON : r.system === '' ? r.code : `${r.system}|${r.code}`;
    kindOf(r.kind, r.language).topOverrideReasons.push({ reason, cards: r.cards });
  }
  const byCards = (a: { cards: number }, b: { cards: number }): number => b.cards - a.cards;
  for (const k of kinds.values()) {
    k.acceptedSuggestions.sort((a, b) => byCards(a, b) || a.suggestion.localeCompare(b.suggestion));
    k.topOverrideReasons = k.topOverrideReasons.sort((a, b) => byCards(a, b) || a.reason.localeCompare(b.reason)).slice(0, TOP_REASONS);
  }
  const quieted = new Map<string, { kind: string; language: string; cards: number }>();
  for (const q of rows.suppressed ?? []) {
    const id = `${q.kind}\u0000${q.language}`;
    const k = quieted.get(id) ?? { kind: q.kind, language: q.language, cards: 0 };
    k.cards += q.cards;
    quieted.set(id, k);
  }
  const suppressedKinds = [...quieted.values()].sort((a, b) => a.kind.localeCompare(b.kind) || a.language.localeCompare(b.language));
  return {
    generatedAt: new Date(now).toISOString(),
    store,
    totals,
    kinds: [...kinds.values()].sort((a, b) => a.kind.localeCompare(b.kind) || a.language.localeCompare(b.language)),
    weeks: rows.weeks
      .map((w) => ({ week: w.week, kind: w.kind, language: w.language, issued: w.issued, accepted: w.accepted, overridden: w.overridden, acceptedUnknown: w.acceptedUnknown, noAnswer: w.noAnswer }))
      .sort((a, b) => a.week.localeCompare(b.week) || a.kind.localeCompare(b.kind) || a.language.localeCompare(b.language)),
    feedbackForUnknownCards: rows.unmatchedCards,
    suppressed: { total: suppressedKinds.reduce((n, k) => n + k.cards, 0), kinds: suppressedKinds },
  };
}

export async function feedbackReport(store: Store, now: number): Promise<FeedbackReport> {
  return buildReport(await store.reportRows(), store.kind, now);
}

const pct = (n: number, of: number): string => (of === 0 ? '' : ` (${Math.round((100 * n) / of)} %)`);

/** One line's counts; the unknown-suggestion count only where there is one (most reports have none). */
const countsText = (c: Counts): string =>
  `${c.issued} issued, ${c.accepted} accepted${pct(c.accepted, c.issued)}, ${c.overridden} overridden${pct(c.overridden, c.issued)}, ` +
  (c.acceptedUnknown > 0 ? `${c.acceptedUnknown} accepted an unknown suggestion${pct(c.acceptedUnknown, c.issued)}, ` : '') +
  `${c.noAnswer} no answer${pct(c.noAnswer, c.issued)}`;

/** The report as text for a terminal (`npm run report`). */
export function formatReport(r: FeedbackReport): string {
  const lines: string[] = [];
  lines.push(`Feedback report — ${r.generatedAt} — store: ${r.store}`);
  lines.push(`All cards: ${countsText(r.totals)}`);
  lines.push('');
  if (r.kinds.length === 0) lines.push('No cards issued yet.');
  for (const k of r.kinds) {
    lines.push(`${k.kind} [${k.language}]: ${countsText(k)}`);
    for (const s of k.acceptedSuggestions) lines.push(`    accepted: ${s.suggestion} — ${s.cards} card(s)`);
    for (const o of k.topOverrideReasons) lines.push(`    overridden: ${o.reason} — ${o.cards} card(s)`);
  }
  if (r.weeks.length > 0) {
    lines.push('');
    lines.push('Per week:');
    const unknown = r.totals.acceptedUnknown > 0;
    lines.push(`  ${'week'.padEnd(9)} ${'kind'.padEnd(28)} lang  issued accepted overridden${unknown ? ' unknown-suggestion' : ''} no-answer`);
    for (const w of r.weeks) {
      const u = unknown ? ` ${String(w.acceptedUnknown).padStart(18)}` : '';
      lines.push(`  ${w.week.padEnd(9)} ${w.kind.padEnd(28)} ${w.language.padEnd(5)} ${String(w.issued).padStart(6)} ${String(w.accepted).padStart(8)} ${String(w.overridden).padStart(10)}${u} ${String(w.noAnswer).padStart(9)}`);
    }
  }
  lines.push('');
  lines.push(`Quieted by design (answered before, not shown again): ${r.suppressed.total} card(s)`);
  for (const q of r.suppressed.kinds) lines.push(`  ${q.kind} [${q.language}]: ${q.cards} quieted`);
  if (r.feedbackForUnknownCards > 0) {
    lines.push('');
    lines.push(`Feedback for ${r.feedbackForUnknownCards} card(s) not in the card log (or sent to another service's feedback endpoint).`);
  }
  return `${lines.join('\n')}\n`;
}
