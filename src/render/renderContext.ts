import type { OlderFhirVersion } from '../model/fhirVersion.js';
import type { Language } from '../model/language.js';
import { OVERRIDE_REASON_SYSTEM, PATIENT_OVERRIDE_REASON_CODES } from '../model/overrideReasons.js';
import type { CardFrame } from './cardBuilder.js';
import type { CdsCoding, CdsLink } from '../model/cdsResponse.js';
import { Markdown, type CardTexts } from './cardTexts.js';

export interface RenderContext {
  lang: Language;
  texts: CardTexts;
  guidelineUrl: string;
  patientId: string;
  /**
   * The EHR's FHIR version when the call showed it to be older than R4 (src/data/ehrFhirVersion.ts): the orders
   * a suggestion creates are written in it (suggestedOrders.ts); absent: R4.
   */
  fhirVersion?: OlderFhirVersion;
}

/**
 * One value per (loaded texts, key), built on first use: the texts never change once loaded, so every card of
 * a language can carry the same objects. The maker freezes what it returns; no caller may change it.
 */
function memoPerTexts<T>(): (ctx: RenderContext, key: string, make: () => T) => T {
  const memo = new WeakMap<CardTexts, Map<string, T>>();
  return (ctx, key, make) => {
    let byKey = memo.get(ctx.texts);
    if (!byKey) memo.set(ctx.texts, (byKey = new Map()));
    let value = byKey.get(key);
    if (value === undefined) byKey.set(key, (value = make()));
    return value;
  };
}

/** Freezes each element and the array, and returns the array with its own type (frozen is not a type here). */
function frozenList<T extends object>(list: T[]): T[] {
  for (const x of list) Object.freeze(x);
  Object.freeze(list);
  return list;
}

const frames = memoPerTexts<CardFrame>();

/**
 * What every card of a kind shares: source, topic, the guideline's status line and the link to the guideline.
 * Made once per (texts, language, guideline URL, kind), frozen and shared by every such card.
 */
export function cardFrame(ctx: RenderContext, kind: string): CardFrame {
  return frames(ctx, `${ctx.lang} ${kind} ${ctx.guidelineUrl}`, () => {
    const links: CdsLink[] = frozenList([{ label: ctx.texts.get('common', ctx.lang, 'guidelineLink'), url: ctx.guidelineUrl, type: 'absolute' }]);
    return Object.freeze({
      kind,
      kindDisplay: ctx.texts.get(kind, ctx.lang, 'topic'),
      sourceLabel: ctx.texts.get('common', ctx.lang, 'sourceLabel'),
      sourceUrl: ctx.guidelineUrl,
      // cards/common.yaml, or GUIDELINE_STATUS_DA/_EN (docs/clinical-rules.md §5).
      guidelineStatus: ctx.texts.get('common', ctx.lang, 'guidelineStatus'),
      links,
    });
  });
}

/** "**Good practice:** …" from the kind's `recommendation` text and strength. */
export function recommendationLine(ctx: RenderContext, kind: string, textKey = 'recommendation'): string {
  const strength = ctx.texts.meta(kind).strength ?? 'none';
  return strengthLine(ctx, ctx.texts.get('common', ctx.lang, `strength.${strength}`), ctx.texts.get(kind, ctx.lang, textKey));
}

/**
 * The recommendation led by its strength label, capitalised there ("weak recommendation" reads mid-sentence
 * elsewhere): "**Weak recommendation against:** …". `text` is the card's own Markdown.
 */
export function strengthLine(ctx: RenderContext, strength: string, text: string): string {
  return ctx.texts.fill('common', ctx.lang, 'recommendationLine', { strength: strength.charAt(0).toUpperCase() + strength.slice(1), text: new Markdown(text) });
}

/**
 * Override reasons as codings of OVERRIDE_REASON_SYSTEM, displayed from `section`'s `overrideReasons.<code>`
 * texts: one frozen list per language, shared by every card that offers it.
 */
export function overrideReasonList(section: string, codes: readonly string[]): (ctx: RenderContext) => CdsCoding[] {
  const perLanguage = memoPerTexts<CdsCoding[]>();
  return (ctx) =>
    perLanguage(ctx, ctx.lang, () =>
      frozenList(codes.map((code) => ({ system: OVERRIDE_REASON_SYSTEM, code, display: ctx.texts.get(section, ctx.lang, `overrideReasons.${code}`) }))),
    );
}

/** Override reasons of patient-level cards, in the card's language. */
export const patientOverrideReasons = overrideReasonList('common', PATIENT_OVERRIDE_REASON_CODES);

/** Joins Markdown blocks with blank lines, so paragraphs stay paragraphs and lists stay lists. */
export function blocks(...parts: Array<string | false | undefined | null>): string {
  return parts.filter((p): p is string => typeof p === 'string' && p.trim() !== '').join('\n\n');
}
