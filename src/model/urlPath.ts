/** A request target's path without its query string (`/a/b?x=1` → `/a/b`); the query may hold patient data. */
export function pathOf(url: string | undefined): string {
  const u = url ?? '';
  const q = u.indexOf('?');
  return q === -1 ? u : u.slice(0, q);
}
