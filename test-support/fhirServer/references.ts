import type { Resource } from '@medplum/fhirtypes';

/**
 * Reference strings as stored in resources and as given in searches, reduced to one comparable form.
 * A server must treat `Patient/1`, `http://host/fhir/Patient/1` and `Patient/1/_history/2` as the
 * same target, and a bare `1` in `patient=1` as "any reference whose id is 1".
 */

const RELATIVE_REFERENCE = /(?:^|\/)([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/;
const BARE_ID = /^[A-Za-z0-9\-.]{1,64}$/;

/** `Type/id` for a literal reference (relative or absolute), else undefined (urn:uuid, `#contained`, …). */
export function normalizeReference(reference: string): string | undefined {
  const match = RELATIVE_REFERENCE.exec(reference.split('?')[0] ?? '');
  return match ? `${match[1]}/${match[2]}` : undefined;
}

function isBareId(value: string): boolean {
  return BARE_ID.test(value);
}

/** Whether one stored reference satisfies one search value (`Type/id`, absolute URL or a bare id). */
export function referenceMatches(stored: string, searchValue: string): boolean {
  if (stored === searchValue) return true;
  const normalized = normalizeReference(stored);
  if (!normalized) return false;
  if (isBareId(searchValue)) return normalized.endsWith('/' + searchValue);
  return normalized === normalizeReference(searchValue);
}

/** Every `reference` string anywhere in a resource (contained resources included: a superset is fine). */
function collectReferences(resource: Resource): string[] {
  const found: string[] = [];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const item of value) walk(item);
    } else if (value !== null && typeof value === 'object') {
      for (const [key, child] of Object.entries(value)) {
        if (key === 'reference' && typeof child === 'string') found.push(child);
        else walk(child);
      }
    }
  };
  walk(resource);
  return found;
}

/** The index keys of a reference: `Type/id` and the bare `id` (no collisions: a bare id has no slash). */
function indexKeys(reference: string): string[] {
  const normalized = normalizeReference(reference);
  if (!normalized) return [];
  return [normalized, normalized.slice(normalized.indexOf('/') + 1)];
}

/**
 * Which resources of a type point at a target. Candidates only: the caller still checks the search
 * parameter's own FHIRPath, but over a handful of resources instead of all of them.
 */
export class ReferenceIndex {
  /** resourceType → key (`Type/id` or bare id) → ids of resources of that type holding such a reference */
  private readonly byType = new Map<string, Map<string, Set<string>>>();

  add(resource: Resource & { id: string }): void {
    let byKey = this.byType.get(resource.resourceType);
    if (!byKey) {
      byKey = new Map();
      this.byType.set(resource.resourceType, byKey);
    }
    for (const reference of collectReferences(resource)) {
      for (const key of indexKeys(reference)) {
        let ids = byKey.get(key);
        if (!ids) {
          ids = new Set();
          byKey.set(key, ids);
        }
        ids.add(resource.id);
      }
    }
  }

  remove(resource: Resource & { id: string }): void {
    const byKey = this.byType.get(resource.resourceType);
    if (!byKey) return;
    for (const reference of collectReferences(resource)) {
      for (const key of indexKeys(reference)) {
        const ids = byKey.get(key);
        ids?.delete(resource.id);
        if (ids?.size === 0) byKey.delete(key);
      }
    }
  }

  /**
   * Ids of `resourceType` resources that may reference `searchValue`, or undefined when the value
   * cannot be looked up (then the caller scans all resources of the type).
   */
  candidates(resourceType: string, searchValue: string): ReadonlySet<string> | undefined {
    const key = isBareId(searchValue) ? searchValue : normalizeReference(searchValue);
    if (!key) return undefined;
    return this.byType.get(resourceType)?.get(key) ?? new Set();
  }

  clear(): void {
    this.byType.clear();
  }
}
