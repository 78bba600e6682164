import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { FhirRepository } from '@medplum/fhir-router';
import type { Bundle, Resource } from '@medplum/fhirtypes';

/**
 * Seeding from fixture files: each `*.json` under the folder is a FHIR Bundle (collection or
 * transaction) of one synthetic patient whose resources carry fixed ids. They are stored under those
 * ids (upsert), so tests and the demo can name them. Entries identified only by `urn:uuid` fullUrls
 * get an id, and references to those fullUrls are rewritten to `Type/id`.
 */

export interface SeedSummary {
  files: number;
  resources: number;
}

export interface SeedOptions {
  /**
   * Moves every date and dateTime in the seed by this many days (0 = as written). The demo writes its
   * patients relative to a reference date and shifts them to today, so a work-up stays a work-up.
   */
  dateShiftDays?: number;
}

export async function seedFromDirectory(repo: FhirRepository, dir: string, options: SeedOptions = {}): Promise<SeedSummary> {
  const files = jsonFilesUnder(dir);
  const shift = options.dateShiftDays ?? 0;
  let resources = 0;
  for (const file of files) {
    const name = relative(dir, file);
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
      if (shift !== 0) parsed = shiftDates(parsed, shift);
    } catch (err) {
      throw new Error(`FHIR seed ${name}: not valid JSON (${(err as Error).message})`);
    }
    for (const resource of resourcesOf(parsed, name, () => repo.generateId())) {
      await repo.updateResource(resource);
      resources++;
    }
  }
  return { files: files.length, resources };
}

/** Sorted, so that when two files share an id the outcome does not depend on the file system. */
function jsonFilesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const found: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...jsonFilesUnder(path));
    else if (name.endsWith('.json')) found.push(path);
  }
  return found;
}

function resourcesOf(parsed: unknown, name: string, generateId: () => string): Resource[] {
  if (!isResource(parsed)) throw new Error(`FHIR seed ${name}: not a FHIR resource`);
  if (parsed.resourceType !== 'Bundle') return [withId(parsed, generateId)];
  const bundle = parsed as Bundle;
  if (bundle.type !== 'collection' && bundle.type !== 'transaction' && bundle.type !== 'batch') {
    throw new Error(`FHIR seed ${name}: Bundle.type must be collection or transaction, not ${bundle.type}`);
  }
  const resources: Resource[] = [];
  const rewrites = new Map<string, string>();
  (bundle.entry ?? []).forEach((entry, i) => {
    if (!isResource(entry.resource)) throw new Error(`FHIR seed ${name}: entry ${i} has no resource`);
    const resource = withId(entry.resource, generateId);
    if (entry.fullUrl) rewrites.set(entry.fullUrl, `${resource.resourceType}/${resource.id}`);
    resources.push(resource);
  });
  return rewrites.size ? resources.map((r) => rewriteReferences(r, rewrites)) : resources;
}

function withId(resource: Resource, generateId: () => string): Resource & { id: string } {
  return resource.id ? (resource as Resource & { id: string }) : { ...resource, id: generateId() };
}

function rewriteReferences<T>(value: T, rewrites: Map<string, string>): T {
  if (Array.isArray(value)) return value.map((v: unknown) => rewriteReferences(v, rewrites)) as T;
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    out[key] =
      key === 'reference' && typeof child === 'string'
        ? (rewrites.get(child) ?? child)
        : rewriteReferences(child, rewrites);
  }
  return out as T;
}

function isResource(value: unknown): value is Resource {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as { resourceType?: unknown }).resourceType === 'string'
  );
}

const DATE_PREFIX = /^(\d{4})-(\d{2})-(\d{2})(T.*)?$/;

/** Every string that is a FHIR date or dateTime (full date) moved by `days`; other values as they are. */
export function shiftDates<T>(value: T, days: number): T {
  if (Array.isArray(value)) return value.map((v: unknown) => shiftDates(v, days)) as T;
  if (typeof value === 'string') {
    const m = DATE_PREFIX.exec(value);
    if (!m) return value;
    const date = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + days));
    return (date.toISOString().slice(0, 10) + (m[4] ?? '')) as T;
  }
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) out[key] = shiftDates(child, days);
  return out as T;
}
