import type { Filter, IncludeTarget, SearchRequest, WithId } from '@medplum/core';
import {
  badRequest,
  deepClone,
  formatSearchQuery,
  getSearchParameter,
  matchesSearchRequest,
  Operator,
  OperationOutcomeError,
  splitSearchOnComma,
} from '@medplum/core';
import { MemoryRepository } from '@medplum/fhir-router';
import type { Bundle, BundleEntry, BundleLink, Resource, SearchParameter } from '@medplum/fhirtypes';
import { normalizeReference, ReferenceIndex, referenceMatches } from './references.js';
import { selectReferences } from './referenceParameters.js';
import { resolveSortParameters, sortResources } from './sorting.js';

/**
 * Medplum's MemoryRepository with the search a FHIR client expects from a server (see README):
 * bare-id reference search, searches narrowed by a reference index, multi-key `_sort`, paging with
 * `next` links, `_include`/`_revinclude`, and a 400 for what it cannot answer instead of silently
 * returning nothing. Reads, history, versions and patches stay the base class's.
 */

export interface SearchPaging {
  /** Page size when the request has no `_count`. */
  defaultPageSize: number;
  /** Upper bound for `_count`. */
  maxPageSize: number;
}

const DEFAULT_PAGING: SearchPaging = { defaultPageSize: 50, maxPageSize: 1000 };

type Stored = WithId<Resource>;

const REFERENCE_OPERATORS: readonly string[] = [Operator.EQUALS, Operator.NOT, Operator.NOT_EQUALS];
const PRESENCE_OPERATORS: readonly string[] = [Operator.MISSING, Operator.PRESENT];
const TOKEN_OPERATORS: readonly string[] = [Operator.EQUALS, Operator.NOT, Operator.NOT_EQUALS];
const STRING_OPERATORS: readonly string[] = [Operator.EQUALS, Operator.CONTAINS, Operator.EXACT];

export class IndexedMemoryRepository extends MemoryRepository {
  /** Base of `fullUrl`s and Bundle links; the HTTP server sets it once it knows its port. */
  baseUrl = 'http://127.0.0.1/fhir';

  private readonly paging: SearchPaging;
  /** Current version of every resource, by type then id, in creation order. */
  private readonly current = new Map<string, Map<string, Stored>>();
  /** Creation order, so a narrowed search returns the same order as a full scan. */
  private readonly position = new Map<string, number>();
  private nextPosition = 0;
  private readonly references = new ReferenceIndex();

  constructor(paging: Partial<SearchPaging> = {}) {
    super();
    this.paging = { ...DEFAULT_PAGING, ...paging };
  }

  override clear(): void {
    super.clear();
    this.current.clear();
    this.position.clear();
    this.references.clear();
  }

  /** Every create and update (the base class's update calls this) passes here, so the index stays current. */
  override async createResource<T extends Resource>(resource: T): Promise<WithId<T>> {
    const stored = await super.createResource(resource);
    let byId = this.current.get(stored.resourceType);
    if (!byId) {
      byId = new Map();
      this.current.set(stored.resourceType, byId);
    }
    const previous = byId.get(stored.id);
    if (previous) this.references.remove(previous);
    byId.set(stored.id, stored);
    this.references.add(stored);
    const key = `${stored.resourceType}/${stored.id}`;
    if (!this.position.has(key)) this.position.set(key, this.nextPosition++);
    return deepClone(stored);
  }

  override async deleteResource(resourceType: string, id: string): Promise<void> {
    await super.deleteResource(resourceType, id);
    const previous = this.current.get(resourceType)?.get(id);
    if (previous) this.references.remove(previous);
    this.current.get(resourceType)?.delete(id);
    this.position.delete(`${resourceType}/${id}`);
  }

  /** Number of current resources of a type (for start-up summaries and tests). */
  count(resourceType: string): number {
    return this.current.get(resourceType)?.size ?? 0;
  }

  override async search<T extends Resource>(request: SearchRequest<T>): Promise<Bundle<WithId<T>>> {
    const { resourceType } = request;
    if (request.types?.length || !getSearchParameter(resourceType, '_id')) {
      throw new OperationOutcomeError(badRequest(`Search by type only; unknown resource type: ${resourceType}`));
    }
    const filters = request.filters ?? [];
    const params = filters.map((filter) => checkedParameter(resourceType, filter));
    const sortParams = resolveSortParameters(resourceType, request.sortRules ?? []);
    const { offset, count } = this.pageOf(request);

    const matches: Stored[] = [];
    for (const resource of this.candidates(resourceType, filters, params)) {
      if (this.matchesAll(resource, filters, params)) matches.push(resource);
    }
    const ordered = request.sortRules?.length ? sortResources(matches, request.sortRules, sortParams) : matches;
    const page = ordered.slice(offset, offset + count);

    const entry: BundleEntry<WithId<T>>[] = page.map((resource) => this.entryOf<T>(resource, 'match'));
    const included = this.included(page, request.include ?? [], request.revInclude ?? []);
    // Included resources are of other types; Medplum's Bundle<T> typing has no place for them.
    entry.push(...included.map((resource) => this.entryOf<T>(resource, 'include')));

    return {
      resourceType: 'Bundle',
      type: 'searchset',
      total: ordered.length,
      link: this.linksOf(request, offset, count, ordered.length),
      ...(entry.length ? { entry } : {}),
    };
  }

  private pageOf(request: SearchRequest): { offset: number; count: number } {
    const offset = request.offset ?? 0;
    const count = request.count ?? this.paging.defaultPageSize;
    if (!Number.isInteger(offset) || offset < 0) throw new OperationOutcomeError(badRequest('Invalid _offset'));
    if (!Number.isInteger(count) || count < 0) throw new OperationOutcomeError(badRequest('Invalid _count'));
    return { offset, count: Math.min(count, this.paging.maxPageSize) };
  }

  /**
   * The resources worth checking: with an equality filter on a reference (e.g. `patient=1`) or on
   * `_id`, only those the index names (smallest set wins); otherwise every resource of the type.
   */
  private candidates(resourceType: string, filters: Filter[], params: SearchParameter[]): Iterable<Stored> {
    const all = this.current.get(resourceType) ?? new Map<string, Stored>();
    let narrowest: Set<string> | undefined;
    filters.forEach((filter, i) => {
      if (filter.operator !== Operator.EQUALS) return;
      let ids: Set<string> | undefined;
      if (filter.code === '_id') {
        ids = new Set(splitSearchOnComma(filter.value));
      } else if (params[i]?.type === 'reference') {
        ids = new Set();
        for (const value of splitSearchOnComma(filter.value)) {
          const found = this.references.candidates(resourceType, value);
          if (!found) return; // not indexable: this filter cannot narrow
          for (const id of found) ids.add(id);
        }
      }
      if (ids && (!narrowest || ids.size < narrowest.size)) narrowest = ids;
    });
    if (!narrowest) return all.values();
    const found = [...narrowest].map((id) => all.get(id)).filter((r): r is Stored => r !== undefined);
    const at = (r: Stored): number => this.position.get(`${r.resourceType}/${r.id}`) ?? 0;
    return found.sort((a, b) => at(a) - at(b));
  }

  private matchesAll(resource: Stored, filters: Filter[], params: SearchParameter[]): boolean {
    return filters.every((filter, i) => {
      const param = params[i] as SearchParameter;
      if (param.type === 'reference' && REFERENCE_OPERATORS.includes(filter.operator)) {
        const stored = selectReferences(resource, param);
        const hit = splitSearchOnComma(filter.value).some((v) => stored.some((s) => referenceMatches(s, v)));
        return filter.operator === Operator.EQUALS ? hit : !hit;
      }
      return matchesSearchRequest(resource, { resourceType: resource.resourceType, filters: [filter] });
    });
  }

  /** `_include` (from the page, then `:iterate` from what was included) and `_revinclude`. */
  private included(page: Stored[], include: IncludeTarget[], revInclude: IncludeTarget[]): Stored[] {
    if (include.length === 0 && revInclude.length === 0) return [];
    const seen = new Set(page.map((r) => `${r.resourceType}/${r.id}`));
    const added: Stored[] = [];
    let frontier = page;
    for (let round = 0; frontier.length > 0; round++) {
      const next: Stored[] = [];
      const add = (resource: Stored | undefined): void => {
        const key = resource && `${resource.resourceType}/${resource.id}`;
        if (resource && key && !seen.has(key)) {
          seen.add(key);
          next.push(resource);
        }
      };
      for (const target of include.filter((t) => round === 0 || t.modifier === Operator.ITERATE)) {
        const param = includeParameter(target);
        for (const resource of frontier) {
          if (resource.resourceType !== target.resourceType) continue;
          for (const reference of selectReferences(resource, param)) {
            const normalized = normalizeReference(reference);
            if (!normalized) continue;
            const [type, id] = normalized.split('/') as [string, string];
            if (target.targetType && target.targetType !== type) continue;
            add(this.current.get(type)?.get(id));
          }
        }
      }
      for (const target of revInclude.filter((t) => round === 0 || t.modifier === Operator.ITERATE)) {
        const param = includeParameter(target);
        for (const resource of frontier) {
          const targetRef = `${resource.resourceType}/${resource.id}`;
          for (const id of this.references.candidates(target.resourceType, targetRef) ?? []) {
            const candidate = this.current.get(target.resourceType)?.get(id);
            if (candidate && selectReferences(candidate, param).some((s) => referenceMatches(s, targetRef))) {
              add(candidate);
            }
          }
        }
      }
      added.push(...next);
      frontier = next;
    }
    return added;
  }

  private entryOf<T extends Resource>(resource: Stored, mode: 'match' | 'include'): BundleEntry<WithId<T>> {
    return {
      fullUrl: `${this.baseUrl}/${resource.resourceType}/${resource.id}`,
      resource: deepClone(resource) as WithId<T>,
      search: { mode },
    };
  }

  private linksOf(request: SearchRequest, offset: number, count: number, total: number): BundleLink[] {
    const urlAt = (at: number): string =>
      `${this.baseUrl}/${request.resourceType}${formatSearchQuery({ ...request, offset: at, count })}`;
    const links: BundleLink[] = [{ relation: 'self', url: urlAt(offset) }];
    if (count > 0) {
      links.push({ relation: 'first', url: urlAt(0) });
      if (offset > 0) links.push({ relation: 'previous', url: urlAt(Math.max(0, offset - count)) });
      if (offset + count < total) links.push({ relation: 'next', url: urlAt(offset + count) });
    }
    return links;
  }
}

/** The filter's search parameter, or a 400 for what this store cannot evaluate faithfully. */
function checkedParameter(resourceType: string, filter: Filter): SearchParameter {
  const param = getSearchParameter(resourceType, filter.code);
  if (!param) {
    // Chains (`subject.name`), `_has`, `_text`, `_filter`… and typos all land here.
    throw new OperationOutcomeError(badRequest(`Unknown or unsupported search parameter for ${resourceType}: ${filter.code}`));
  }
  if (PRESENCE_OPERATORS.includes(filter.operator)) return param;
  const supported: Partial<Record<SearchParameter['type'], readonly string[] | 'all'>> = {
    reference: REFERENCE_OPERATORS,
    token: TOKEN_OPERATORS,
    string: STRING_OPERATORS,
    uri: [Operator.EQUALS],
    date: 'all',
  };
  const operators = supported[param.type];
  if (!operators || (operators !== 'all' && !operators.includes(filter.operator))) {
    throw new OperationOutcomeError(
      badRequest(`Unsupported search: ${param.type} parameter ${filter.code} with operator ${filter.operator}`),
    );
  }
  return param;
}

function includeParameter(target: IncludeTarget): SearchParameter {
  const param = getSearchParameter(target.resourceType, target.searchParam);
  if (param?.type !== 'reference') {
    throw new OperationOutcomeError(
      badRequest(`Not a reference search parameter: ${target.resourceType}:${target.searchParam}`),
    );
  }
  return param;
}
