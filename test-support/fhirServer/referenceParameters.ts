import { convertToSearchableReferences, evalFhirPathTyped, toTypedValue } from '@medplum/core';
import type { Resource, SearchParameter } from '@medplum/fhirtypes';
import { splitUnion } from './definitions.js';
import { normalizeReference } from './references.js';

/**
 * The references a reference-type search parameter selects from one resource.
 *
 * R4's shared expressions read like `Observation.subject.where(resolve() is Patient) | Condition…`.
 * Medplum's `resolve()` only understands relative references, so an absolute
 * `http://host/fhir/Patient/1` would not count as a patient. Here the `where(resolve() is X)` part is
 * replaced by a check of the normalized reference's type (definitions.ts already cut the expression
 * down to the resource's own type; the filter below only guards against a shared expression).
 */

type Branch = { expression: string; requiredType?: string };

const WHERE_RESOLVE_IS = /^(.*)\.where\(resolve\(\) is ([A-Za-z]+)\)$/;
const branchCache = new Map<string, Branch[]>();

function branchesFor(resourceType: string, param: SearchParameter): Branch[] {
  const cacheKey = `${resourceType}|${param.url ?? param.code}`;
  const cached = branchCache.get(cacheKey);
  if (cached) return cached;
  const branches = splitUnion(param.expression ?? '')
    .filter((part) => part.startsWith(resourceType + '.') || part.startsWith(`(${resourceType}.`))
    .map((part): Branch => {
      const match = WHERE_RESOLVE_IS.exec(part);
      return match ? { expression: match[1] as string, requiredType: match[2] as string } : { expression: part };
    });
  // An expression not written per type (none seen in R4's reference parameters): evaluate it whole.
  if (branches.length === 0 && param.expression) branches.push({ expression: param.expression });
  branchCache.set(cacheKey, branches);
  return branches;
}

/** Reference strings as stored (not normalized) that the parameter selects from the resource. */
export function selectReferences(resource: Resource, param: SearchParameter): string[] {
  const input = [toTypedValue(resource)];
  const found: string[] = [];
  for (const branch of branchesFor(resource.resourceType, param)) {
    for (const reference of convertToSearchableReferences(evalFhirPathTyped(branch.expression, input))) {
      if (!branch.requiredType || normalizeReference(reference)?.startsWith(branch.requiredType + '/')) {
        found.push(reference);
      }
    }
  }
  return found;
}
