/**
 * Mutations of JSON request bodies for the fuzzer: the shapes real EHRs, broken proxies and attackers
 * send. A mutation is plain data (which node, what to do), drawn by fast-check, so a failing case is
 * reproducible from its seed and shrinks to the smallest mutation that still fails.
 */
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export const MUTATION_KINDS = [
  'null',
  'delete',
  'string',
  'empty-string',
  'huge-string',
  'number',
  'edge-number',
  'boolean',
  'empty-array',
  'empty-object',
  'single-for-array',
  'array-for-single',
  'deep-nesting',
  'proto-key',
  'constructor-key',
  'extra-field',
  'huge-array',
  'control-chars',
] as const;
export type MutationKind = (typeof MUTATION_KINDS)[number];

export interface Mutation {
  /** Picks the node: an index into the body's node list (taken modulo its length). */
  node: number;
  kind: MutationKind;
  /** Picks among variants of a kind (which edge number, which string). */
  variant: number;
}

const EDGE_NUMBERS = [0, -0, -1, 1e308, -1e308, 5e-324, 2 ** 53 + 1, -(2 ** 53) - 1, 0.1 + 0.2, 1e21];
const STRINGS = ['x', '  ', '5,9', '<10', '>100', 'H', 'active', 'MedicationRequest/x', 'urn:oid:2.16.840.1.113883.6.1', '2026-13-45', 'æøå ÆØÅ', '💥', '%00', '{{context.patientId}}', 'constructor', '__proto__', 'toString'];

/** Paths to every node (objects, arrays and leaves), root first. */
function nodePaths(value: Json, path: Array<string | number> = [], out: Array<Array<string | number>> = []): Array<Array<string | number>> {
  out.push(path);
  if (Array.isArray(value)) value.forEach((v, i) => nodePaths(v, [...path, i], out));
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) nodePaths(v, [...path, k], out);
  return out;
}

function deepNest(depth: number): Json {
  let v: Json = { resourceType: 'Observation' };
  for (let i = 0; i < depth; i++) v = { nested: [v] };
  return v;
}

function replacement(current: Json, m: Mutation): Json | undefined {
  switch (m.kind) {
    case 'null':
      return null;
    case 'delete':
      return undefined;
    case 'string':
      return STRINGS[m.variant % STRINGS.length] as string;
    case 'empty-string':
      return '';
    case 'huge-string':
      return 'A'.repeat(50_000 + (m.variant % 1000));
    case 'number':
      return m.variant;
    case 'edge-number':
      return EDGE_NUMBERS[m.variant % EDGE_NUMBERS.length] as number;
    case 'boolean':
      return m.variant % 2 === 0;
    case 'empty-array':
      return [];
    case 'empty-object':
      return {};
    case 'single-for-array':
      return Array.isArray(current) ? (current[0] ?? {}) : current;
    case 'array-for-single':
      return [current];
    case 'deep-nesting':
      return deepNest(50 + (m.variant % 400));
    case 'proto-key':
      return JSON.parse('{"__proto__": {"polluted": true, "resourceType": "Condition"}}') as Json;
    case 'constructor-key':
      return { constructor: { prototype: { polluted: true } }, resourceType: 'MedicationRequest' };
    case 'extra-field':
      return current !== null && typeof current === 'object' && !Array.isArray(current) ? { ...current, unexpectedField: { x: [1, 'two'] } } : current;
    case 'huge-array':
      return Array.from({ length: 2_000 + (m.variant % 3000) }, (_, i) => ({ resourceType: 'Observation', id: `o${i}` }));
    case 'control-chars':
      return '\u0000\u0001\u202e\ud800';
  }
}

/** Which nodes may be mutated (all when absent): e.g. only inside prefetch resources, for the readers' property. */
export type PathFilter = (path: ReadonlyArray<string | number>) => boolean;

function targets(value: Json, within: PathFilter | undefined): Array<Array<string | number>> {
  const paths = nodePaths(value);
  return within ? paths.filter(within) : paths;
}

/** Where each mutation lands, as JSON paths (`prefetch.labs.entry.3.resource.interpretation`): for failure reports. */
export function describeMutations(body: Json, mutations: readonly Mutation[], within?: PathFilter): string[] {
  const out: string[] = [];
  let current: Json | undefined = body;
  for (const m of mutations) {
    if (current === undefined) break;
    const paths = targets(current, within);
    if (paths.length === 0) break;
    out.push(`${m.kind} at ${(paths[m.node % paths.length] ?? []).join('.') || '(root)'}`);
    current = applyMutations(current, [m], within);
  }
  return out;
}

/**
 * Applies mutations to a deep copy of `body`; a mutation of the root replaces the whole body. With
 * `within`, only the nodes it accepts are mutated (none accepted: the mutation does nothing).
 */
export function applyMutations(body: Json, mutations: readonly Mutation[], within?: PathFilter): Json | undefined {
  let out: Json | undefined = JSON.parse(JSON.stringify(body)) as Json;
  for (const m of mutations) {
    if (out === undefined) return out;
    const paths = targets(out, within);
    if (paths.length === 0) continue;
    const path = paths[m.node % paths.length] as Array<string | number>;
    if (path.length === 0) {
      out = replacement(out, m);
      continue;
    }
    let parent: Json = out;
    for (const step of path.slice(0, -1)) parent = (parent as Record<string | number, Json>)[step] as Json;
    const last = path[path.length - 1] as string | number;
    const next = replacement((parent as Record<string | number, Json>)[last] as Json, m);
    if (Array.isArray(parent)) {
      if (next === undefined) parent.splice(last as number, 1);
      else parent[last as number] = next;
    } else if (parent !== null && typeof parent === 'object') {
      if (next === undefined) delete parent[last as string];
      else Object.defineProperty(parent, last, { value: next, enumerable: true, writable: true, configurable: true });
    }
  }
  return out;
}

export const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  node: fc.nat(),
  kind: fc.constantFrom(...MUTATION_KINDS),
  variant: fc.nat({ max: 10_000 }),
});

/** Raw transport-level mischief: bodies that are not (valid) JSON, and wrong content types. */
export const RAW_CASES: ReadonlyArray<{ name: string; contentType: string; body: Buffer; contentEncoding?: string }> = [
  { name: 'empty body', contentType: 'application/json', body: Buffer.from('') },
  { name: 'truncated JSON', contentType: 'application/json', body: Buffer.from('{"hook":"patient-view","context":{"patientId":') },
  { name: 'not JSON', contentType: 'application/json', body: Buffer.from('hook=patient-view') },
  { name: 'JSON array', contentType: 'application/json', body: Buffer.from('[1,2,3]') },
  { name: 'JSON string', contentType: 'application/json', body: Buffer.from('"patient-view"') },
  { name: 'bad UTF-8', contentType: 'application/json', body: Buffer.from([0x7b, 0x22, 0x68, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]) },
  { name: 'UTF-16 BOM', contentType: 'application/json', body: Buffer.from('\ufeff{"hook":"patient-view"}', 'utf16le') },
  { name: 'text/plain', contentType: 'text/plain', body: Buffer.from('{"hook":"patient-view"}') },
  { name: 'form', contentType: 'application/x-www-form-urlencoded', body: Buffer.from('hook=patient-view') },
  { name: 'xml', contentType: 'application/xml', body: Buffer.from('<hook>patient-view</hook>') },
  { name: 'charset latin1', contentType: 'application/json; charset=latin1', body: Buffer.from('{"hook":"patient-view"}') },
  { name: 'deeply nested arrays', contentType: 'application/json', body: Buffer.from('['.repeat(100_000) + ']'.repeat(100_000)) },
  {
    name: 'a request with a 20,000-level nested field',
    contentType: 'application/json',
    body: Buffer.from(`{"hook":"order-sign","hookInstance":"x","context":{"patientId":"p","userId":"Practitioner/x","draftOrders":{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"MedicationRequest","id":"m","extension":[${'{"x":['.repeat(10_000)}1${']}'.repeat(10_000)}]}}]}}}`),
  },
  { name: 'gzip that does not decompress', contentType: 'application/json', contentEncoding: 'gzip', body: Buffer.from('{"hook":"patient-view"}') },
  { name: 'truncated gzip', contentType: 'application/json', contentEncoding: 'gzip', body: gzipSync(Buffer.from('{"hook":"patient-view","hookInstance":"x","context":{"patientId":"p"}}')).subarray(0, 30) },
  { name: 'deflate that does not decompress', contentType: 'application/json', contentEncoding: 'deflate', body: Buffer.from('x') },
  { name: 'br that does not decompress', contentType: 'application/json', contentEncoding: 'br', body: Buffer.from('not brotli') },
  { name: 'proto pollution at root', contentType: 'application/json', body: Buffer.from('{"__proto__":{"isAdmin":true},"hook":"patient-view","hookInstance":"x","context":{"patientId":"p"}}') },
];
