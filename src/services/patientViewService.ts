import type { Config } from '../config.js';
import type { FhirFetcher } from '../data/fhirFetcher.js';
import { resolvePrefetch, type PrefetchTemplateSpec } from '../data/prefetchResolver.js';
import { readActiveMedications } from '../data/activeMedications.js';
import { ofType } from '../data/resourceFilter.js';
import { findCurrentMedication } from '../guideline/medicationFindings.js';
import { assessPatientView, type PatientViewFinding } from '../guideline/patientViewFindings.js';
import type { Logger } from '../observability/logger.js';
import { issue, type IssuedCard } from '../model/cdsResponse.js';
import type { CardTexts } from '../render/cardTexts.js';
import { renderCurrentMedication } from '../render/currentMedicationCard.js';
import { renderNonPharmacological } from '../render/nonPharmacologicalCard.js';
import type { RenderContext } from '../render/renderContext.js';
import { renderScreeningAbnormal } from '../render/screeningAbnormalCard.js';
import { renderScreeningIncomplete } from '../render/screeningIncompleteCard.js';
import type { GsbValueSet } from '../terminology/gsbValueSet.js';
import type { NonPharmacologicalCodes } from '../terminology/nonPharmacologicalCodes.js';
import type { ScreeningPanelCodes } from '../terminology/screeningPanelCodes.js';
import { requestData, type CdsService, type ServiceCall } from './cdsService.js';

export const PATIENT_VIEW_SERVICE_ID = 'nkr-pain-patient-view';

export interface PatientViewDeps {
  config: Config;
  logger: Logger;
  fetcher: FhirFetcher;
  texts: CardTexts;
  panel: ScreeningPanelCodes;
  gsb: GsbValueSet;
  nonPharmacological: NonPharmacologicalCodes;
}

/** Prefetch templates: only the restricted query subset and context tokens the spec allows. */
export function patientViewPrefetch(panel: ScreeningPanelCodes): PrefetchTemplateSpec[] {
  return [
    { key: 'patient', query: 'Patient/{{context.patientId}}', required: false, description: 'the Patient' },
    { key: 'conditions', query: 'Condition?patient={{context.patientId}}', required: true, description: "the patient's Conditions" },
    {
      key: 'labs',
      // Bare codes: a token search without system matches NPU under either URI and LOINC; the rules match system and code.
      query: `Observation?patient={{context.patientId}}&code=${panel.allCodes().join(',')}&_sort=-date&_count=200`,
      required: true,
      description: "the patient's screening-panel Observations",
    },
    {
      key: 'medications',
      query: 'MedicationRequest?patient={{context.patientId}}&status=active',
      required: false, description: "the patient's active MedicationRequests" },
    { key: 'serviceRequests', query: 'ServiceRequest?patient={{context.patientId}}&status=active', required: true, description: "the patient's active ServiceRequests" },
  ];
}

export function createPatientViewService(deps: PatientViewDeps): CdsService {
  const prefetch = patientViewPrefetch(deps.panel);
  const { config } = deps;
  const dataDeps = { fetcher: deps.fetcher, config, logger: deps.logger };
  return {
    id: PATIENT_VIEW_SERVICE_ID,
    hook: 'patient-view',
    title: 'NKR generalized musculoskeletal pain: screening and treatment',
    description:
      'Danish national clinical guideline (NKR) for generalized musculoskeletal pain (fibromyalgia among them): the biochemical screening panel still missing, flagged results that may point to another diagnosis, current drugs the guideline speaks about, and the non-drug treatment to offer once the screening is complete.',
    usageRequirements: 'Patients with a Condition coded as fibromyalgia / generalized musculoskeletal pain (SNOMED CT, ICD-10, SKS or ICD-11).',
    prefetch,
    async call({ request, lang, now }: ServiceCall) {
      const patientId = String(request.context.patientId);
      const input = requestData(request);
      const data = await resolvePrefetch(prefetch, input, dataDeps);
      const conditions = ofType(data.resources.conditions, 'Condition');
      const assessment = assessPatientView(
        {
          conditions,
          observations: ofType(data.resources.labs, 'Observation'),
          serviceRequests: ofType(data.resources.serviceRequests, 'ServiceRequest'),
          patient: data.resources.patient?.[0],
        },
        { panel: deps.panel, gsb: deps.gsb, nonPharmacological: deps.nonPharmacological },
        {
          ...config.screening,
          allPatientsInScope: config.scope.allPatientsInScope,
          provisionalMaxDays: config.scope.provisionalMaxDays,
          minPatientAge: config.scope.minPatientAge,
          disabledKinds: config.cards.disabledKinds,
        },
        now,
      );
      if (assessment.scope.inScope && assessment.scope.ageUnknown) {
        deps.logger.info({ hook: 'patient-view' }, 'no Patient.birthDate: the age limit (MIN_PATIENT_AGE) was not checked');
      }
      const ctx: RenderContext = { lang, texts: deps.texts, guidelineUrl: config.guidelineUrl, patientId };
      const currentMedication = assessment.scope.inScope
        ? findCurrentMedication({
            activeMedications: await readActiveMedications(data.resources.medications ?? [], input, dataDeps),
            conditions,
            settings: config.medication,
          })
        : null;
      const cards: IssuedCard[] = assessment.findings.map((f: PatientViewFinding) => {
        switch (f.kind) {
          case 'screening-incomplete':
            // TODO(quiet-by-design): facts from the finding.
            return issue(renderScreeningIncomplete(f, ctx), {});
          case 'screening-abnormal':
            // TODO(quiet-by-design): facts from the finding.
            return issue(renderScreeningAbnormal(f, ctx), {});
          case 'non-pharmacological-treatment':
            // Its finding is the phase and the multidisciplinary eligibility (docs/clinical-rules.md §6).
            return issue(renderNonPharmacological(f, ctx, deps.nonPharmacological), {
              phase: f.phase,
              multidisciplinary: f.multidisciplinaryEligible,
              unansweredFlags: f.unansweredFlags,
            });
        }
      });
      // TODO(quiet-by-design): facts from the finding.
      if (currentMedication) cards.push(issue(renderCurrentMedication(currentMedication, ctx), {}));
      return { cards };
    },
  };
}
