import type { FlaggedResult, NotAssessableResult } from '../guideline/flaggedResults.js';
import type { ScreeningAbnormalFinding } from '../guideline/patientViewFindings.js';
import { buildCard, SUMMARY_MAX_CODE_POINTS } from './cardBuilder.js';
import type { CdsCard } from '../model/cdsResponse.js';
import { dateText, resultName, shortAnalyteName, valueText } from './labText.js';
import { blocks, cardFrame, patientOverrideReasons, recommendationLine, type RenderContext } from './renderContext.js';

const KIND = 'screening-abnormal';

/**
 * One hint line per group and direction (five flagged cell types do not repeat one hint five times; a high
 * total and a high ionised calcium give one calcium line). Per direction the analyte's own hint
 * (`<analyte>-<direction>`: total calcium's "read with albumin") wins over the group's (`<group>-<direction>`);
 * a group with neither gets its hint without direction (`<group>`); a flag without direction counts as both.
 */
function hintLines(ctx: RenderContext, flagged: readonly FlaggedResult[]): string[] {
  const key = (k: string): string | undefined => (ctx.texts.has(KIND, ctx.lang, `hints.${k}`) ? ctx.texts.get(KIND, ctx.lang, `hints.${k}`) : undefined);
  const chosen = new Map<string, { groupId: string; hint: string; own: boolean; direction?: 'high' | 'low' }>();
  // Groups with a flag whose direction neither the lab nor its range gave: their hints name their direction.
  const directionless = new Set<string>();
  for (const f of flagged) {
    if (f.direction === 'abnormal') directionless.add(f.groupId);
    let found = false;
    for (const d of f.direction === 'abnormal' ? (['high', 'low'] as const) : [f.direction]) {
      const own = f.analyteId !== f.groupId ? key(`${f.analyteId}-${d}`) : undefined;
      const hint = own ?? key(`${f.groupId}-${d}`);
      if (hint === undefined) continue;
      found = true;
      const prev = chosen.get(`${f.groupId}|${d}`);
      if (!prev || (!prev.own && own !== undefined)) chosen.set(`${f.groupId}|${d}`, { groupId: f.groupId, hint, own: own !== undefined, direction: d });
    }
    const neutral = found ? undefined : key(f.groupId);
    if (neutral !== undefined) chosen.set(`${f.groupId}|`, { groupId: f.groupId, hint: neutral, own: false });
  }
  // A group with hints in both directions (a high and a low result), or a flag without direction, says which is
  // which: a high-only hint (CK) under a flag that may be low must not read as the finding.
  const named = (groupId: string): boolean => directionless.has(groupId) || (chosen.has(`${groupId}|high`) && chosen.has(`${groupId}|low`));
  return [
    ...new Set(
      [...chosen.values()].map((c) =>
        c.direction !== undefined && named(c.groupId)
          ? ctx.texts.fill(KIND, ctx.lang, 'hintItemDirection', { name: shortAnalyteName(ctx, c.groupId), direction: ctx.texts.get(KIND, ctx.lang, `flag.${c.direction}`), hint: c.hint })
          : ctx.texts.fill(KIND, ctx.lang, 'hintItem', { name: shortAnalyteName(ctx, c.groupId), hint: c.hint }),
      ),
    ),
  ];
}

/**
 * A not-assessable result: "<analyte> <value> (<date>): cannot be assessed automatically — see the
 * lab's report" (docs/clinical-rules.md §3.2). Exported for the non-drug card, which lists them when no
 * screening-abnormal card is raised.
 */
export function notAssessableLine(ctx: RenderContext, r: NotAssessableResult): string {
  const value = valueText(ctx, r.result);
  const date = dateText(ctx, r.result.time, r.result.timePrecision, ctx.texts.get(KIND, ctx.lang, 'noDate'));
  // Codings that name different groups: named by every group they name ("TSH / CK"), as no one of them is the result's.
  const also = r.result.codedAlsoAs;
  if (also !== undefined && also.length > 0) {
    const names = [r.result.group, ...also].map((g) => shortAnalyteName(ctx, g.id)).join(' / ');
    return ctx.texts.fill(KIND, ctx.lang, 'notAssessableCodesItem', { names, value, date });
  }
  return ctx.texts.fill(KIND, ctx.lang, 'notAssessableItem', { name: resultName(ctx, r.result), value, date });
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
  const hints = hintLines(ctx, f.flagged);
  const notAssessable = f.notAssessable.map((r) => notAssessableLine(ctx, r));
  const names = [...new Set(f.flagged.map((r) => shortAnalyteName(ctx, r.groupId)))].join(', ');
  let summary = t('summary', { count: f.flagged.length, names });
  if (Array.from(summary).length > SUMMARY_MAX_CODE_POINTS) summary = t('summaryMore', { count: f.flagged.length });
  return buildCard({
    frame: cardFrame(ctx, KIND),
    summary,
    detail: blocks(
      recommendationLine(ctx, KIND),
      ctx.texts.fillCounted(KIND, ctx.lang, 'intro', f.flagged.length),
      f.phase === 'established' && t(f.anchoredByOnset ? 'establishedOnset' : 'established'),
      `${t('flaggedHeading')}\n\n${flaggedLines.join('\n')}`,
      notAssessable.length > 0 && `${t('notAssessableHeading')}\n\n${notAssessable.join('\n')}`,
      hints.length > 0 && `${t('hintsHeading')}\n\n${hints.join('\n')}`,
      hints.length > 0 && ctx.texts.get('common', ctx.lang, 'clinicalAid'),
      t('referral'),
    ),
    indicator: f.indicator,
    overrideReasons: patientOverrideReasons(ctx),
  });
}
