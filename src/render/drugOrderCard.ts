import type { DaytimeReason } from '../guideline/dosageTiming.js';
import type { ActiveOpioid, DrugOrderFinding, OpioidDeleteDecision } from '../guideline/drugOrderFindings.js';
import type { CdsCard } from '../model/cdsResponse.js';
import type { ResourceJson } from '../model/medicationOrder.js';
import { buildCard, type SuggestionInput } from './cardBuilder.js';
import { hasDosageText, hasOrderNote, moveDosageToEvening } from './eveningDosageUpdate.js';
import { formatNumber } from './format.js';
import { drugRecommendationLine, ingredientNames, medicationOverrideReasons, nameList, plainFill, summaryStrength, summaryWithDrug, takenDrugName } from './medicationTexts.js';
import { blocks, cardFrame, type RenderContext } from './renderContext.js';

/** What the renderer needs beyond the finding: the draft as the `update` starts from. */
export interface DrugOrderRenderInput {
  finding: DrugOrderFinding;
  /**
   * The draft in the EHR's own FHIR version (R4 normalised, DSTU2 as sent); null when unknown. A function:
   * the copy is made only for a card that suggests an `update`.
   */
  updateBase: () => ResourceJson | null;
}

/** The drug as ordered; by its ingredients, in the card's language, when it was named only by a code. */
function drugName(ctx: RenderContext, f: DrugOrderFinding): string {
  const byIngredients = ingredientNames(ctx, f.productIngredients.length > 0 ? f.productIngredients : f.ingredients);
  if (f.order.namedByCode && byIngredients) return byIngredients;
  return f.order.drugText.trim() || byIngredients || '?';
}

function orderLine(ctx: RenderContext, f: DrugOrderFinding): string {
  const drug = drugName(ctx, f);
  if (f.order.multipleOrders) return ctx.texts.fill('medication', ctx.lang, 'orderLineMany', { drug, position: f.order.position, count: f.order.orderCount });
  return ctx.texts.fill('medication', ctx.lang, 'orderLine', { drug });
}

function opioidParts(ctx: RenderContext, f: DrugOrderFinding, o: OpioidDeleteDecision): { text: string | false; suggestions: SuggestionInput[] } {
  const names = (list: readonly ActiveOpioid[]) => nameList(ctx, list.map((a) => takenDrugName(ctx, a)));
  const text = blocks(
    o.sameIngredient.length > 0 && ctx.texts.fill(f.kind, ctx.lang, o.draftAsNeeded ? 'asNeededBeside' : 'tapering', { active: names(o.sameIngredient) }),
    o.otherOpioids.length > 0 && ctx.texts.fill(f.kind, ctx.lang, 'switch', { active: names(o.otherOpioids) }),
    o.recentlyEnded.length > 0 && ctx.texts.fill(f.kind, ctx.lang, 'recentlyEnded', { active: names(o.recentlyEnded), days: o.recentlyEndedDays }),
    o.alreadyActive && ctx.texts.get(f.kind, ctx.lang, 'alreadyActive'),
    o.groupMayBeDualAction !== null && ctx.texts.fill(f.kind, ctx.lang, 'groupMayBeDualAction', { group: o.groupMayBeDualAction }),
    o.activeOrdersUnknown && ctx.texts.get(f.kind, ctx.lang, 'activeOrdersUnknown'),
    o.recordsWithheld && ctx.texts.get(f.kind, ctx.lang, 'recordsWithheld'),
  );
  const suggestions: SuggestionInput[] =
    o.offerDelete && f.order.reference
      ? [
          {
            label: plainFill(ctx, f.kind, 'suggestion'),
            actions: [{ type: 'delete', description: plainFill(ctx, f.kind, 'action', { drug: drugName(ctx, f) }), resourceId: f.order.reference }],
          },
        ]
      : [];
  return { text: text === '' ? false : text, suggestions };
}

function daytimeReason(ctx: RenderContext, kind: string, r: DaytimeReason): string {
  const key = `daytimeReasons.${r.type}`;
  switch (r.type) {
    case 'when':
      return ctx.texts.fill(kind, ctx.lang, key, {
        // HL7 EventTiming codes in words; an unexpected code is shown as sent.
        codes: r.codes.map((c) => (ctx.texts.has(kind, ctx.lang, `whenCodes.${c}`) ? ctx.texts.get(kind, ctx.lang, `whenCodes.${c}`) : c)).join(', '),
      });
    case 'time-of-day':
      return ctx.texts.fill(kind, ctx.lang, key, { times: r.times.map((t) => t.slice(0, 5)).join(', ') });
    case 'doses-per-day':
      return ctx.texts.fill(kind, ctx.lang, key, { count: formatNumber(ctx.lang, r.dosesPerDay) });
    case 'timing-code':
      return ctx.texts.fill(kind, ctx.lang, key, { code: r.code });
  }
}

function daytimeParts(ctx: RenderContext, f: DrugOrderFinding, updateBaseOf: () => ResourceJson | null): { text: string | false; suggestions: SuggestionInput[] } {
  if (!f.daytime?.daytime) return { text: false, suggestions: [] };
  const reasons = f.daytime.reasons.map((r) => daytimeReason(ctx, f.kind, r)).join(', ');
  const suggestions: SuggestionInput[] = [];
  const updateBase = f.order.reference ? updateBaseOf() : null;
  const stepped = f.daytime.stepped;
  const split = !stepped && f.daytime.splitDoses;
  // The update keeps the order's note, which may name the old time of day: the card asks to check it.
  let orderNote = false;
  let dosageText = false;
  if (f.order.reference && updateBase?.id && !stepped && !split) {
    orderNote = hasOrderNote(updateBase);
    dosageText = hasDosageText(updateBase);
    suggestions.push({
      label: plainFill(ctx, f.kind, 'suggestionEvening'),
      // A plain FHIR JSON copy of the draft with its dosage changed, in the EHR's own FHIR version.
      actions: [
        {
          type: 'update',
          description: plainFill(ctx, f.kind, orderNote ? 'actionEveningWithNote' : 'actionEvening', { drug: drugName(ctx, f) }),
          resource: moveDosageToEvening(updateBase, f.daytime.bedtimeRate),
        },
      ],
    });
  }
  // Nortriptyline and imipramine are named as the working group's experience, text only (no one-click switch).
  return {
    text: blocks(
      ctx.texts.fill(f.kind, ctx.lang, 'daytime', { reason: reasons }),
      orderNote && ctx.texts.get(f.kind, ctx.lang, 'orderNoteKept'),
      dosageText && ctx.texts.get(f.kind, ctx.lang, 'dosageTextRemoved'),
      stepped && ctx.texts.get(f.kind, ctx.lang, 'steppedNoUpdate'),
      split && ctx.texts.get(f.kind, ctx.lang, 'splitDosesNoUpdate'),
      ctx.texts.get(f.kind, ctx.lang, 'experience'),
    ),
    suggestions,
  };
}

/**
 * The kind's own lines: `body`, after the lines that say the drug is for pain and not for depression
 * (`bodyPainNotDepression`, amitriptyline and the other TCAs), which are left out when the order names
 * depression or anxiety among its reasons, as the shared `painNotDepression` line is (§4.10). One list.
 */
function body(ctx: RenderContext, f: DrugOrderFinding): string {
  const own = ctx.texts.get(f.kind, ctx.lang, 'body');
  if (f.alsoForDepression || !ctx.texts.has(f.kind, ctx.lang, 'bodyPainNotDepression')) return own;
  return `${ctx.texts.get(f.kind, ctx.lang, 'bodyPainNotDepression')}\n${own}`;
}

/** One card per (order, drug kind) for order-select and order-sign (docs/clinical-rules.md §4). */
export function renderDrugOrderCard(input: DrugOrderRenderInput, ctx: RenderContext): CdsCard {
  const { finding: f } = input;
  const kind = f.kind;
  const e = f.entry;
  const m = (key: string, values = {}): string => ctx.texts.fill('medication', ctx.lang, key, values);
  const parts = f.opioid ? opioidParts(ctx, f, f.opioid) : f.daytime ? daytimeParts(ctx, f, input.updateBase) : { text: false as const, suggestions: [] };
  const partners = f.productIngredients.length > 1 && m('combination', { ingredients: ingredientNames(ctx, f.productIngredients) });
  const message = plainFill(ctx, kind, f.daytime?.daytime ? 'summaryDaytime' : 'summary', { strength: summaryStrength(ctx, e) });
  return buildCard({
    frame: cardFrame(ctx, kind),
    summary: summaryWithDrug(ctx, message, drugName(ctx, f), ingredientNames(ctx, f.productIngredients.length > 0 ? f.productIngredients : f.ingredients)),
    detail: blocks(
      orderLine(ctx, f),
      partners,
      ...f.brandNotes.map((n) => ctx.texts.get('medication', ctx.lang, `brandNotes.${n}`)),
      f.opioidDependence && ctx.texts.get('medication', ctx.lang, 'opioidDependence'),
      drugRecommendationLine(ctx, kind, e),
      parts.text,
      body(ctx, f),
      e.offLabel && m('offLabel'),
      // Not when the order names depression or anxiety among its reasons: the drug is for that too.
      e.painNotDepression && !f.alsoForDepression && m('painNotDepression'),
      e.otherTreatmentFirst && m('otherTreatmentFirst'),
      e.dependenceGuidance && m('dependenceGuidance'),
      ctx.texts.get('medication', ctx.lang, 'notChecked'),
    ),
    indicator: f.indicator,
    suggestions: parts.suggestions,
    selectionBehavior: 'at-most-one',
    overrideReasons: medicationOverrideReasons(ctx),
  });
}
