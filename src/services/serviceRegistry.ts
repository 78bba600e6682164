import type { Config } from '../config.js';
import { createFhirFetcher, type FhirFetcher } from '../data/fhirFetcher.js';
import { recordFhirReads } from '../observability/fhirReadMetrics.js';
import type { Logger } from '../observability/logger.js';
import type { FhirReadRecorder } from '../observability/metrics.js';
import { loadCardTexts, type CardTexts } from '../render/cardTexts.js';
import { drugCodes } from '../terminology/drugCodes.js';
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
  /** Told about every FHIR server read (metrics per prefetch key). */
  fhirReads?: FhirReadRecorder;
}

/**
 * Builds every CDS service with its data loaded once at start (card texts, terminology). A broken data
 * file stops the start here, not at the first request.
 */
export function createServices(config: Config, logger: Logger, options: ServiceRegistryOptions = {}): CdsService[] {
  const texts = options.texts ?? loadCardTexts();
  const plainFetcher = options.fetcher ?? createFhirFetcher(config, logger);
  const recorded = options.fhirReads ? recordFhirReads(plainFetcher, options.fhirReads) : null;
  const fetcher = recorded?.fetcher ?? plainFetcher;
  const panel = loadScreeningPanelCodes();
  const gsb = loadGsbValueSet(config.scope.extraGsbCodes);
  drugCodes(); // loads and checks terminology/drugs/ now, not at the first order
  const services = [
    createPatientViewService({ config, logger, fetcher, texts, panel, gsb, nonPharmacological: loadNonPharmacologicalCodes() }),
    createOrderSelectService({ config, logger, fetcher, texts, gsb }),
    createOrderSignService({ config, logger, fetcher, texts, gsb }),
  ];
  for (const s of services) recorded?.addSpecs(s.prefetch);
  return services;
}
