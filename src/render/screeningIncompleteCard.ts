import type { ScreeningIncompleteFinding } from '../guideline/patientViewFindings.js';
import type { PanelGroup } from '../terminology/screeningPanelCodes.js';
import { buildCard, SUMMARY_MAX_CODE_POINTS, type SuggestionInput } from './cardBuilder.js';
import type { CdsAction, CdsCard } from '../model/cdsResponse.js';
import { Markdown } from './cardTexts.js';
import { analyteName, dateText, shortAnalyteName, undatedLine, withheldLine } from './labText.js';
import { blocks, cardFrame, patientOverrideReasons, recommendationLine, type RenderContext } from './renderContext.js';
import { notAssessableLine } from './screeningAbnormalCard.js';
import { labTestOrder } from './suggestedOrders.js';


const KIND = 'screening-incomplete';

function list(ctx: RenderContext, groups: readonly PanelGroup[]): Markdown {
  return new Markdown(groups.map((g) => ctx.texts.fill(KIND, ctx.lang, 'listItem', { name: analyteName(ctx, g.id) })).join('\n'));
}

/**
 * Names every group not taken when it fits; else as many as fit, then "and N more". TSH, CK, vitamin D lead.
 * With results withheld from the user, "not found" rather than "not taken".
 */
function summary(ctx: RenderContext, groups: readonly PanelGroup[], withheld: boolean): string {
  const [key, moreKey] = withheld ? ['summaryWithheld', 'summaryWithheldMore'] : ['summary', 'summaryMore'];
  const names = groups.map((g) => shortAnalyteName(ctx, g.id));
  const all = ctx.texts.fill(KIND, ctx.lang, key, { missing: names.join(', ') });
  if (Array.from(all).length <= SUMMARY_MAX_CODE_POINTS) return all;
  for (let n = names.length - 1; n >= 1; n--) {
    const s = ctx.texts.plainFillCounted(KIND, ctx.lang, moreKey, names.length - n, { first: names.slice(0, n).join(', ') });
    if (Array.from(s).length <= SUMMARY_MAX_CODE_POINTS) return s;
  }
  return ctx.texts.plainFillCounted(KIND, ctx.lang, moreKey, names.length - 1, { first: names[0] ?? '' });
}

function orderAction(ctx: RenderContext, f: ScreeningIncompleteFinding, group: PanelGroup, code: string): CdsAction {
  const name = analyteName(ctx, group.id);
  const resource = labTestOrder(ctx.fhirVersion, {
    patientId: ctx.patientId,
    code: { coding: [{ system: f.orderSystem.uri, code }], text: name },
    ...(f.reasonCode ? { reason: f.reasonCode } : {}),
  });
  return { type: 'create', description: ctx.texts.fill(KIND, ctx.lang, 'action', { name }), resource };
}

/** The screening-incomplete card (docs/clinical-rules.md §3.1), work-up phase only. */
export function renderScreeningIncomplete(f: ScreeningIncompleteFinding, ctx: RenderContext): CdsCard {
  const t = (key: string, values = {}): string => ctx.texts.fill(KIND, ctx.lang, key, values);
  // Only missing groups are ordered: pending ones are awaited, stale ones renewed or cancelled by the clinician.
  const orderable = f.missing.flatMap((g) => {
    const code = g.primary[f.orderSystem.kind];
    return code ? [{ group: g, code }] : [];
  });
  const notOrderable = f.missing.filter((g) => !g.primary[f.orderSystem.kind]);
  // Results withheld from the user (§7): "no result" and "not taken" would be claims the service cannot check.
  const w = f.resultsWithheld ? 'Withheld' : '';
  const staleLines = f.stale.map((s) =>
    s.orderedAt === undefined
      ? t(`staleItemUndated${w}`, { name: analyteName(ctx, s.group.id) })
      : t(s.later ? 'staleItemLater' : `staleItem${w}`, { name: analyteName(ctx, s.group.id), date: dateText(ctx, s.orderedAt, s.orderedAtPrecision, '') }),
  );
  const detail = blocks(
    recommendationLine(ctx, KIND),
    t('phaseWorkUp'),
    // Open orders not read: "not ordered" would be a claim the service could not check; results withheld: "not taken".
    f.missing.length > 0 &&
      `${t(f.resultsWithheld ? 'missingHeadingWithheld' : f.openOrdersUnknown ? 'missingHeadingOrdersUnknown' : 'missingHeading', { count: f.missing.length })}\n\n${list(ctx, f.missing).text}`,
    f.stale.length > 0 && `${t(`staleHeading${w}`, { count: f.stale.length })}\n\n${staleLines.join('\n')}`,
    f.pending.length > 0 && `${t('pendingHeading', { count: f.pending.length })}\n\n${list(ctx, f.pending).text}`,
    // Done, but not assessable automatically: listed with value and date when no other card lists them (§3.2).
    f.notAssessable.length > 0 && `${t('notAssessableHeading')}\n\n${f.notAssessable.map((r) => notAssessableLine(ctx, r)).join('\n')}`,
    f.openOrdersUnknown && t(f.openOrdersWithheld ? 'openOrdersWithheld' : 'openOrdersUnknown'),
    !f.openOrdersUnknown && notOrderable.length > 0 && t('notOrderable', { names: notOrderable.map((g) => analyteName(ctx, g.id)).join(', ') }),
    undatedLine(ctx, f.undatedResults),
    withheldLine(ctx, f.resultsWithheld),
    t('clinical'),
  );
  const suggestions: SuggestionInput[] =
    f.openOrdersUnknown || orderable.length === 0
      ? []
      : [{ label: t(`suggestion${w}`, { count: orderable.length }), actions: orderable.map((o) => orderAction(ctx, f, o.group, o.code)) }];
  return buildCard({
    frame: cardFrame(ctx, KIND),
    summary: summary(ctx, f.notTaken, f.resultsWithheld),
    detail,
    indicator: f.indicator,
    suggestions,
    selectionBehavior: 'at-most-one',
    overrideReasons: patientOverrideReasons(ctx),
  });
}
