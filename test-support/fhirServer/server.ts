import { timingSafeEqual } from 'node:crypto';
import { statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { badRequest, getStatus, normalizeOperationOutcome, notFound } from '@medplum/core';
import { FhirRouter } from '@medplum/fhir-router';
import type { FhirRequest, HttpMethod } from '@medplum/fhir-router';
import type { CapabilityStatement, OperationOutcome, Resource } from '@medplum/fhirtypes';
import { isObject } from '../../src/model/json.js';
import { projectPath } from '../../src/projectRoot.js';
import { buildCapabilityStatement } from './capabilityStatement.js';
import { loadFhirDefinitions } from './definitions.js';
import { IndexedMemoryRepository } from './indexedMemoryRepository.js';
import { seedFromDirectory } from './seed.js';
import type { SeedSummary } from './seed.js';

/**
 * A real FHIR R4 server process for integration tests and the demo: Medplum's FHIR router over our
 * indexed in-memory repository, served by node:http under `/fhir`. See test-support/README.md.
 */

export interface FhirTestServerOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1 (loopback only). */
  host?: string;
  /** When set, every request except CORS preflight needs `Authorization: Bearer <token>`. */
  bearerToken?: string;
  /** Folder of seed Bundles; default `fixtures/patients`. An explicit folder must exist. */
  seedDir?: string;
  /** Moves every date in the seed by this many days (see seed.ts); default 0. */
  seedDateShiftDays?: number;
  /**
   * Simulated latency: every request is answered this many ms after it arrived, waiting on a timer
   * (not the CPU), as a real server waits on its database; parallel requests wait side by side.
   * Whole ms, 0 (the default) to MAX_LATENCY_MS.
   */
  latencyMs?: number;
}

export interface FhirRequestLogEntry {
  method: string;
  /** Path and query as received, e.g. `/fhir/Observation?patient=1`. */
  url: string;
  /** Whether an Authorization header was sent (its value is never kept). */
  authorization?: boolean;
}

export interface FhirTestServer {
  /** e.g. `http://127.0.0.1:8081/fhir` (no trailing slash) */
  baseUrl: string;
  close(): Promise<void>;
  /** Requests in arrival order (the most recent MAX_LOGGED_REQUESTS). */
  requestLog: FhirRequestLogEntry[];
  /** What was loaded from the seed folder. */
  seeded: SeedSummary;
  /** Direct access to the store, for setup that would be slow over HTTP. */
  repository: IndexedMemoryRepository;
}

const MAX_LOGGED_REQUESTS = 10_000;
export const MAX_LATENCY_MS = 10_000;
const MAX_BODY_BYTES = 64 * 1024 * 1024;
const FHIR_PREFIX = '/fhir';
const METHODS: readonly HttpMethod[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

const CORS_HEADERS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, POST, PUT, PATCH, DELETE, OPTIONS',
  'Access-Control-Allow-Headers': 'Authorization, Content-Type, Accept',
  'Access-Control-Expose-Headers': 'Location, ETag, Last-Modified',
  'Access-Control-Max-Age': '600',
};

export async function createFhirTestServer(options: FhirTestServerOptions = {}): Promise<FhirTestServer> {
  const latencyMs = options.latencyMs ?? 0;
  if (!Number.isInteger(latencyMs) || latencyMs < 0 || latencyMs > MAX_LATENCY_MS) {
    throw new Error(`FHIR server latency must be a whole number of ms from 0 to ${MAX_LATENCY_MS}: ${latencyMs}`);
  }
  const resourceTypes = loadFhirDefinitions();
  const repository = new IndexedMemoryRepository();
  const router = new FhirRouter();
  const seedDir = options.seedDir ?? projectPath('fixtures', 'patients');
  if (options.seedDir !== undefined && !isDirectory(seedDir)) {
    throw new Error(`FHIR seed folder not found: ${seedDir}`);
  }
  const seeded = await seedFromDirectory(repository, seedDir, { dateShiftDays: options.seedDateShiftDays ?? 0 });

  const requestLog: FhirRequestLogEntry[] = [];
  let capabilityStatement: CapabilityStatement | undefined;
  const host = options.host ?? '127.0.0.1';
  let baseUrl = '';

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = (req.method ?? 'GET').toUpperCase();
    requestLog.push({ method, url: req.url ?? '/', authorization: req.headers.authorization !== undefined });
    if (requestLog.length > MAX_LOGGED_REQUESTS) requestLog.shift();
    // A timer, not busy work: the event loop serves other requests meanwhile (a database round trip).
    if (latencyMs > 0) await sleep(latencyMs);

    // Preflight carries no credentials, so it is answered before the token check.
    if (method === 'OPTIONS') {
      res.writeHead(204, CORS_HEADERS).end();
      return;
    }
    const contentType = responseContentType(req.headers.accept);
    const send = (status: number, body: Resource, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { ...CORS_HEADERS, 'Content-Type': contentType ?? 'application/fhir+json; charset=utf-8', ...headers });
      res.end(JSON.stringify(body));
    };

    if (options.bearerToken !== undefined && !hasBearerToken(req.headers.authorization, options.bearerToken)) {
      send(401, outcome('login', 'Missing or invalid bearer token'), { 'WWW-Authenticate': 'Bearer' });
      return;
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== FHIR_PREFIX && !url.pathname.startsWith(FHIR_PREFIX + '/')) {
      send(404, notFound);
      return;
    }
    if (!contentType) {
      send(406, outcome('not-supported', 'Only JSON is supported (application/fhir+json)'));
      return;
    }
    if (!METHODS.includes(method as HttpMethod)) {
      send(405, outcome('not-supported', `Method not supported: ${method}`));
      return;
    }
    const path = url.pathname.slice(FHIR_PREFIX.length).replace(/^\/+|\/+$/g, '');
    if (method === 'GET' && path === 'metadata') {
      capabilityStatement ??= buildCapabilityStatement(baseUrl, resourceTypes);
      send(200, capabilityStatement);
      return;
    }

    let body: unknown;
    try {
      body = parseBody(await readBody(req), req.headers['content-type']);
    } catch (err) {
      send(400, badRequest(`Unreadable request body: ${(err as Error).message}`));
      return;
    }
    if (method === 'POST' && path.endsWith('/_search')) {
      // Search parameters may come in the URL and the form body together.
      body = { ...queryRecord(url.searchParams), ...(isObject(body) ? body : {}) };
    }
    const fhirRequest: FhirRequest = {
      method: method as HttpMethod,
      url: path + url.search,
      pathname: '',
      params: {},
      query: {},
      body,
      headers: req.headers,
      // Transaction Bundles run entry by entry (non-atomic): the in-memory store has no rollback.
      config: { transactions: false },
    };
    const creatingByUpdate = method === 'PUT' && (await isNewInstance(repository, path));
    const [result, resource] = await router.handleRequest(fhirRequest, repository);
    // Medplum answers 200 to every update; FHIR wants 201 when the update created the resource.
    const status = creatingByUpdate && getStatus(result) === 200 ? 201 : getStatus(result);
    send(status, resource ?? result, resource ? resourceHeaders(resource, status, baseUrl) : {});
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const status = err instanceof PayloadTooLargeError ? 413 : 500;
      const body = status === 413 ? outcome('too-costly', 'Request body too large') : normalizeOperationOutcome(err);
      res.writeHead(status, { ...CORS_HEADERS, 'Content-Type': 'application/fhir+json; charset=utf-8' });
      res.end(JSON.stringify(body));
    });
  });
  await listen(server, options.port ?? 0, host);
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://${urlHost(host)}:${port}${FHIR_PREFIX}`;
  repository.baseUrl = baseUrl;

  return {
    baseUrl,
    requestLog,
    seeded,
    repository,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // Keep-alive clients (fhir-kit-client uses an agent) would otherwise hold close() open.
        server.closeAllConnections();
      }),
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** A URL host for the listening address; a wildcard address is reached over loopback. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

function hasBearerToken(header: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!match) return false;
  const given = Buffer.from(match[1] as string);
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * The JSON media type to answer with, or undefined when the client accepts no JSON at all.
 * Clients that ask for the DSTU2-era `application/json+fhir` get that name back.
 */
function responseContentType(accept: string | undefined): string | undefined {
  const wanted = (accept ?? '').toLowerCase();
  if (wanted.trim() === '' || /\*\/\*|application\/\*|json/.test(wanted)) {
    return wanted.includes('application/json+fhir') && !wanted.includes('application/fhir+json')
      ? 'application/json+fhir; charset=utf-8'
      : 'application/fhir+json; charset=utf-8';
  }
  return undefined;
}

class PayloadTooLargeError extends Error {}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new PayloadTooLargeError('Request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseBody(text: string, contentType: string | undefined): unknown {
  if (text.trim() === '') return undefined;
  if ((contentType ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    return queryRecord(new URLSearchParams(text));
  }
  return JSON.parse(text) as unknown; // FHIR JSON, JSON Patch, or a client that sent no Content-Type
}

function queryRecord(params: URLSearchParams): Record<string, string | string[]> {
  const record: Record<string, string | string[]> = {};
  for (const key of new Set(params.keys())) {
    const values = params.getAll(key);
    record[key] = values.length === 1 ? (values[0] as string) : values;
  }
  return record;
}

function resourceHeaders(resource: Resource, status: number, baseUrl: string): Record<string, string> {
  const headers: Record<string, string> = {};
  const versionId = resource.meta?.versionId;
  if (versionId) headers['ETag'] = `W/"${versionId}"`;
  if (resource.meta?.lastUpdated) headers['Last-Modified'] = new Date(resource.meta.lastUpdated).toUTCString();
  if (status === 201 && resource.id) {
    headers['Location'] =
      `${baseUrl}/${resource.resourceType}/${resource.id}` + (versionId ? `/_history/${versionId}` : '');
  }
  return headers;
}

function outcome(code: 'login' | 'not-supported' | 'too-costly', text: string): OperationOutcome {
  return { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, details: { text } }] };
}

/** Whether the path is `Type/id` and no such resource is stored yet. */
async function isNewInstance(repository: IndexedMemoryRepository, path: string): Promise<boolean> {
  const match = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})$/.exec(path);
  if (!match) return false;
  return repository.readResource(match[1] as string, match[2] as string).then(
    () => false,
    () => true,
  );
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
