import type { FlaggedResult, NotAssessableResult } from '../guideline/flaggedResults.js';
import type { ScreeningAbnormalFinding } from '../guideline/patientViewFindings.js';
import { buildCard, SUMMARY_MAX_CODE_POINTS } from './cardBuilder.js';
import type { CdsCard } from '../model/cdsResponse.js';
import { dateText, resultName, shortAnalyteName, valueText } from './labText.js';
import { blocks, cardFrame, patientOverrideReasons, recommendationLine, type RenderContext } from './renderContext.js';

const KIND = 'screening-abnormal';

/**
 * The hints for a direction: the analyte's own (`<analyte>-<direction>`: total calcium's "read with albumin"),
 * else the group's (`<group>-<direction>`), else the group's without direction; a flag without direction gets both.
 */
function hintsFor(ctx: RenderContext, f: FlaggedResult): string[] {
  const key = (k: string): string | undefined => (ctx.texts.has(KIND, ctx.lang, `hints.${k}`) ? ctx.texts.get(KIND, ctx.lang, `hints.${k}`) : undefined);
  const directions = f.direction === 'abnormal' ? (['high', 'low'] as const) : [f.direction];
  const found = directions.map((d) => (f.analyteId !== f.groupId ? key(`${f.analyteId}-${d}`) : undefined) ?? key(`${f.groupId}-${d}`)).filter((h): h is string => h !== undefined);
  const neutral = key(f.groupId);
  return found.length > 0 ? found : neutral ? [neutral] : [];
}

/**
 * A not-assessable result: "<analyte> <value> (<date>): cannot be assessed automatically — see the
 * lab's report" (docs/clinical-rules.md §3.2). Exported for the non-drug card, which lists them when no
 * screening-abnormal card is raised.
 */
export function notAssessableLine(ctx: RenderContext, r: NotAssessableResult): string {
  return ctx.texts.fill(KIND, ctx.lang, 'notAssessableItem', {
    name: resultName(ctx, r.result),
    value: valueText(ctx, r.result),
    date: dateText(ctx, r.result.time, r.result.timePrecision, ctx.texts.get(KIND, ctx.lang, 'noDate')),
  });
}

/** The flagged-results card (docs/clinical-rules.md §3.2): worded so that GSB can coexist with what is found. */
export function renderScreeningAbnormal(f: ScreeningAbnormalFinding, ctx: RenderContext): CdsCard {
  const t = (key: string, values = {}): string => ctx.texts.fill(KIND, ctx.lang, key, values);
  const basis = (r: FlaggedResult): string =>
    r.basis === 'reference-range' ? `, ${t('basisRange')}` : r.basis === 'off-scale' ? `, ${t('basisOffScale')}` : '';
  const flaggedLines = f.flagged.map((r) =>
    t('flaggedItem', {
      name: resultName(ctx, r.result),
      value: valueText(ctx, r.result),
      flag: `${ctx.texts.get(KIND, ctx.lang, `flag.${r.direction}`)}${basis(r)}`,
      date: dateText(ctx, r.result.time, r.result.timePrecision, t('noDate')),
    }),
  );
  // One hint line per group and hint, so five flagged cell types do not repeat one hint five times.
  const hintLines = [...new Set(f.flagged.flatMap((r) => hintsFor(ctx, r).map((hint) => t('hintItem', { name: shortAnalyteName(ctx, r.groupId), hint }))))];
  const notAssessable = f.notAssessable.map((r) => notAssessableLine(ctx, r));
  const names = [...new Set(f.flagged.map((r) => shortAnalyteName(ctx, r.groupId)))].join(', ');
  let summary = t('summary', { count: f.flagged.length, names });
  if (Array.from(summary).length > SUMMARY_MAX_CODE_POINTS) summary = t('summaryMore', { count: f.flagged.length });
  return buildCard({
    frame: cardFrame(ctx, KIND),
    summary,
    detail: blocks(
      recommendationLine(ctx, KIND),
      t('intro'),
      f.phase === 'established' && t(f.anchoredByOnset ? 'establishedOnset' : 'established'),
      `${t('flaggedHeading')}\n\n${flaggedLines.join('\n')}`,
      notAssessable.length > 0 && `${t('notAssessableHeading')}\n\n${notAssessable.join('\n')}`,
      hintLines.length > 0 && `${t('hintsHeading')}\n\n${hintLines.join('\n')}`,
      hintLines.length > 0 && ctx.texts.get('common', ctx.lang, 'clinicalAid'),
      t('referral'),
    ),
    indicator: f.indicator,
    overrideReasons: patientOverrideReasons(ctx),
  });
}
