import cors from 'cors';
import type { Config } from '../config.js';
import type { Middleware } from './hookPosts.js';

/**
 * CORS for browser clients such as the CDS Hooks sandbox: preflight answered on every endpoint, and
 * the headers set before any route runs, so error responses carry them too (else the browser hides
 * the status).
 */
export function corsMiddleware(config: Config): Middleware {
  return cors({
    origin: config.corsOrigins === '*' ? '*' : config.corsOrigins,
    methods: ['GET', 'POST', 'OPTIONS'],
    allowedHeaders: ['Authorization', 'Content-Type', 'Accept', 'Accept-Language'],
    exposedHeaders: ['Content-Location', 'Location'],
    maxAge: 600,
    optionsSuccessStatus: 204,
  });
}
