/** Caller verification (CDS Hooks JWT): the app wires createAuthVerifier + requireCaller. */
export { createAuthVerifier } from './verifier.js';
export type { AuthVerifier } from './verifier.js';
export { requireCaller } from './requireCaller.js';
export { StoreReplayCache } from './replayCache.js';
export { createDemoIssuer, DEMO_ISSUER } from './demoIssuer.js';
export type { DemoIssuer } from './demoIssuer.js';
