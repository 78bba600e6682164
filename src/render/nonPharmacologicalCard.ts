import type { NonPharmacologicalFinding } from '../guideline/nonPharmacologicalTreatment.js';
import type { NonPharmacologicalCodes } from '../terminology/nonPharmacologicalCodes.js';
import { buildCard } from './cardBuilder.js';
import type { CdsCard } from '../model/cdsResponse.js';
import { blocks, cardFrame, patientOverrideReasons, type RenderContext } from './renderContext.js';

const KIND = 'non-pharmacological-treatment';
const ITEMS = ['patient-education', 'cognitive-behavioural-therapy', 'supervised-exercise', 'activity-participation', 'function-assessment', 'work-ability'];

/** The non-drug treatment card (guideline-rules §3.4). */
export function renderNonPharmacological(f: NonPharmacologicalFinding, ctx: RenderContext, codes: NonPharmacologicalCodes): CdsCard {
  const t = (key: string): string => ctx.texts.get(KIND, ctx.lang, key);
  const items = f.includeMultidisciplinary ? [...ITEMS, 'multidisciplinary'] : ITEMS;
  const suggestions = codes.interventions
    .filter((i) => i.id !== 'multidisciplinary' || f.includeMultidisciplinary)
    .map((i) => {
      const resource: fhir4.ServiceRequest = {
        resourceType: 'ServiceRequest',
        status: 'draft',
        intent: 'proposal',
        subject: { reference: `Patient/${ctx.patientId}` },
        code: { coding: [{ system: codes.system, code: i.code, display: i.display }], text: t(`suggestions.${i.id}`) },
      };
      return { label: t(`suggestions.${i.id}`), actions: [{ type: 'create' as const, description: t(`actions.${i.id}`), resource }] };
    });
  return buildCard({
    ...cardFrame(ctx, KIND),
    summary: t('summary'),
    detail: blocks(t('intro'), items.map((i) => t(`items.${i}`)).join('\n'), f.hasFlaggedResults && t('flaggedNote')),
    indicator: 'info',
    suggestions,
    selectionBehavior: 'any',
    overrideReasons: patientOverrideReasons(ctx),
  });
}
