/**
 * The `code` of a thrown error (`ENOENT`, `SQLITE_BUSY`, PostgreSQL's `28P01` …), or undefined. Read by
 * its code, not by `instanceof`: native modules' error classes are not always the ones a module sees
 * (Jest's registries), and system errors have no class of their own.
 */
export function errorCodeOf(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}
