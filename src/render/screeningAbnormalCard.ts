import type { FlaggedResult } from '../guideline/flaggedResults.js';
import { observationTime } from '../guideline/fhirDates.js';
import type { ScreeningAbnormalFinding } from '../guideline/patientViewFindings.js';
import { buildCard, SUMMARY_MAX_CODE_POINTS } from './cardBuilder.js';
import type { CdsCard } from '../model/cdsResponse.js';
import { blocks, cardFrame, patientOverrideReasons, type RenderContext } from './renderContext.js';
import { analyteName } from './screeningIncompleteCard.js';

const KIND = 'screening-abnormal';

/** The result as the lab gave it: comparator, value, unit; text values as text. */
export function valueText(o: fhir4.Observation): string {
  const q = o.valueQuantity;
  if (q && typeof q.value === 'number') return `${q.comparator ?? ''}${q.value}${q.unit ?? q.code ? ` ${q.unit ?? q.code}` : ''}`;
  if (typeof o.valueString === 'string') return o.valueString;
  if (o.valueCodeableConcept) return o.valueCodeableConcept.text ?? o.valueCodeableConcept.coding?.[0]?.display ?? o.valueCodeableConcept.coding?.[0]?.code ?? '?';
  if (typeof o.valueInteger === 'number') return String(o.valueInteger);
  return '?';
}

function dateText(ctx: RenderContext, o: fhir4.Observation): string {
  const t = observationTime(o);
  return t === undefined ? ctx.texts.get(KIND, ctx.lang, 'noDate') : new Date(t).toISOString().slice(0, 10);
}

function hintFor(ctx: RenderContext, f: FlaggedResult): string {
  const directed = `hints.${f.groupId}-${f.direction}`;
  return ctx.texts.has(KIND, ctx.lang, directed) ? ctx.texts.get(KIND, ctx.lang, directed) : ctx.texts.get(KIND, ctx.lang, `hints.${f.groupId}`);
}

/** The flagged-results card (guideline-rules §3.2): worded so that GSB can coexist with what is found. */
export function renderScreeningAbnormal(f: ScreeningAbnormalFinding, ctx: RenderContext): CdsCard {
  const t = (key: string, values = {}): string => ctx.texts.fill(KIND, ctx.lang, key, values);
  const flaggedLines = f.flagged.map((r) => {
    const flag = ctx.texts.get(KIND, ctx.lang, `flag.${r.direction}`);
    return t('flaggedItem', {
      name: analyteName(ctx, r.groupId),
      value: valueText(r.observation),
      flag: r.basis === 'reference-range' ? `${flag}, ${ctx.texts.get(KIND, ctx.lang, 'basisRange')}` : flag,
      date: dateText(ctx, r.observation),
    });
  });
  const hintLines = f.flagged.map((r) => t('hintItem', { name: analyteName(ctx, r.groupId), hint: hintFor(ctx, r) }));
  const notAssessable = f.notAssessable.map((r) =>
    t('notAssessableItem', { name: analyteName(ctx, r.groupId), value: valueText(r.observation), date: dateText(ctx, r.observation) }),
  );
  const names = f.flagged.map((r) => analyteName(ctx, r.groupId)).join(', ');
  let summary = t('summary', { count: f.flagged.length, names });
  if (Array.from(summary).length > SUMMARY_MAX_CODE_POINTS) summary = t('summaryMore', { count: f.flagged.length });
  return buildCard({
    ...cardFrame(ctx, KIND),
    summary,
    detail: blocks(
      t('intro'),
      `${t('flaggedHeading')}\n\n${flaggedLines.join('\n')}`,
      notAssessable.length > 0 && `${t('notAssessableHeading')}\n\n${notAssessable.join('\n')}`,
      `${t('hintsHeading')}\n\n${hintLines.join('\n')}`,
      ctx.texts.get('common', ctx.lang, 'clinicalAid'),
      t('referral'),
    ),
    indicator: f.indicator,
    overrideReasons: patientOverrideReasons(ctx),
  });
}
