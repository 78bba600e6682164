import type { CurrentMedicationDrug, CurrentMedicationFinding } from '../guideline/currentMedicationFindings.js';
import type { CdsCard } from '../model/cdsResponse.js';
import { buildCard } from './cardBuilder.js';
import { Markdown } from './cardTexts.js';
import { ingredientNames, nameList, plainFill, strengthLabel, summaryWithNames, takenDrugName } from './medicationTexts.js';
import { blocks, cardFrame, patientOverrideReasons, type RenderContext } from './renderContext.js';

const KIND = 'current-medication';

/** patient-view's current-medication card (docs/clinical-rules.md §3.3): no suggestions, a link to the guideline. */
export function renderCurrentMedication(f: CurrentMedicationFinding, ctx: RenderContext): CdsCard {
  const t = (key: string, values = {}): string => ctx.texts.fill(KIND, ctx.lang, key, values);
  const daytime = ctx.texts.get(KIND, ctx.lang, 'daytime');
  const nameOf = (d: CurrentMedicationDrug): string => takenDrugName(ctx, d);
  const lines = f.classes.map((c) => {
    const drugs = nameList(ctx, c.drugs.map((d) => nameOf(d) + (d.daytime ? ` (${daytime})` : '')), true);
    return t('classLine', {
      drugs: new Markdown(drugs),
      recommendation: ctx.texts.get(KIND, ctx.lang, `recommendations.${c.kind}`),
      strength: strengthLabel(ctx, c.entry),
    });
  });
  // The opioid summary names the opioids it is about; otherwise every listed drug.
  const named = f.indicator === 'warning' ? f.classes.filter((c) => c.entry.rule === 'opioid-without-dual-action') : f.classes;
  const names = named.flatMap((c) => c.drugs.map(nameOf));
  // Too long for the summary: the drugs by their ingredients, each once.
  const shortNames = named.flatMap((c) => c.drugs.map((d) => (d.ingredients.length > 0 ? ingredientNames(ctx, d.ingredients) : nameOf(d))));
  const message = plainFill(ctx, KIND, f.indicator === 'warning' ? 'summaryOpioid' : 'summary');
  return buildCard({
    frame: cardFrame(ctx, KIND),
    summary: summaryWithNames(ctx, message, names, shortNames),
    detail: blocks(
      f.opioidDependence && ctx.texts.get('medication', ctx.lang, 'opioidDependence'),
      t('intro'),
      lines.join('\n'),
      f.notRead.entries > 0 && ctx.texts.fillCounted(KIND, ctx.lang, 'notReadEntries', f.notRead.entries),
      f.notRead.ordersUnavailable && t('notReadOrders'),
      f.notRead.recordUnavailable && t('notReadRecord'),
      f.notRead.withheld && t('notReadWithheld'),
      f.diagnosesWithheld && t('diagnosesWithheld'),
      ctx.texts.get('medication', ctx.lang, 'notChecked'),
    ),
    indicator: f.indicator,
    overrideReasons: patientOverrideReasons(ctx),
  });
}
