import type { DaytimeReason, ResourceJson } from '../guideline/dosageTiming.js';
import type { AmitriptylineOrderFinding, DrugOrderFinding, OpioidOrderFinding } from '../guideline/medicationFindings.js';
import { buildCard, type SuggestionInput } from './cardBuilder.js';
import type { CdsCard } from '../model/cdsResponse.js';
import { ingredientName, medicationOverrideReasons } from './medicationTexts.js';
import { blocks, cardFrame, recommendationLine, type RenderContext } from './renderContext.js';

/** What the renderer needs beyond the finding: the draft as sent, for `update` suggestions. */
export interface DrugOrderRenderInput {
  finding: DrugOrderFinding;
  /** The draft order exactly as the EHR sent it (its own FHIR version); null when unknown. */
  original: ResourceJson | null;
  orderCount: number;
}

const OPIOIDS = new Set(['opioid-without-dual-action', 'tramadol', 'tapentadol']);
const OFF_LABEL = new Set(['ssri', 'amitriptyline']);
const PAIN_NOT_DEPRESSION = new Set(['ssri', 'duloxetine']);
const OTHER_TREATMENT_FIRST = new Set(['ssri', 'amitriptyline', 'duloxetine']);

function drugName(f: DrugOrderFinding): string {
  return f.order.drugText.trim() || f.ingredients.map((i) => i.nameEn).join(' + ') || '?';
}

function orderLine(ctx: RenderContext, f: DrugOrderFinding, orderCount: number): string {
  const drug = drugName(f);
  if (!f.order.reference) return ctx.texts.fill('medication', ctx.lang, 'orderLineNoId', { drug });
  if (f.order.multipleOrders) {
    return ctx.texts.fill('medication', ctx.lang, 'orderLineMany', { drug, position: f.order.position, count: orderCount, reference: f.order.reference });
  }
  return ctx.texts.fill('medication', ctx.lang, 'orderLine', { drug, reference: f.order.reference });
}

function opioidParts(ctx: RenderContext, f: OpioidOrderFinding): { text: string | false; suggestions: SuggestionInput[] } {
  const active = f.activeSameIngredient.map((a) => a.drugText ?? a.reference ?? '?').join(', ');
  const text = f.taperingPlanNeeded && ctx.texts.fill(f.kind, ctx.lang, 'tapering', { active });
  const suggestions: SuggestionInput[] =
    f.offerDelete && f.deleteResourceId
      ? [
          {
            label: ctx.texts.get(f.kind, ctx.lang, 'suggestion'),
            actions: [{ type: 'delete', description: ctx.texts.fill(f.kind, ctx.lang, 'action', { drug: drugName(f) }), resourceId: f.deleteResourceId }],
          },
        ]
      : [];
  return { text, suggestions };
}

function daytimeReason(ctx: RenderContext, r: DaytimeReason): string {
  const key = `daytimeReasons.${r.type}`;
  switch (r.type) {
    case 'when':
      return ctx.texts.fill('amitriptyline', ctx.lang, key, {
        // HL7 EventTiming codes in words; an unexpected code is shown as sent.
        codes: r.codes.map((c) => (ctx.texts.has('amitriptyline', ctx.lang, `whenCodes.${c}`) ? ctx.texts.get('amitriptyline', ctx.lang, `whenCodes.${c}`) : c)).join(', '),
      });
    case 'time-of-day':
      return ctx.texts.fill('amitriptyline', ctx.lang, key, { times: r.times.map((t) => t.slice(0, 5)).join(', ') });
    case 'doses-per-day':
      return ctx.texts.fill('amitriptyline', ctx.lang, key, { count: r.dosesPerDay });
    case 'timing-code':
      return ctx.texts.fill('amitriptyline', ctx.lang, key, { code: r.code });
  }
}

function amitriptylineParts(ctx: RenderContext, f: AmitriptylineOrderFinding, original: ResourceJson | null): { text: string | false; suggestions: SuggestionInput[] } {
  if (!f.daytime) return { text: false, suggestions: [] };
  const t = (key: string, values = {}): string => ctx.texts.fill(f.kind, ctx.lang, key, values);
  const reasons = f.dosage.reasons.map((r) => daytimeReason(ctx, r)).join(', ');
  const suggestions: SuggestionInput[] = [];
  const drug = drugName(f);
  if (f.eveningUpdate?.resourceId) {
    suggestions.push({
      label: t('suggestionEvening'),
      actions: [{ type: 'update', description: t('actionEvening', { drug }), resource: f.eveningUpdate.resource as unknown as fhir4.Resource }],
    });
  }
  if (original?.id) {
    for (const alt of f.alternatives) {
      const alternative = ingredientName(ctx, alt);
      const resource: ResourceJson = { ...original, medicationCodeableConcept: { ...alt.medicationCodeableConcept, text: alternative } };
      delete resource.medicationReference;
      suggestions.push({
        label: t('suggestionAlternative', { alternative }),
        actions: [{ type: 'update', description: t('actionAlternative', { drug, alternative }), resource: resource as unknown as fhir4.Resource }],
      });
    }
  }
  return { text: `${t('daytime', { reason: reasons })}\n\n${t('experience')}`, suggestions };
}

/** One card per (order, drug kind) for order-select and order-sign (guideline-rules §4). */
export function renderDrugOrderCard(input: DrugOrderRenderInput, ctx: RenderContext): CdsCard {
  const { finding: f } = input;
  const kind = f.kind;
  const m = (key: string, values = {}): string => ctx.texts.fill('medication', ctx.lang, key, values);
  const parts =
    f.kind === 'opioid-without-dual-action'
      ? opioidParts(ctx, f)
      : f.kind === 'amitriptyline'
        ? amitriptylineParts(ctx, f, input.original)
        : { text: false as const, suggestions: [] };
  const partners = f.productIngredients.length > 1 && m('combination', { ingredients: f.productIngredients.map((i) => ingredientName(ctx, i)).join(' + ') });
  const summaryKey = f.kind === 'amitriptyline' && f.daytime ? 'summaryDaytime' : 'summary';
  return buildCard({
    ...cardFrame(ctx, kind),
    summary: ctx.texts.fill(kind, ctx.lang, summaryKey, { drug: drugName(f) }),
    detail: blocks(
      orderLine(ctx, f, input.orderCount),
      partners,
      recommendationLine(ctx, kind),
      parts.text,
      ctx.texts.get(kind, ctx.lang, 'body'),
      OFF_LABEL.has(kind) && m('offLabel'),
      PAIN_NOT_DEPRESSION.has(kind) && m('painNotDepression'),
      OTHER_TREATMENT_FIRST.has(kind) && m('otherTreatmentFirst'),
      OPIOIDS.has(kind) && m('dependenceGuidance'),
      ctx.texts.get('common', ctx.lang, 'notInteractionCheck'),
    ),
    indicator: f.indicator,
    suggestions: parts.suggestions,
    selectionBehavior: 'at-most-one',
    overrideReasons: medicationOverrideReasons(ctx),
  });
}

