import type { NonPharmacologicalFinding } from '../guideline/nonPharmacologicalTreatment.js';
import type { NonPharmacologicalCodes } from '../terminology/nonPharmacologicalCodes.js';
import { buildCard, type SuggestionInput } from './cardBuilder.js';
import type { CdsCard } from '../model/cdsResponse.js';
import { Markdown, type TemplateValue } from './cardTexts.js';
import { blocks, cardFrame, patientOverrideReasons, type RenderContext } from './renderContext.js';
import { undatedLine, withheldLine } from './labText.js';
import { notAssessableLine } from './screeningAbnormalCard.js';
import { procedureOrder } from './suggestedOrders.js';

const KIND = 'non-pharmacological-treatment';
/** The detail's list, in the guideline's order; multidisciplinary is always named with its qualifier. */
const ITEMS = ['patient-education', 'cognitive-behavioural-therapy', 'supervised-exercise', 'activity-participation', 'function-assessment', 'work-ability', 'multidisciplinary'];

/**
 * SCREENING_RECENT_DAYS in words: "180 days (about 6 months)" when it is whole 30-day months, else days. The
 * phase counts days, so "more than 6 months" alone would be said of a registration 5 months and 27 days ago.
 */
function period(ctx: RenderContext, days: number): string {
  return days >= 60 && days % 30 === 0
    ? ctx.texts.fill(KIND, ctx.lang, 'periodMonths', { days, count: days / 30 })
    : ctx.texts.fill(KIND, ctx.lang, 'periodDays', { count: days });
}

function names(ctx: RenderContext, groupIds: readonly string[]): string {
  return groupIds.map((id) => ctx.texts.get('analytes', ctx.lang, id)).join(', ');
}

/** The non-drug treatment card (docs/clinical-rules.md §3.4). */
export function renderNonPharmacological(f: NonPharmacologicalFinding, ctx: RenderContext, codes: NonPharmacologicalCodes): CdsCard {
  const t = (key: string, values: Record<string, TemplateValue> = {}): string => ctx.texts.fill(KIND, ctx.lang, key, values);
  const counted = (key: string, count: number, values: Record<string, TemplateValue> = {}): string => ctx.texts.fillCounted(KIND, ctx.lang, key, count, values);
  const quote = (key: string): string => ctx.texts.fill('common', ctx.lang, 'quote', { text: new Markdown(t(key)) });

  const phaseLine =
    f.phase === 'established'
      ? blocks(t(f.anchoredByOnset ? 'phaseEstablishedOnset' : 'phaseEstablished', { period: period(ctx, f.recentDays) }), f.stillProvisional && t('stillProvisional'))
      : f.notAssessable.length > 0
        ? t('phaseWorkUpNotAssessable')
        : t('phaseWorkUp');
  const suggestions: SuggestionInput[] = codes.interventions
    .filter((i) => f.suggested.includes(i.id))
    .map((i) => {
      const resource = procedureOrder(ctx.fhirVersion, {
        patientId: ctx.patientId,
        code: { coding: [{ system: codes.system, code: i.code, display: i.display }], text: t(`suggestions.${i.id}`) },
        ...(f.reasonCode ? { reason: f.reasonCode } : {}),
      });
      return { label: t(`suggestions.${i.id}`), actions: [{ type: 'create' as const, description: t(`actions.${i.id}`), resource }] };
    });
  const items = ITEMS.map((i) => t(`items.${i}`));
  if (!f.multidisciplinaryEligible) items[items.length - 1] += ` ${t('multidisciplinaryNotYet')}`;

  return buildCard({
    frame: cardFrame(ctx, KIND),
    summary: t('summary'),
    detail: blocks(
      phaseLine,
      f.notIncluded.length > 0 && counted('notIncluded', f.notIncluded.length, { groups: names(ctx, f.notIncluded) }),
      undatedLine(ctx, f.undatedResults),
      withheldLine(ctx, f.resultsWithheld),
      // Every flag answered: its card may be quiet (§6), so this one does not send the clinician to it.
      f.flaggedCount > 0 && counted(f.unansweredFlags === 0 ? 'flaggedNoteAnswered' : f.abnormalCard ? 'flaggedNote' : 'flaggedNoteNoCard', f.flaggedCount),
      f.earlierFlagged.length > 0 && counted(f.anchoredByOnset ? 'flaggedEarlierOnset' : 'flaggedEarlier', f.earlierFlaggedResults, { groups: names(ctx, f.earlierFlagged) }),
      // Each as "<analyte> <value> (<date>): cannot be assessed automatically — see the lab's report" (§3.2).
      f.notAssessable.length > 0 && `${t('notAssessableHeading')}\n\n${f.notAssessable.map((r) => notAssessableLine(ctx, r)).join('\n')}`,
      f.communicateDiagnosis && `${t('communicateHeading')}\n\n${quote('communicateQuote')}`,
      `${t('activityHeading')}\n\n${quote('activityQuote')}`,
      t('intro'),
      items.join('\n'),
    ),
    indicator: 'info',
    suggestions,
    selectionBehavior: 'any',
    overrideReasons: patientOverrideReasons(ctx),
  });
}
