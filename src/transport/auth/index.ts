/** Caller verification (CDS Hooks JWT): the app wires createAuthVerifier + requireCaller. */
export { createAuthVerifier, ALLOWED_ALGORITHMS } from './verifier.js';
export type { AuthVerifier, AuthVerifierOptions, AuthCheck, VerifiedCaller } from './verifier.js';
export { requireCaller, callerOf, endpointPath } from './requireCaller.js';
export { InMemoryReplayCache, StoreReplayCache } from './replayCache.js';
export type { ReplayCache, ReplayVerdict } from './replayCache.js';
export { TrustedIssuersError, SANDBOX_ISSUER } from './trustedIssuers.js';
export { createDemoIssuer, DEMO_ISSUER } from './demoIssuer.js';
export type { DemoIssuer } from './demoIssuer.js';
