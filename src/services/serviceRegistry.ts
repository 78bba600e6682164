import type { Config } from '../config.js';
import { createFhirFetcher, type FhirFetcher } from '../data/fhirFetcher.js';
import type { Logger } from '../observability/logger.js';
import { loadCardTexts, type CardTexts } from '../render/cardTexts.js';
import { loadCodeSystems } from '../terminology/codeSystems.js';
import { loadDrugCodes } from '../terminology/drugCodes.js';
import { loadDrugKinds } from '../terminology/drugKinds.js';
import { loadMedicationConditionCodes } from '../terminology/medicationConditions.js';
import { loadGsbValueSet } from '../terminology/gsbValueSet.js';
import { loadNonPharmacologicalCodes } from '../terminology/nonPharmacologicalCodes.js';
import { loadScreeningPanelCodes } from '../terminology/screeningPanelCodes.js';
import type { CdsService } from './cdsService.js';
import { createOrderSelectService, createOrderSignService } from './medicationOrderService.js';
import { createPatientViewService } from './patientViewService.js';

export interface ServiceRegistryOptions {
  /** Replaces the FHIR fetcher (tests). */
  fetcher?: FhirFetcher;
  texts?: CardTexts;
}

/**
 * Builds every CDS service with its data loaded once at start (card texts, terminology). A broken data
 * file stops the start here, not at the first request.
 */
export function createServices(config: Config, logger: Logger, options: ServiceRegistryOptions = {}): CdsService[] {
  const texts = options.texts ?? loadCardTexts();
  const fetcher = options.fetcher ?? createFhirFetcher(config, logger);
  const panel = loadScreeningPanelCodes();
  const gsb = loadGsbValueSet(config.scope.extraGsbCodes);
  const systems = loadCodeSystems();
  const medication = {
    drugs: loadDrugCodes(loadDrugKinds(), systems),
    conditions: loadMedicationConditionCodes(systems, config.scope.icpc2L18 !== 'off'),
  };
  return [
    createPatientViewService({ config, logger, fetcher, texts, panel, gsb, nonPharmacological: loadNonPharmacologicalCodes(), medication }),
    createOrderSelectService({ config, logger, fetcher, texts, gsb, medication }),
    createOrderSignService({ config, logger, fetcher, texts, gsb, medication }),
  ];
}
