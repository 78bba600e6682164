import type { SortRule, TypedValue } from '@medplum/core';
import {
  badRequest,
  convertToSearchableDates,
  convertToSearchableReferences,
  convertToSearchableStrings,
  evalFhirPathTyped,
  getSearchParameter,
  OperationOutcomeError,
  toTypedValue,
} from '@medplum/core';
import type { Resource, SearchParameter } from '@medplum/fhirtypes';

/**
 * Multi-key `_sort` (e.g. `_sort=code,-date`). The stock in-memory store re-sorted once per key, so
 * the last key won; here the keys are compared in order, with one precomputed key per resource and
 * rule (FHIRPath runs once per resource, not once per comparison).
 */

type SortValue = string | number | undefined;

export type SortKeyed<T> = { item: T; keys: SortValue[] };

/** The search parameters behind the rules; unknown or unsortable ones are a 400, as on a real server. */
export function resolveSortParameters(resourceType: string, rules: readonly SortRule[]): SearchParameter[] {
  return rules.map((rule) => {
    const param = getSearchParameter(resourceType, rule.code);
    if (!param?.expression) {
      throw new OperationOutcomeError(badRequest(`Unknown sort parameter for ${resourceType}: ${rule.code}`));
    }
    if (param.type === 'composite' || param.type === 'special') {
      throw new OperationOutcomeError(badRequest(`Cannot sort by ${param.type} parameter ${rule.code}`));
    }
    return param;
  });
}

export function sortResources<T extends Resource>(
  resources: readonly T[],
  rules: readonly SortRule[],
  params: readonly SearchParameter[],
): T[] {
  const keyed: SortKeyed<T>[] = resources.map((item) => ({
    item,
    keys: rules.map((rule, i) => sortValue(item, params[i] as SearchParameter, rule.descending === true)),
  }));
  keyed.sort((a, b) => {
    for (let i = 0; i < rules.length; i++) {
      const order = compareValues(a.keys[i], b.keys[i], rules[i]?.descending === true);
      if (order !== 0) return order;
    }
    return 0; // Array.prototype.sort is stable: ties keep insertion order
  });
  return keyed.map((k) => k.item);
}

/** Missing values sort last in both directions. */
function compareValues(a: SortValue, b: SortValue, descending: boolean): number {
  if (a === b) return 0;
  if (a === undefined) return 1;
  if (b === undefined) return -1;
  const order = a < b ? -1 : 1;
  return descending ? -order : order;
}

/** With several values (e.g. two codings), ascending uses the smallest and descending the largest. */
function sortValue(resource: Resource, param: SearchParameter, descending: boolean): SortValue {
  const typed = evalFhirPathTyped(param.expression as string, [toTypedValue(resource)]);
  const values = valuesFor(param.type, typed);
  if (values.length === 0) return undefined;
  return values.reduce((best, v) => ((descending ? v > best : v < best) ? v : best));
}

function valuesFor(type: SearchParameter['type'], typed: TypedValue[]): (string | number)[] {
  switch (type) {
    case 'date':
      // Instants normalized to UTC ISO strings, so string order is time order.
      return convertToSearchableDates(typed)
        .map((period) => period.start ?? period.end)
        .filter((v): v is string => typeof v === 'string');
    case 'number':
    case 'quantity':
      return typed
        .map((t) => (typeof t.value === 'number' ? t.value : (t.value as { value?: unknown } | undefined)?.value))
        .filter((v): v is number => typeof v === 'number');
    case 'string':
      return convertToSearchableStrings(typed).map((s) => s.toLowerCase());
    case 'reference':
      return convertToSearchableReferences(typed);
    case 'token':
      return typed.map(tokenSortValue).filter((v): v is string => typeof v === 'string');
    default:
      return typed.map((t) => t.value).filter((v): v is string => typeof v === 'string');
  }
}

/** The code (CodeableConcept/Coding), value (Identifier) or primitive; not displays or text. */
function tokenSortValue(typed: TypedValue): string | undefined {
  const value: unknown = typed.value;
  if (value === null || value === undefined) return undefined;
  if (typeof value !== 'object') return String(value);
  const v = value as { coding?: { code?: string }[]; code?: string; value?: string; text?: string };
  return v.coding?.find((c) => c.code)?.code ?? v.code ?? v.value ?? v.text;
}
