import type { DrugKindEntry } from '../terminology/drugKinds.js';
import { codePointCount, firstCodePoints, SUMMARY_MAX_CODE_POINTS } from './cardBuilder.js';
import { escapeMarkdown, Markdown } from './cardTexts.js';
import { MEDICATION_OVERRIDE_REASON_CODES } from '../model/overrideReasons.js';
import { overrideReasonList, strengthLine, type RenderContext } from './renderContext.js';

/** The override reasons of the medication cards, in the card's language. */
export const medicationOverrideReasons = overrideReasonList('medication', MEDICATION_OVERRIDE_REASON_CODES);

/** A template filled as plain text (summaries, labels, action descriptions): nothing is Markdown-escaped. */
export function plainFill(ctx: RenderContext, kind: string, key: string, values: Record<string, string | number> = {}): string {
  return ctx.texts.plainFill(kind, ctx.lang, key, values);
}

/**
 * "<message>: <drug>" in plain text under the summary limit: the message is kept whole. A drug name too long
 * for it ("24 HR venlafaxine 75 MG Extended Release Oral Capsule") gives way to `shortDrug`, the drug by its
 * ingredients, whole rather than a product name cut off mid-word (the detail names the product); only what
 * is still too long is cut (docs/clinical-rules.md §4).
 */
export function summaryWithDrug(ctx: RenderContext, message: string, drug: string, shortDrug?: string): string {
  const full = plainFill(ctx, 'medication', 'summaryWithDrug', { message, drug });
  // No more UTF-16 units than the limit: no more code points either (the usual case, no array of them).
  if (full.length <= SUMMARY_MAX_CODE_POINTS || codePointCount(full) <= SUMMARY_MAX_CODE_POINTS) return full;
  let name = drug;
  if (shortDrug && shortDrug !== drug) {
    const short = plainFill(ctx, 'medication', 'summaryWithDrug', { message, drug: shortDrug });
    if (codePointCount(short) <= SUMMARY_MAX_CODE_POINTS) return short;
    // Neither fits: cut the shorter, which keeps more of itself.
    if (codePointCount(shortDrug) < codePointCount(drug)) name = shortDrug;
  }
  const withoutDrug = codePointCount(plainFill(ctx, 'medication', 'summaryWithDrug', { message, drug: '' }));
  const room = SUMMARY_MAX_CODE_POINTS - withoutDrug - 1;
  const cut = room > 0 ? `${firstCodePoints(name.replace(/\s+/g, ' ').trim(), room).trimEnd()}…` : '…';
  return plainFill(ctx, 'medication', 'summaryWithDrug', { message, drug: cut });
}

/**
 * "<message>: <drugs>" for a list of drugs, under the summary limit: the names as listed, else by their
 * ingredients, else as many whole ingredient names as fit and "og N flere" — never a name cut mid-word
 * ("…, pregabalin, gaba…"). Only a first name too long on its own is cut (`summaryWithDrug`).
 */
export function summaryWithNames(ctx: RenderContext, message: string, names: readonly string[], shortNames: readonly string[]): string {
  const fits = (s: string): boolean => codePointCount(s) <= SUMMARY_MAX_CODE_POINTS;
  for (const list of [names, shortNames]) {
    const s = plainFill(ctx, 'medication', 'summaryWithDrug', { message, drug: nameList(ctx, list) });
    if (fits(s)) return s;
  }
  const distinct = [...new Set(shortNames)];
  for (let n = Math.min(distinct.length, MAX_LISTED_NAMES) - 1; n >= 1; n--) {
    const drug = ctx.texts.plainFillCounted('medication', ctx.lang, 'moreNames', distinct.length - n, { names: distinct.slice(0, n).join(', ') });
    const s = plainFill(ctx, 'medication', 'summaryWithDrug', { message, drug });
    if (fits(s)) return s;
  }
  return summaryWithDrug(ctx, message, nameList(ctx, names), nameList(ctx, shortNames));
}

/**
 * The kind's strength as the card shows it, with its direction ("God praksis – imod"), from the one
 * drug-kind table: a label never reads as an endorsement.
 */
export function strengthLabel(ctx: RenderContext, entry: DrugKindEntry): string {
  const key =
    entry.strength === 'none'
      ? 'none'
      : entry.strength === 'good-practice'
        ? 'good-practice'
        : `${entry.strength}-${entry.direction === 'against' ? 'against' : 'for'}`;
  const base = ctx.texts.get('common', ctx.lang, `strength.${key}`);
  return entry.strength === 'good-practice' && entry.direction === 'against' ? plainFill(ctx, 'medication', 'strengthAgainst', { strength: base }) : base;
}

/**
 * The strength as a summary names it mid-sentence, in brackets after the message ("… (svag anbefaling MOD)"):
 * the same label, its first letter in lower case. From the drug-kind table, so a summary can never state
 * another strength than the card's recommendation line.
 */
export function summaryStrength(ctx: RenderContext, entry: DrugKindEntry): string {
  const label = strengthLabel(ctx, entry);
  return label.charAt(0).toLocaleLowerCase(ctx.lang) + label.slice(1);
}

/** "**Svag anbefaling MOD:** …", or "**Ingen anbefaling:** …" for a kind without a recommendation. */
export function drugRecommendationLine(ctx: RenderContext, kind: string, entry: DrugKindEntry): string {
  const text = ctx.texts.get(kind, ctx.lang, 'recommendation');
  if (entry.strength === 'none') return ctx.texts.fill('medication', ctx.lang, 'noRecommendationLine', { text: new Markdown(text) });
  return strengthLine(ctx, strengthLabel(ctx, entry), text);
}

/** Ingredients named in the card's language, joined with " + " (a combination, or a drug named only by a code). */
/** Names a card lists at most in one list (opioids taken, current drugs of one kind); the rest are counted. */
export const MAX_LISTED_NAMES = 10;

/**
 * Drug names as one list: each name once (one drug ordered three times reads the same), at most
 * MAX_LISTED_NAMES, then "and N more" — a card stays readable and bounded however many orders the EHR
 * sends. Plain text; as Markdown (each name escaped) when `markdown` is set.
 */
export function nameList(ctx: RenderContext, names: Iterable<string>, markdown = false): string {
  const distinct = [...new Set(names)];
  const shown = distinct.slice(0, MAX_LISTED_NAMES);
  const listed = (markdown ? shown.map(escapeMarkdown) : shown).join(', ');
  const more = distinct.length - shown.length;
  if (more === 0) return listed;
  return markdown
    ? ctx.texts.fillCounted('medication', ctx.lang, 'moreNames', more, { names: new Markdown(listed) })
    : ctx.texts.plainFillCounted('medication', ctx.lang, 'moreNames', more, { names: listed });
}

export function ingredientNames(ctx: RenderContext, ingredients: ReadonlyArray<{ nameEn: string; nameDa: string }>): string {
  return ingredients.map((i) => (ctx.lang === 'da' ? i.nameDa : i.nameEn)).join(' + ');
}

/** A drug already taken, as the cards name it: by its ingredients when its order has only a code ("oxycodon", not "N02AA05"). */
export function takenDrugName(
  ctx: RenderContext,
  d: { drugText: string; namedByCode: boolean; ingredients: ReadonlyArray<{ nameEn: string; nameDa: string }> },
): string {
  return d.namedByCode && d.ingredients.length > 0 ? ingredientNames(ctx, d.ingredients) : d.drugText || '?';
}
