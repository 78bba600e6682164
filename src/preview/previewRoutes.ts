import { readFileSync } from 'node:fs';
import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import type { Config } from '../config.js';
import { isObject } from '../model/json.js';
import { projectPath } from '../projectRoot.js';
import type { DemoIssuer } from '../transport/auth/index.js';
import { HttpError, badRequest, notFound } from '../transport/operationOutcome.js';
import { loadDemoScenarios, scenarioRequest, type DemoScenarios } from './scenarios.js';

/**
 * The card preview page (issue 13): `GET /` lists the services and the demo scenarios and shows each
 * scenario's cards as an EHR would. The page's script calls the service itself, through the same
 * routes and JWT check as an EHR, with a short-lived token from the development-only demo issuer.
 * Static files only (no inline script or style), served under a strict Content-Security-Policy.
 */

export interface PreviewDeps {
  config: Config;
  /** null outside development: the page then calls without a token (and shows the 401 when auth is on). */
  demoIssuer: DemoIssuer | null;
  /** Whether service calls need a JWT (AUTH=on). */
  authOn: boolean;
  scenarios?: DemoScenarios;
}

export const PREVIEW_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const ASSETS: Record<string, string> = {
  'preview.js': 'text/javascript; charset=utf-8',
  'markdown.js': 'text/javascript; charset=utf-8',
  'preview.css': 'text/css; charset=utf-8',
};

/** `/cds-services`, `/cds-services/{id}` or `/cds-services/{id}/feedback`: the only audiences a demo token is for. */
const ENDPOINT_PATH = /^\/cds-services(\/[A-Za-z0-9._-]{1,100}(\/feedback)?)?$/;

const strict: RequestHandler = (_req, res, next) => {
  res.set('Content-Security-Policy', PREVIEW_CSP);
  res.set('Referrer-Policy', 'no-referrer');
  res.set('Cache-Control', 'no-store');
  next();
};

/** Token and refusal endpoints answer only the page itself, never another site's script. */
const sameOriginOnly: RequestHandler = (req, _res, next) => {
  const site = req.get('sec-fetch-site');
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    next(new HttpError(403, 'forbidden', 'The preview API answers only the preview page itself'));
    return;
  }
  next();
};

function readAsset(file: string): string {
  return readFileSync(projectPath('src', 'preview', 'assets', file), 'utf8');
}

export function previewRouter(deps: PreviewDeps): Router {
  const { config, demoIssuer } = deps;
  const scenarios = deps.scenarios ?? loadDemoScenarios();
  const page = readAsset('index.html');
  const assets = new Map(Object.keys(ASSETS).map((f) => [f, readAsset(f)]));
  const router = express.Router();

  router.get('/', strict, (_req, res) => {
    res.type('text/html; charset=utf-8').send(page);
  });

  // Browsers ask for it on every page; an empty answer keeps the console (and the tests) free of 404s.
  router.get('/favicon.ico', (_req, res) => {
    res.status(204).end();
  });

  router.get('/preview/assets/:file', strict, (req, res) => {
    const file = String(req.params.file);
    const body = assets.get(file);
    const type = ASSETS[file];
    if (body === undefined || type === undefined) throw notFound('No preview asset of that name'); // not quoted: the caller's text goes to the log line
    res.type(type).send(body);
  });

  router.get('/preview/api/scenarios', strict, sameOriginOnly, (_req, res) => {
    res.json({
      publicBaseUrl: config.publicBaseUrl,
      fhirServer: config.preview.fhirServer,
      auth: deps.authOn ? 'on' : 'off',
      demoIssuer: demoIssuer !== null,
      language: config.language,
      scenarios: scenarios.scenarios.map((s) => ({
        name: s.name,
        title: s.title,
        description: s.description,
        hook: s.hook,
        patientId: s.patientId,
        expectedKinds: s.expectedKinds,
        verified: s.verified,
        request: scenarioRequest(s, scenarios.userId, config.preview.fhirServer),
      })),
    });
  });

  router.post('/preview/api/token', strict, sameOriginOnly, express.json({ limit: '2kb' }), async (req: Request, res: Response) => {
    if (demoIssuer === null) {
      throw notFound('No demo issuer: it exists only with NODE_ENV=development (calls go without a token)');
    }
    const body: unknown = req.body;
    const path = isObject(body) && typeof body.path === 'string' ? body.path : '';
    if (!ENDPOINT_PATH.test(path)) throw badRequest('path must be /cds-services, /cds-services/{id} or /cds-services/{id}/feedback', ['path']);
    // "page": the address this page was opened at, as the sandbox builds aud — shows the localhost ≠ 127.0.0.1 mismatch.
    const base = isObject(body) && body.audience === 'page' ? `${req.protocol}://${req.get('host') ?? ''}` : config.publicBaseUrl;
    const { token, jti, expiresIn } = await demoIssuer.sign(base + path);
    res.json({ token, jti, expiresIn, aud: base + path });
  });

  router.get('/preview/api/refusals/:jti', strict, sameOriginOnly, (req, res) => {
    const refusal = demoIssuer?.refusalOf(String(req.params.jti));
    if (refusal === undefined) throw notFound('No refusal recorded for this token');
    res.json(refusal);
  });

  return router;
}
