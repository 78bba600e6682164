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
    // What a browser client may read of an answer: Retry-After (a 503's "send again in"), X-Request-Id (to find the log line).
    exposedHeaders: ['Content-Location', 'Location', 'Retry-After', 'X-Request-Id'],
    maxAge: 600,
    optionsSuccessStatus: 204,
  });
}
