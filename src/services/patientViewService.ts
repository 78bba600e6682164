import type { Config } from '../config.js';
import type { FhirFetcher } from '../data/fhirFetcher.js';
import { resolvePrefetch, type DeferredKey } from '../data/prefetchResolver.js';
import { MEDICATION_STATEMENTS_PREFETCH, readActiveMedications } from '../data/activeMedications.js';
import { olderEhrVersion } from '../data/ehrFhirVersion.js';
import { ofType } from '../data/resourceFilter.js';
import { findCurrentMedication } from '../guideline/currentMedicationFindings.js';
import type { MedicationTerminology } from '../guideline/drugOrderFindings.js';
import {
  assessPatientView,
  type PatientViewFinding,
  type PatientViewSettings,
  type ScreeningAbnormalFinding,
  type ScreeningIncompleteFinding,
} from '../guideline/patientViewFindings.js';
import { flaggedResultKey, type NotAssessableResult } from '../guideline/flaggedResults.js';
import type { NonPharmacologicalFinding } from '../guideline/nonPharmacologicalTreatment.js';
import { assessScope } from '../guideline/scope.js';
import { firstCountedTime, openOrderStatuses } from '../guideline/screeningPanel.js';
import { isStillTaken } from '../guideline/stillTaken.js';
import { RequiredDataUnavailable } from '../model/requiredData.js';
import type { Logger } from '../observability/logger.js';
import { issue, type CardFacts, type IssuedCard } from '../model/cdsResponse.js';
import type { CardTexts } from '../render/cardTexts.js';
import { renderCurrentMedication } from '../render/currentMedicationCard.js';
import { renderNonPharmacological } from '../render/nonPharmacologicalCard.js';
import type { RenderContext } from '../render/renderContext.js';
import { renderScreeningAbnormal } from '../render/screeningAbnormalCard.js';
import { renderScreeningIncomplete } from '../render/screeningIncompleteCard.js';
import type { GsbValueSet } from '../terminology/gsbValueSet.js';
import type { NonPharmacologicalCodes } from '../terminology/nonPharmacologicalCodes.js';
import type { ScreeningPanelCodes } from '../terminology/screeningPanelCodes.js';
import { NOTHING_ANSWERED, type CdsService, type PrefetchTemplateSpec, type ServiceCall } from '../model/cdsService.js';

export const PATIENT_VIEW_SERVICE_ID = 'nkr-pain-patient-view';
const LABS = 'labs';
/** The lab results are judged by this service when they cannot be read (labsWhenNeeded). */
const DEFER_LABS = { deferred: [LABS] } as const;

export interface PatientViewDeps {
  config: Config;
  logger: Logger;
  fetcher: FhirFetcher;
  texts: CardTexts;
  panel: ScreeningPanelCodes;
  gsb: GsbValueSet;
  nonPharmacological: NonPharmacologicalCodes;
  medication: MedicationTerminology;
}

/** The search for the patient's open orders of one type, in the statuses the rules read as open (§3.1). */
const openOrdersQuery = (type: Parameters<typeof openOrderStatuses>[0]): string => `${type}?patient={{context.patientId}}&status=${openOrderStatuses(type).join(',')}`;

/** Prefetch templates: only the restricted query subset and context tokens the spec allows. */
export function patientViewPrefetch(panel: ScreeningPanelCodes): PrefetchTemplateSpec[] {
  return [
    { key: 'patient', query: 'Patient/{{context.patientId}}', required: false, description: 'the Patient' },
    { key: 'conditions', query: 'Condition?patient={{context.patientId}}', required: true, description: "the patient's Conditions" },
    {
      key: LABS,
      // Bare codes: a token search without system matches NPU under either URI and LOINC; the rules match system and code.
      query: `Observation?patient={{context.patientId}}&code=${panel.allCodes().join(',')}&_sort=-date&_count=200`,
      required: true,
      description: "the patient's screening-panel Observations",
    },
    {
      key: 'medications',
      query: 'MedicationRequest?patient={{context.patientId}}&status=active',
      // Read from fhirServer: the referenced Medications in the same answer, not in a second round trip
      // after it (readActiveMedications reads only the references the answer leaves unresolved).
      fhirServerQuery: 'MedicationRequest?patient={{context.patientId}}&status=active&_include=MedicationRequest:medication',
      // A DSTU2 server (the CDS Hooks sandbox's default) has no MedicationRequest: its active orders are MedicationOrders.
      olderVersions: [
        {
          version: 'DSTU2',
          query: 'MedicationOrder?patient={{context.patientId}}&status=active',
          fhirServerQuery: 'MedicationOrder?patient={{context.patientId}}&status=active&_include=MedicationOrder:medication',
        },
      ],
      required: false,
      description: "the patient's active MedicationRequests",
    },
    MEDICATION_STATEMENTS_PREFETCH,
    {
      key: 'serviceRequests',
      // Open orders: a card's own suggestion creates drafts, so drafts count (docs/clinical-rules.md §3.1); optional (§7).
      query: openOrdersQuery('ServiceRequest'),
      // The same open orders on a server of an older version (the rules read all three types): DiagnosticOrder
      // first, as a DSTU2 server's ProcedureRequests are procedures; STU3 has no DiagnosticOrder.
      olderVersions: [
        { version: 'DSTU2', query: openOrdersQuery('DiagnosticOrder') },
        { version: 'STU3', query: openOrdersQuery('ProcedureRequest') },
      ],
      required: false,
      description: "the patient's open ServiceRequests",
    },
  ];
}

/**
 * The not-assessable results a card lists, as facts (§6): "observationId:value", sorted; nothing when it lists
 * none (the card's key is then what it was before they were keyed). A new or changed one is another finding,
 * so a card that lists them is never kept quiet over one the clinician has not seen.
 */
function notAssessableFacts(results: readonly NotAssessableResult[]): CardFacts {
  return results.length === 0 ? {} : { notAssessable: results.map(flaggedResultKey).sort() };
}

/** Facts of the screening-incomplete card (§6): the groups not taken, sorted (missing and stale), and the not-assessable results it lists. */
export function screeningIncompleteFacts(f: ScreeningIncompleteFinding): CardFacts {
  return { groups: f.notTaken.map((g) => g.id).sort(), ...notAssessableFacts(f.notAssessable) };
}

/** Facts of the screening-abnormal card (§6): "observationId:value" of each flagged result, sorted, and of each not-assessable result it lists. */
export function screeningAbnormalFacts(f: ScreeningAbnormalFinding): CardFacts {
  return { flagged: f.flagged.map(flaggedResultKey).sort(), ...notAssessableFacts(f.notAssessable) };
}

/**
 * Facts of the non-drug card (§6): the phase and the multidisciplinary eligibility — a new flagged result has
 * its own card and does not bring this one back — and the not-assessable results it lists, unless it lists
 * them only because the flagged-results card, whose finding holds them, is quiet (a new one brings that card
 * back; this one's finding must not change with another card's quieting). In the established phase also what
 * only this card says: the groups the screening did not include and the groups whose results from before the
 * registration are flagged and unanswered — a new one of either brings it back.
 */
function nonPharmacologicalFacts(f: NonPharmacologicalFinding): CardFacts {
  return {
    phase: f.phase,
    multidisciplinary: f.multidisciplinaryEligible,
    ...notAssessableFacts(f.abnormalCardQuiet ? [] : f.notAssessable),
    ...(f.notIncluded.length > 0 ? { notIncluded: [...f.notIncluded].sort() } : {}),
    ...(f.earlierFlagged.length > 0 ? { earlierFlagged: [...f.earlierFlagged].sort() } : {}),
  };
}

export function createPatientViewService(deps: PatientViewDeps): CdsService<'patient-view'> {
  const prefetch = patientViewPrefetch(deps.panel);
  const labsSpec = prefetch.find((s) => s.key === LABS);
  const { config } = deps;
  const daytimeSettings = { ...config.medication, times: deps.medication.times };
  const dataDeps = { fetcher: deps.fetcher, config };
  // Made once: building it per call by spreading cost ~3 µs (bench/README.md, fourth round).
  const settings: PatientViewSettings = {
    ...config.screening,
    allPatientsInScope: config.scope.allPatientsInScope,
    provisionalMaxDays: config.scope.provisionalMaxDays,
    minPatientAge: config.scope.minPatientAge,
    orderCodeSystem: config.labOrders.codeSystem,
    disabledKinds: config.cards.disabledKinds,
  };

  /**
   * The lab results when they could not be read (docs/clinical-rules.md §7): they matter only for a patient
   * in scope, so an out-of-scope patient gets no cards rather than 412. In scope, a search with more pages
   * than FHIR_MAX_PAGES is read again from the earliest date the rules count (the anchor minus
   * SCREENING_LOOKBACK_DAYS); anything else, or a narrowed search that still does not fit, is 412.
   */
  async function labsWhenNeeded(deferred: DeferredKey | undefined, conditions: readonly unknown[], patient: unknown, now: number): Promise<{ resources: fhir4.Resource[]; withheld: boolean }> {
    const none = { resources: [], withheld: false };
    if (deferred === undefined || labsSpec === undefined) return none;
    const scope = assessScope(conditions, deps.gsb, settings, now, patient);
    if (!scope.inScope) return none;
    const unavailable = (why: string): RequiredDataUnavailable => new RequiredDataUnavailable([{ key: LABS, description: labsSpec.description, why }]);
    if (!deferred.pageLimit) throw unavailable(deferred.why);
    // The UTC day of the first instant that counts (22:00 or 23:00 UTC the day before the Danish day): asks a
    // server that reads a date in UTC or Danish time for no less than the rules count.
    const from = new Date(firstCountedTime(scope, config.screening)).toISOString().slice(0, 10);
    const narrowed = await deferred.readNarrower(`date=ge${from}`);
    if ('unavailable' in narrowed) throw unavailable(`${deferred.why}, and read again from ${from}: ${narrowed.unavailable}`);
    return { resources: narrowed.resources, withheld: narrowed.withheld === true };
  }
  return {
    id: PATIENT_VIEW_SERVICE_ID,
    hook: 'patient-view',
    title: 'NKR generalized musculoskeletal pain: screening and treatment',
    description:
      'Danish national clinical guideline (NKR) for generalized musculoskeletal pain (fibromyalgia among them): the biochemical screening panel still missing, flagged results that may point to another diagnosis, current drugs the guideline addresses, and the non-drug treatment to offer once the patient is clarified (always in the established phase).',
    usageRequirements: 'Patients with a Condition coded as fibromyalgia / generalized musculoskeletal pain (SNOMED CT, ICD-10, SKS or ICD-11).',
    prefetch,
    async call(call: ServiceCall<'patient-view'>) {
      const { request, lang, now } = call;
      const patientId = request.context.patientId;
      const data = await resolvePrefetch(prefetch, call, dataDeps, DEFER_LABS);
      const conditions = ofType(data.resources.conditions, 'Condition');
      const labs: { resources: readonly unknown[]; withheld: boolean } =
        data.resources.labs === undefined
          ? await labsWhenNeeded(data.deferred?.[LABS], conditions, data.resources.patient?.[0], now)
          : { resources: data.resources.labs, withheld: data.withheld.includes(LABS) };
      // Quiet by design (docs/clinical-rules.md §6): the one store read, started by transport beside the FHIR reads.
      const answered = call.answered ? await call.answered() : NOTHING_ANSWERED;
      const assessment = assessPatientView(
        {
          conditions,
          observations: labs.resources,
          // undefined: the optional key could not be read — open orders unknown, nothing is ordered (§7).
          serviceRequests: data.resources.serviceRequests,
          patient: data.resources.patient?.[0],
          labsWithheld: labs.withheld,
          openOrdersWithheld: data.withheld.includes('serviceRequests'),
          isFlagAnswered: (key) => answered.isFlagAnswered(key),
          isAbnormalCardQuiet: (f) => answered.isCardQuiet(f.kind, screeningAbnormalFacts(f)),
        },
        { panel: deps.panel, gsb: deps.gsb, nonPharmacological: deps.nonPharmacological },
        settings,
        now,
        call.skipped,
      );
      if (assessment.scope.inScope && assessment.scope.ageUnknown) {
        call.log.info({ hook: 'patient-view' }, 'no Patient.birthDate: the age limit (MIN_PATIENT_AGE) was not checked');
      }
      // Suggested orders are written in the EHR's own FHIR version when the call shows it older than R4.
      const ctx: RenderContext = { lang, texts: deps.texts, guidelineUrl: config.guidelineUrl, patientId, fhirVersion: olderEhrVersion(data) };
      const unreadableBefore = call.skipped.countOf('active-medication');
      const currentMedication = assessment.scope.inScope
        ? findCurrentMedication({
            activeMedications: (
              await readActiveMedications([...(data.resources.medications ?? []), ...(data.resources.medicationStatements ?? [])], call, dataDeps, call.skipped, deps.gsb.statuses)
            ).filter((m) => isStillTaken(m, now)),
            unreadable: call.skipped.countOf('active-medication') - unreadableBefore,
            ordersUnavailable: data.unavailable.includes('medications'),
            recordUnavailable: data.unavailable.includes('medicationStatements'),
            withheld: data.withheld.includes('medications') || data.withheld.includes('medicationStatements'),
            diagnosesWithheld: data.withheld.includes('conditions'),
            conditions,
            settings: daytimeSettings,
            terminology: deps.medication,
          })
        : null;
      const cards: IssuedCard[] = assessment.findings.map((f: PatientViewFinding): IssuedCard => {
        switch (f.kind) {
          case 'screening-incomplete':
            return issue(renderScreeningIncomplete(f, ctx), screeningIncompleteFacts(f));
          case 'screening-abnormal':
            return issue(renderScreeningAbnormal(f, ctx), screeningAbnormalFacts(f));
          case 'non-pharmacological-treatment':
            return issue(renderNonPharmacological(f, ctx, deps.nonPharmacological), nonPharmacologicalFacts(f));
        }
      });
      if (currentMedication) {
        cards.push(issue(renderCurrentMedication(currentMedication, ctx), { kinds: currentMedication.kinds, medicationCodes: currentMedication.medicationCodes }));
      }
      return { cards };
    },
  };
}
