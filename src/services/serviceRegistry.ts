import { ConfigError, type Config } from '../config.js';
import { createFhirFetcher, type FhirFetcher } from '../data/fhirFetcher.js';
import { recordFhirReads } from '../data/fhirReadMetrics.js';
import type { Logger } from '../observability/logger.js';
import type { FhirReadRecorder } from '../observability/metrics.js';
import { loadCardTexts, type CardTexts } from '../render/cardTexts.js';
import { loadCodeSystems } from '../terminology/codeSystems.js';
import { loadDrugCodes } from '../terminology/drugCodes.js';
import { loadDosingTimes } from '../terminology/dosingTimes.js';
import { loadDrugKinds } from '../terminology/drugKinds.js';
import { loadMedicationConditionCodes } from '../terminology/medicationConditions.js';
import { loadConditionStatuses } from '../terminology/conditionStatusWords.js';
import { loadGsbValueSet } from '../terminology/gsbValueSet.js';
import { loadNonPharmacologicalCodes } from '../terminology/nonPharmacologicalCodes.js';
import { loadScreeningPanelCodes } from '../terminology/screeningPanelCodes.js';
import type { CdsService } from '../model/cdsService.js';
import { createOrderSelectService, createOrderSignService } from './medicationOrderService.js';
import { createPatientViewService } from './patientViewService.js';

export interface ServiceRegistryOptions {
  /** Replaces the FHIR fetcher (tests). */
  fetcher?: FhirFetcher;
  texts?: CardTexts;
  /** Told about every FHIR server read (metrics per prefetch key). */
  fhirReads?: FhirReadRecorder;
}

/** GUIDELINE_STATUS_DA/_EN replace the status line of cards/common.yaml (docs/clinical-rules.md §5). */
function withGuidelineStatus(texts: CardTexts, config: Config): CardTexts {
  const { da, en } = config.cards.guidelineStatus;
  if (da === undefined && en === undefined) return texts;
  return texts.withOverrides('common', { ...(da !== undefined ? { da: { guidelineStatus: da } } : {}), ...(en !== undefined ? { en: { guidelineStatus: en } } : {}) });
}

/**
 * CARD_KINDS_DISABLED (docs/clinical-rules.md §8): a disabled kind is never issued, whichever service
 * would make it. Each kind is checked against the card kinds in cards/ at start.
 */
export function disabledKinds(config: Pick<Config, 'cards' | 'quiet'>, texts: CardTexts): ReadonlySet<string> {
  const known = new Set(texts.cardKinds());
  for (const kind of config.cards.disabledKinds) {
    if (!known.has(kind)) throw new ConfigError('CARD_KINDS_DISABLED', `"${kind}" is not a card kind; known: ${[...known].sort().join(', ')}`);
  }
  // QUIET_KINDS_DISABLED (docs/clinical-rules.md §6): the same check, so a typo does not silently quiet a kind.
  for (const kind of config.quiet.disabledKinds) {
    if (!known.has(kind)) throw new ConfigError('QUIET_KINDS_DISABLED', `"${kind}" is not a card kind; known: ${[...known].sort().join(', ')}`);
  }
  return new Set(config.cards.disabledKinds);
}

function withoutKinds(service: CdsService, disabled: ReadonlySet<string>): CdsService {
  if (disabled.size === 0) return service;
  return {
    ...service,
    async call(call) {
      const answer = await service.call(call);
      return { ...answer, cards: answer.cards.filter((c) => !disabled.has(c.kind)) };
    },
  };
}

/**
 * Builds every CDS service with its data loaded once at start (card texts, terminology). A broken data
 * file or an unknown card kind stops the start here, not at the first request.
 */
export function createServices(config: Config, logger: Logger, options: ServiceRegistryOptions = {}): CdsService[] {
  const texts = withGuidelineStatus(options.texts ?? loadCardTexts(), config);
  const disabled = disabledKinds(config, texts);
  const fetcher = options.fetcher ?? createFhirFetcher(config);
  const panel = loadScreeningPanelCodes();
  const systems = loadCodeSystems();
  // One reader of Condition statuses (terminology/condition-status-words.json) for scope and the medication rules.
  const statuses = loadConditionStatuses();
  const gsb = loadGsbValueSet(config.scope.extraGsbCodes, systems, config.scope.icpc2L18, statuses);
  const medication = {
    drugs: loadDrugCodes(loadDrugKinds(), systems),
    conditions: loadMedicationConditionCodes(systems, config.scope.icpc2L18 !== 'off', statuses),
    times: loadDosingTimes(),
  };
  if (config.scope.allPatientsInScope) {
    // Demonstrations only (refused in production by the configuration): every patient gets cards.
    logger.warn({ nodeEnv: config.nodeEnv }, 'ALL_PATIENTS_IN_SCOPE is ON: every patient is treated as having GSB (demonstrations only)');
  }
  if (disabled.size > 0) logger.info({ disabledKinds: [...disabled] }, 'card kinds disabled (CARD_KINDS_DISABLED)');
  const recorded = options.fhirReads ? recordFhirReads(fetcher, options.fhirReads) : null;
  const deps = { config, logger, fetcher: recorded?.fetcher ?? fetcher, texts, gsb, medication };
  const services = [
    createPatientViewService({ ...deps, panel, nonPharmacological: loadNonPharmacologicalCodes() }),
    createOrderSelectService(deps),
    createOrderSignService(deps),
  ];
  for (const s of services) recorded?.addSpecs(s.prefetch);
  return services.map((s) => withoutKinds(s, disabled));
}
