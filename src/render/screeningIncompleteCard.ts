import type { ScreeningIncompleteFinding } from '../guideline/patientViewFindings.js';
import type { PanelGroup } from '../terminology/screeningPanelCodes.js';
import { buildCard, SUMMARY_MAX_CODE_POINTS } from './cardBuilder.js';
import type { CdsAction, CdsCard } from '../model/cdsResponse.js';
import { Markdown } from './cardTexts.js';
import { blocks, cardFrame, patientOverrideReasons, recommendationLine, type RenderContext } from './renderContext.js';

const KIND = 'screening-incomplete';

export function analyteName(ctx: RenderContext, groupId: string): string {
  return ctx.texts.get('analytes', ctx.lang, groupId);
}

function list(ctx: RenderContext, groups: readonly PanelGroup[]): Markdown {
  return new Markdown(groups.map((g) => ctx.texts.fill(KIND, ctx.lang, 'listItem', { name: analyteName(ctx, g.id) })).join('\n'));
}

/** Names every missing group when it fits; else as many as fit, then "and N more". TSH, CK, vitamin D lead. */
function summary(ctx: RenderContext, missing: readonly PanelGroup[]): string {
  const names = missing.map((g) => analyteName(ctx, g.id));
  const all = ctx.texts.fill(KIND, ctx.lang, 'summary', { missing: names.join(', ') });
  if (Array.from(all).length <= SUMMARY_MAX_CODE_POINTS) return all;
  for (let n = names.length - 1; n >= 1; n--) {
    const s = ctx.texts.fill(KIND, ctx.lang, 'summaryMore', { first: names.slice(0, n).join(', '), count: names.length - n });
    if (Array.from(s).length <= SUMMARY_MAX_CODE_POINTS) return s;
  }
  return ctx.texts.fill(KIND, ctx.lang, 'summaryMore', { first: names[0] ?? '', count: names.length - 1 });
}

function orderAction(ctx: RenderContext, f: ScreeningIncompleteFinding, group: PanelGroup): CdsAction {
  const name = analyteName(ctx, group.id);
  const resource: fhir4.ServiceRequest = {
    resourceType: 'ServiceRequest',
    status: 'draft',
    intent: 'proposal',
    subject: { reference: `Patient/${ctx.patientId}` },
    code: { coding: [{ system: f.orderSystem.uri, code: group.primary[f.orderSystem.kind] }], text: name },
  };
  if (f.reasonCode) resource.reasonCode = [f.reasonCode];
  return { type: 'create', description: ctx.texts.fill(KIND, ctx.lang, 'action', { name }), resource };
}

/** The screening-incomplete card (guideline-rules §3.1). */
export function renderScreeningIncomplete(f: ScreeningIncompleteFinding, ctx: RenderContext): CdsCard {
  const t = (key: string, values = {}): string => ctx.texts.fill(KIND, ctx.lang, key, values);
  const detail = blocks(
    recommendationLine(ctx, KIND),
    f.phase === 'work-up' ? t('phaseWorkUp') : t('phaseEstablished', { recentDays: f.recentDays }),
    `${t('missingHeading', { count: f.missing.length })}\n\n${list(ctx, f.missing).text}`,
    f.pending.length > 0 && `${t('pendingHeading', { count: f.pending.length })}\n\n${list(ctx, f.pending).text}`,
    f.undatedResults > 0 && t('undated', { count: f.undatedResults }),
    t('clinical'),
  );
  return buildCard({
    ...cardFrame(ctx, KIND),
    summary: summary(ctx, f.missing),
    detail,
    indicator: f.indicator,
    suggestions: [{ label: t('suggestion', { count: f.missing.length }), actions: f.missing.map((g) => orderAction(ctx, f, g)) }],
    selectionBehavior: 'at-most-one',
    overrideReasons: patientOverrideReasons(ctx),
  });
}
