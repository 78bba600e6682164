// The benchmark's baselines: what the transport itself allows. A bare Express 5 endpoint that parses the
// same JSON body and answers {"cards":[]}; with BASELINE_MODE=jose it also verifies the caller's JWT with
// jose (signature against the bench issuer's JWK Set, audience = PUBLIC_BASE_URL + path, exp/iat), as the
// service does. Plain JavaScript run by node itself, so no loader sits between it and the measurement.
//
// env: PORT (0 = free port), BASELINE_MODE (bare | jose), JWKS_FILE (jose), PUBLIC_BASE_URL (jose), BODY_LIMIT.
// Prints one line `baseline listening on <port>` on stdout.
import { readFileSync } from 'node:fs';
import express from 'express';
import { createLocalJWKSet, jwtVerify } from 'jose';

const mode = process.env.BASELINE_MODE ?? 'bare';
const app = express();
app.disable('x-powered-by');

const parse = express.json({ limit: process.env.BODY_LIMIT ?? '5mb', type: ['application/json', 'application/*+json'], strict: true });

if (mode === 'jose') {
  const keys = createLocalJWKSet(JSON.parse(readFileSync(process.env.JWKS_FILE ?? '', 'utf8')));
  const base = process.env.PUBLIC_BASE_URL ?? '';
  app.post('/cds-services/:id', (req, res, next) => {
    const auth = req.get('authorization') ?? '';
    const token = auth.startsWith('Bearer ') ? auth.slice(7) : '';
    jwtVerify(token, keys, { audience: base + req.path, algorithms: ['ES256', 'ES384', 'RS256'], requiredClaims: ['exp', 'iat', 'jti'], maxTokenAge: 600 }).then(
      () => next(),
      () => res.status(401).end(),
    );
  });
}

app.post('/cds-services/:id', parse, (req, res) => {
  if (typeof req.body !== 'object' || req.body === null) {
    res.status(400).end();
    return;
  }
  res.json({ cards: [] });
});

const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`baseline listening on ${server.address().port}\n`);
});
server.keepAliveTimeout = 5_000;
process.on('SIGTERM', () => server.close(() => process.exit(0)));
