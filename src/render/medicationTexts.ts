import type { RecommendationStrength } from '../guideline/medicationFindings.js';
import { OVERRIDE_REASON_SYSTEM } from './cardBuilder.js';
import type { CdsCoding } from '../model/cdsResponse.js';
import type { RenderContext } from './renderContext.js';

/** The override reasons of the medication cards (guideline-rules §4), in the card's language. */
export const MEDICATION_OVERRIDE_REASONS = [
  'treatment-plan-agreed',
  'non-drug-insufficient',
  'continuing-or-tapering',
  'short-term-or-as-needed',
  'acute-pain',
  'palliative-or-cancer-pain',
  'other-indication',
  'specialist-decision',
] as const;

export function medicationOverrideReasons(ctx: RenderContext): CdsCoding[] {
  return MEDICATION_OVERRIDE_REASONS.map((code) => ({
    system: OVERRIDE_REASON_SYSTEM,
    code,
    display: ctx.texts.get('medication', ctx.lang, `overrideReasons.${code}`),
  }));
}

/** The finding's strength as the label in cards/common.yaml ("God praksis", "Svag anbefaling MOD", …). */
export function strengthLabel(ctx: RenderContext, strength: RecommendationStrength): string {
  const key = strength === null ? 'none' : strength === 'good-practice-against' ? 'good-practice' : strength;
  return ctx.texts.get('common', ctx.lang, `strength.${key}`);
}

export function ingredientName(ctx: RenderContext, i: { nameEn: string; nameDa: string }): string {
  return ctx.lang === 'da' ? i.nameDa : i.nameEn;
}
