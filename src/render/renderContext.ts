import type { Language } from '../model/language.js';
import { OVERRIDE_REASON_SYSTEM, type CardInput } from './cardBuilder.js';
import type { CdsCoding } from '../model/cdsResponse.js';
import type { CardTexts } from './cardTexts.js';

export interface RenderContext {
  lang: Language;
  texts: CardTexts;
  guidelineUrl: string;
  patientId: string;
}

/** What every card of a kind shares: source, topic, the guideline's status line and the link to the guideline. */
export function cardFrame(ctx: RenderContext, kind: string): Pick<CardInput, 'kind' | 'kindDisplay' | 'sourceLabel' | 'sourceUrl' | 'guidelineStatus' | 'links'> {
  return {
    kind,
    kindDisplay: ctx.texts.get(kind, ctx.lang, 'topic'),
    sourceLabel: ctx.texts.get('common', ctx.lang, 'sourceLabel'),
    sourceUrl: ctx.guidelineUrl,
    // cards/common.yaml, or GUIDELINE_STATUS_DA/_EN (docs/clinical-rules.md §5).
    guidelineStatus: ctx.texts.get('common', ctx.lang, 'guidelineStatus'),
    links: [{ label: ctx.texts.get('common', ctx.lang, 'guidelineLink'), url: ctx.guidelineUrl, type: 'absolute' }],
  };
}

/** "**Recommendation (good practice):** …" from the kind's `recommendation` text and strength. */
export function recommendationLine(ctx: RenderContext, kind: string, textKey = 'recommendation'): string {
  const strength = ctx.texts.meta(kind).strength ?? 'none';
  return ctx.texts.fill('common', ctx.lang, 'recommendationLine', {
    strength: ctx.texts.get('common', ctx.lang, `strength.${strength}`),
    text: ctx.texts.get(kind, ctx.lang, textKey),
  });
}

const PATIENT_OVERRIDE_REASONS = ['already-addressed', 'not-relevant', 'address-later'] as const;

/** Override reasons of patient-level cards (docs/clinical-rules.md §6); feedback keys suppression on them. */
export function patientOverrideReasons(ctx: RenderContext): CdsCoding[] {
  return PATIENT_OVERRIDE_REASONS.map((code) => ({
    system: OVERRIDE_REASON_SYSTEM,
    code,
    display: ctx.texts.get('common', ctx.lang, `overrideReasons.${code}`),
  }));
}

/** Joins Markdown blocks with blank lines, so paragraphs stay paragraphs and lists stay lists. */
export function blocks(...parts: Array<string | false | undefined | null>): string {
  return parts.filter((p): p is string => typeof p === 'string' && p.trim() !== '').join('\n\n');
}
