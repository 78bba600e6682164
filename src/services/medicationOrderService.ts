import type { Config } from '../config.js';
import { MEDICATION_STATEMENTS_PREFETCH, readActiveMedications } from '../data/activeMedications.js';
import { readDraftOrders, withMedications } from '../data/draftOrders.js';
import type { FhirFetcher } from '../data/fhirFetcher.js';
import { resolvePrefetch } from '../data/prefetchResolver.js';
import { fetchReferencedMedications } from '../data/referencedMedications.js';
import { ofType } from '../data/resourceFilter.js';
import { findDrugOrderFindings, relevantDrafts, type MedicationTerminology } from '../guideline/drugOrderFindings.js';
import { assessScope, type ScopeSettings } from '../guideline/scope.js';
import { isStillTaken } from '../guideline/stillTaken.js';
import { issue, type ServiceAnswer } from '../model/cdsResponse.js';
import { asList } from '../model/json.js';
import { DAY_MS } from '../model/duration.js';
import type { DraftOrder, MedicationOrderView, ResourceJson } from '../model/medicationOrder.js';
import type { Logger } from '../observability/logger.js';
import type { CardTexts } from '../render/cardTexts.js';
import { renderDrugOrderCard } from '../render/drugOrderCard.js';
import type { RenderContext } from '../render/renderContext.js';
import type { GsbValueSet } from '../terminology/gsbValueSet.js';
import type { CdsService, PrefetchTemplateSpec, ServiceCall } from '../model/cdsService.js';

const ORDER_SELECT_SERVICE_ID = 'nkr-pain-order-select';
const ORDER_SIGN_SERVICE_ID = 'nkr-pain-order-sign';

export interface MedicationOrderDeps {
  config: Config;
  logger: Logger;
  fetcher: FhirFetcher;
  texts: CardTexts;
  gsb: GsbValueSet;
  medication: MedicationTerminology;
}

/**
 * The patient's Conditions (scope, reasons, opioid dependence), active orders and, optionally, the shared
 * medication record's active statements (same-ingredient and opioid-switch checks).
 */
const MEDICATION_ORDER_PREFETCH: readonly PrefetchTemplateSpec[] = [
  { key: 'patient', query: 'Patient/{{context.patientId}}', required: false, description: 'the Patient' },
  { key: 'conditions', query: 'Condition?patient={{context.patientId}}', required: true, description: "the patient's Conditions" },
  {
    key: 'medications',
    query: 'MedicationRequest?patient={{context.patientId}}&status=active',
    // A DSTU2 server (the CDS Hooks sandbox's default) has no MedicationRequest: its active orders are MedicationOrders.
    olderVersions: [{ version: 'DSTU2', query: 'MedicationOrder?patient={{context.patientId}}&status=active' }],
    // Optional: only the opioid rule reads it, and without it the opioid card withholds its delete suggestion
    // and says so (docs/clinical-rules.md §4.1); an SSRI or amitriptyline card does not need it at all.
    required: false,
    description: "the patient's active MedicationRequests",
  },
  MEDICATION_STATEMENTS_PREFETCH,
];

const EMPTY: ServiceAnswer = { cards: [] };
/** The keys that list what the patient takes: orders and the shared medication record (FMK). */
const MEDICATION_KEYS = ['medications', MEDICATION_STATEMENTS_PREFETCH.key] as const;

/**
 * The draft an `update` starts from, in the EHR's own FHIR version (docs/clinical-rules.md §4.5): R4 orders
 * normalised (arrays where R4 wants them), DSTU2 and STU3 as sent (an STU3 dose stays on its instruction).
 */
function updateBase(draft: DraftOrder | undefined): ResourceJson | null {
  if (!draft) return null;
  return draft.fhirVersion === 'R4' ? draft.asR4() : draft.asSent();
}

/**
 * order-select (only the orders in `selections`) and order-sign (every draft): one card per
 * (order, drug kind), docs/clinical-rules.md §4. Each draft is read and classified once, before any
 * patient data is fetched: an empty draft (the sandbox sends one on entering its Rx view), a stopped draft or
 * a drug the guideline does not speak about costs no FHIR query and can never end in a 412.
 */
function createMedicationOrderService<H extends 'order-select' | 'order-sign'>(
  deps: MedicationOrderDeps,
  spec: { id: string; hook: H; title: string; description: string },
): CdsService<H> {
  const { config } = deps;
  const settings = { ...config.medication, times: deps.medication.times };
  const isGsbReason = (c: fhir4.CodeableConcept): boolean => deps.gsb.has(c);
  const dataDeps = { fetcher: deps.fetcher, config };
  const scopeSettings: ScopeSettings = { ...config.scope, recentDays: config.screening.recentDays };

  async function call(data: ServiceCall<'order-select' | 'order-sign'>): Promise<ServiceAnswer> {
    const { request, lang, now, skipped } = data;
    const context = request.context;
    // The sandbox re-sends a context of only patientId and userId when its active tab is clicked again.
    if (context.draftOrders === undefined) return EMPTY;
    const selections = request.hook === 'order-select' ? asList(request.context.selections) : undefined;
    let drafts = readDraftOrders(context.draftOrders, selections, skipped, deps.gsb.statuses);
    // Loops, not flatMap (an array per element; ~1 µs a call on Node 20).
    const unresolved: string[] = [];
    for (const d of drafts) if (d.selected && d.unresolvedMedicationReference) unresolved.push(d.unresolvedMedicationReference);
    if (unresolved.length > 0) drafts = withMedications(drafts, await fetchReferencedMedications(unresolved, data, dataDeps));
    const relevant = relevantDrafts(drafts, deps.medication);
    if (relevant.length === 0) return EMPTY;

    const resolved = await resolvePrefetch(MEDICATION_ORDER_PREFETCH, data, dataDeps);
    const conditions = ofType(resolved.resources.conditions, 'Condition');
    const scope = assessScope(conditions, deps.gsb, scopeSettings, now, resolved.resources.patient?.[0], skipped);
    // Adults only, and the living (docs/clinical-rules.md §2): not even a draft's GSB reason brings them in scope.
    if (scope.outOfScope === 'under-age' || scope.outOfScope === 'deceased') return EMPTY;
    if (scope.ageUnknown) data.log.info({ hook: spec.hook }, 'no Patient.birthDate: the age limit (MIN_PATIENT_AGE) was not checked');
    const unreadableBefore = skipped.countOf('active-medication');
    const listed = await readActiveMedications([...(resolved.resources.medications ?? []), ...(resolved.resources.medicationStatements ?? [])], data, dataDeps, skipped, deps.gsb.statuses);
    // Still taken, or ended within OPIOID_RECENTLY_ENDED_DAYS: a draft opioid may renew it or switch from it (docs/clinical-rules.md §4.1).
    const recentlyEndedFrom = now - settings.recentlyEndedDays * DAY_MS;
    const active: MedicationOrderView[] = [];
    const recentlyEnded: MedicationOrderView[] = [];
    for (const m of listed) {
      if (isStillTaken(m, now)) active.push(m);
      else if (!m.notTaken && isStillTaken(m, recentlyEndedFrom)) recentlyEnded.push(m);
    }
    // An active order or statement that could not be read (no status, no readable medication) may be an
    // opioid: as when the list itself could not be read, no opioid already taken can be ruled out.
    const someActiveUnreadable = skipped.countOf('active-medication') > unreadableBefore;
    const findings = findDrugOrderFindings({
      drafts,
      relevant,
      activeMedications: active,
      recentlyEnded: { orders: recentlyEnded, days: settings.recentlyEndedDays },
      // Orders and the shared medication record (FMK, where a Danish patient's opioids often are) alike.
      activeOrdersKnown: !MEDICATION_KEYS.some((k) => resolved.unavailable.includes(k)) && !someActiveUnreadable,
      // Withheld by consent or access rules (a Danish patient may block records): an opioid order, or opioid dependence, may be among them.
      recordsWithheld: [...MEDICATION_KEYS, 'conditions'].some((k) => resolved.withheld.includes(k)),
      conditions,
      patientInScope: scope.inScope,
      isGsbReason,
      settings,
      terminology: deps.medication,
    });
    const ctx: RenderContext = { lang, texts: deps.texts, guidelineUrl: config.guidelineUrl, patientId: context.patientId };
    const byReference = new Map<string, DraftOrder>();
    for (const { draft } of relevant) if (draft.reference) byReference.set(draft.reference, draft);
    return {
      cards: findings.map((finding) =>
        issue(
          renderDrugOrderCard({ finding, updateBase: () => updateBase(finding.order.reference ? byReference.get(finding.order.reference) : undefined) }, ctx),
          // The indicator too: a bedtime amitriptyline (info) answered at order-select must not quiet the daytime warning at signing.
          { order: finding.order.reference, medicationCodes: finding.order.medicationCodes, kind: finding.kind, indicator: finding.indicator },
          finding.order.reference ?? undefined,
        ),
      ),
    };
  }

  return { ...spec, prefetch: MEDICATION_ORDER_PREFETCH, call };
}

export function createOrderSelectService(deps: MedicationOrderDeps): CdsService<'order-select'> {
  return createMedicationOrderService(deps, {
    id: ORDER_SELECT_SERVICE_ID,
    hook: 'order-select',
    title: 'NKR generalized musculoskeletal pain: drug orders (on selection)',
    description:
      "When a drug is selected for ordering: the Danish national guideline's recommendation and its strength for opioids without dual action, tramadol, tapentadol, SSRIs, amitriptyline and other TCAs, duloxetine, venlafaxine, gabapentin and pregabalin, with one-click suggestions.",
  });
}

export function createOrderSignService(deps: MedicationOrderDeps): CdsService<'order-sign'> {
  return createMedicationOrderService(deps, {
    id: ORDER_SIGN_SERVICE_ID,
    hook: 'order-sign',
    title: 'NKR generalized musculoskeletal pain: drug orders (at signing)',
    description:
      "When drug orders are signed: the Danish national guideline's recommendation and its strength for every draft medication order it addresses, with one-click suggestions.",
  });
}
