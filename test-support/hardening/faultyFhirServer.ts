/**
 * A FHIR server that misbehaves on purpose, for the FHIR-fault tests (test/hardening/fhirFaults.test.ts).
 *
 * A `node:http` server on a free loopback port (127.0.0.1:0) with its base at `/fhir`. By default it
 * answers like a tiny FHIR server from an in-memory list of resources (read `Type/id`, search `Type?…`
 * filtered by `patient`/`subject`), or forwards every request to a real FHIR server (`upstream`, e.g.
 * the test FHIR server process) — so a fault can be put in front of real data. What it does per request
 * is set with `setFault(resourceType | '*', fault)`: slow, hanging, HTTP errors, garbage, truncated,
 * enormous, endless bodies and pages, redirects and `next` links to another host.
 *
 * Every request is recorded with its headers (to check where a bearer token went). Loopback only.
 */
import { createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type Fault =
  /** The normal answer (from `resources`, or from `upstream`). */
  | { kind: 'serve' }
  /** Waits `ms`, then does `then` (default: serve). */
  | { kind: 'delay'; ms: number; then?: Fault }
  /** Accepts the request and never answers. */
  | { kind: 'hang' }
  /** Sends 200 headers and half of a valid body, then nothing more (the body never ends). */
  | { kind: 'stall-body' }
  /** Answers `status` with `body` (default: an OperationOutcome) and extra headers (e.g. Retry-After). */
  | { kind: 'status'; status: number; headers?: Record<string, string>; body?: string; contentType?: string }
  /** 200 `application/fhir+json` whose body is not JSON. */
  | { kind: 'garbage' }
  /** 200 with a valid answer cut in the middle. */
  | { kind: 'truncated' }
  /** 200 with a syntactically valid Bundle of `bytes` bytes; `chunked` leaves out Content-Length. */
  | { kind: 'enormous'; bytes: number; chunked?: boolean }
  /** 200 with a Bundle whose entries never end (16 KB every 5 ms until the client goes away). */
  | { kind: 'endless-body' }
  /** Every page (with the normal entries) carries a `next` link to one more page, without end. */
  | { kind: 'endless-paging' }
  /** A 30x to `location` (absolute; the request's path and query are appended when `appendPath`). */
  | { kind: 'redirect'; status: 301 | 302 | 303 | 307 | 308; location: string; appendPath?: boolean }
  /** The normal answer as a Bundle with a `next` link to `url` (e.g. another host). */
  | { kind: 'next-to'; url: string };

export interface RecordedRequest {
  method: string;
  /** Path and query as received, e.g. `/fhir/Condition?patient=p1`. */
  url: string;
  /** The resource type asked for (first path segment below the base), or '' for the base itself. */
  resourceType: string;
  headers: IncomingHttpHeaders;
  /** Date.now() when it arrived. */
  at: number;
}

export interface FaultyFhirServer {
  /** `http://127.0.0.1:PORT/fhir` */
  baseUrl: string;
  /** `http://127.0.0.1:PORT` */
  origin: string;
  requests: RecordedRequest[];
  /** The fault for one resource type (`Condition`, `Medication`, …) or for every type ('*'); the type's own rule wins. */
  setFault(resourceType: string, fault: Fault): void;
  /** Back to serving every type normally; clears the request log. */
  reset(): void;
  close(): Promise<void>;
}

export interface FaultyFhirServerOptions {
  /** Served when no `upstream` is given. */
  resources?: readonly fhir4.Resource[];
  /** A real FHIR server's base URL (`http://127.0.0.1:P/fhir`): `serve` forwards there, same path below the base. */
  upstream?: string;
}

const BASE_PATH = '/fhir';
const FHIR_JSON = 'application/fhir+json; charset=utf-8';

const outcome = (code: string, text: string): string =>
  JSON.stringify({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, diagnostics: text }] });

function referencesPatient(resource: fhir4.Resource, patientId: string): boolean {
  const r = resource as { subject?: { reference?: string }; patient?: { reference?: string } };
  const ref = r.subject?.reference ?? r.patient?.reference;
  return ref === `Patient/${patientId}` || ref === patientId || (ref?.endsWith(`/Patient/${patientId}`) ?? false);
}

export async function startFaultyFhirServer(options: FaultyFhirServerOptions = {}): Promise<FaultyFhirServer> {
  const resources = options.resources ?? [];
  const faults = new Map<string, Fault>();
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let baseUrl = '';
  let closing = false;

  const later = (ms: number, fn: () => void): void => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };

  /** The normal answer for a request, as a body string and status (in-memory data). */
  function localAnswer(url: URL, type: string, pageLink?: string): { status: number; body: string } {
    const segments = url.pathname.slice(BASE_PATH.length).split('/').filter((s) => s !== '');
    if (segments.length === 0 || type === 'metadata') {
      return { status: 200, body: JSON.stringify({ resourceType: 'CapabilityStatement', status: 'active', kind: 'instance', fhirVersion: '4.0.1', format: ['json'] }) };
    }
    const ofType = resources.filter((r) => r.resourceType === type);
    if (segments.length === 2 && !segments[1]?.startsWith('_')) {
      const found = ofType.find((r) => r.id === segments[1]);
      if (!found && pageLink === undefined) return { status: 404, body: outcome('not-found', `${type}/${segments[1]} is not known`) };
      if (found && pageLink === undefined) return { status: 200, body: JSON.stringify(found) };
    }
    const patient = url.searchParams.get('patient') ?? url.searchParams.get('subject');
    const patientId = patient?.replace(/^.*Patient\//, '');
    const page = Number(url.searchParams.get('_page') ?? '1');
    const matched = page > 1 ? [] : patientId ? ofType.filter((r) => referencesPatient(r, patientId)) : ofType;
    const bundle: fhir4.Bundle = {
      resourceType: 'Bundle',
      type: 'searchset',
      total: matched.length,
      link: [{ relation: 'self', url: `${baseUrl}${url.pathname.slice(BASE_PATH.length)}${url.search}` }],
      entry: matched.map((resource) => ({ fullUrl: `${baseUrl}/${resource.resourceType}/${resource.id}`, resource, search: { mode: 'match' } })),
    };
    if (pageLink !== undefined) bundle.link?.push({ relation: 'next', url: pageLink });
    return { status: 200, body: JSON.stringify(bundle) };
  }

  function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
    if (res.destroyed) return;
    res.writeHead(status, { 'content-type': FHIR_JSON, 'content-length': String(Buffer.byteLength(body)), ...headers });
    res.end(body);
  }

  function proxy(req: IncomingMessage, res: ServerResponse, upstream: string): void {
    const target = new URL(upstream);
    const path = target.pathname.replace(/\/+$/, '') + (req.url ?? '/').slice(BASE_PATH.length);
    const forward = httpRequest(
      { host: target.hostname, port: target.port, method: req.method, path, headers: { ...req.headers, host: target.host } },
      (answer) => {
        if (res.destroyed) return answer.resume();
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => send(res, 502, outcome('transient', 'upstream unreachable')));
    res.on('close', () => forward.destroy());
    forward.end();
  }

  /** The normal answer (local or upstream), optionally turned into a Bundle body string for faults that rewrite it. */
  function normalBody(url: URL, type: string, pageLink?: string): string {
    return localAnswer(url, type, pageLink).body;
  }

  function act(fault: Fault, req: IncomingMessage, res: ServerResponse, url: URL, type: string): void {
    switch (fault.kind) {
      case 'serve': {
        if (options.upstream !== undefined) return proxy(req, res, options.upstream);
        const { status, body } = localAnswer(url, type);
        return send(res, status, body);
      }
      case 'delay':
        return later(fault.ms, () => act(fault.then ?? { kind: 'serve' }, req, res, url, type));
      case 'hang':
        return; // the socket stays open until the client gives up or close() destroys it
      case 'stall-body': {
        const body = normalBody(url, type);
        res.writeHead(200, { 'content-type': FHIR_JSON, 'content-length': String(Buffer.byteLength(body)) });
        res.write(body.slice(0, Math.floor(body.length / 2)));
        return;
      }
      case 'status':
        return send(res, fault.status, fault.body ?? outcome('exception', `HTTP ${fault.status} on purpose`), {
          ...(fault.contentType ? { 'content-type': fault.contentType } : {}),
          ...fault.headers,
        });
      case 'garbage':
        return send(res, 200, '\u0000<html><body>502 Bad Gateway</body></html>\uFFFD{{{');
      case 'truncated': {
        const body = normalBody(url, type);
        return send(res, 200, body.slice(0, Math.max(1, Math.floor(body.length / 2))));
      }
      case 'enormous': {
        const head = '{"resourceType":"Bundle","type":"searchset","entry":[],"meta":{"tag":[{"code":"';
        const tail = '"}]}}';
        const padding = Math.max(0, fault.bytes - head.length - tail.length);
        const headers: Record<string, string> = { 'content-type': FHIR_JSON };
        if (!fault.chunked) headers['content-length'] = String(head.length + padding + tail.length);
        res.writeHead(200, headers);
        res.write(head);
        const chunk = 'x'.repeat(64 * 1024);
        let left = padding;
        const pump = (): void => {
          while (left > 0 && !res.destroyed) {
            const n = Math.min(left, chunk.length);
            left -= n;
            if (!res.write(n === chunk.length ? chunk : chunk.slice(0, n))) return void res.once('drain', pump);
          }
          if (!res.destroyed) res.end(tail);
        };
        return pump();
      }
      case 'endless-body': {
        res.writeHead(200, { 'content-type': FHIR_JSON });
        res.write('{"resourceType":"Bundle","type":"searchset","entry":[');
        const entry = `{"resource":{"resourceType":"${type || 'Condition'}","id":"endless"}},`;
        const chunk = entry.repeat(Math.ceil((16 * 1024) / entry.length));
        const tick = (): void => {
          if (res.destroyed || closing) return;
          res.write(chunk);
          later(5, tick);
        };
        return tick();
      }
      case 'endless-paging': {
        const page = Number(url.searchParams.get('_page') ?? '1');
        const next = new URL(url.href);
        next.searchParams.set('_page', String(page + 1));
        const nextUrl = `${baseUrl}${next.pathname.slice(BASE_PATH.length)}${next.search}`;
        return send(res, 200, normalBody(url, type, nextUrl));
      }
      case 'redirect': {
        const location = fault.appendPath ? fault.location.replace(/\/+$/, '') + (req.url ?? '').slice(BASE_PATH.length) : fault.location;
        return send(res, fault.status, '', { location });
      }
      case 'next-to':
        return send(res, 200, normalBody(url, type, fault.url));
    }
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const below = url.pathname.startsWith(BASE_PATH) ? url.pathname.slice(BASE_PATH.length) : url.pathname;
    const type = below.split('/').filter((s) => s !== '')[0] ?? '';
    requests.push({ method: req.method ?? 'GET', url: req.url ?? '/', resourceType: type, headers: { ...req.headers }, at: Date.now() });
    req.resume(); // bodies (none expected) are drained
    if (!url.pathname.startsWith(BASE_PATH)) return send(res, 404, outcome('not-found', 'not below /fhir'));
    act(faults.get(type) ?? faults.get('*') ?? { kind: 'serve' }, req, res, url, type);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('clientError', (_err, socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  baseUrl = `${origin}${BASE_PATH}`;

  return {
    baseUrl,
    origin,
    requests,
    setFault: (resourceType, fault) => void faults.set(resourceType, fault),
    reset: () => {
      faults.clear();
      requests.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        closing = true;
        for (const t of timers) clearTimeout(t);
        timers.clear();
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
