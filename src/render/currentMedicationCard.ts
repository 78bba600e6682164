import type { CurrentMedicationFinding } from '../guideline/medicationFindings.js';
import { buildCard } from './cardBuilder.js';
import type { CdsCard } from '../model/cdsResponse.js';
import { escapeMarkdown, Markdown } from './cardTexts.js';
import { strengthLabel } from './medicationTexts.js';
import { blocks, cardFrame, patientOverrideReasons, type RenderContext } from './renderContext.js';

const KIND = 'current-medication';

/** patient-view's current-medication card (guideline-rules §3.3): no suggestions, a link to the guideline. */
export function renderCurrentMedication(f: CurrentMedicationFinding, ctx: RenderContext): CdsCard {
  const t = (key: string, values = {}): string => ctx.texts.fill(KIND, ctx.lang, key, values);
  const daytime = ctx.texts.get(KIND, ctx.lang, 'daytime');
  const lines = f.classes.map((c) => {
    const drugs = c.drugs.map((d) => escapeMarkdown(d.drugText || '?') + (d.daytime ? ` (${daytime})` : '')).join(', ');
    return t('classLine', {
      drugs: new Markdown(drugs),
      recommendation: ctx.texts.get(KIND, ctx.lang, `recommendations.${c.kind}`),
      strength: strengthLabel(ctx, c.strength),
    });
  });
  const count = f.classes.reduce((n, c) => n + c.drugs.length, 0);
  return buildCard({
    ...cardFrame(ctx, KIND),
    summary: f.indicator === 'warning' ? t('summaryOpioid') : t('summary', { count }),
    detail: blocks(t('intro'), lines.join('\n')),
    indicator: f.indicator,
    overrideReasons: patientOverrideReasons(ctx),
  });
}
