/** The scheme and authority of an absolute-form request target (`http://host:port`), RFC 9112 §3.2.2. */
const ABSOLUTE_FORM = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/;

/**
 * A request target's path without its query string (`/a/b?x=1` → `/a/b`); the query may hold patient data.
 * An absolute-form target (`POST http://host/a/b HTTP/1.1`, which a server must accept, RFC 9112 §3.2.2) is
 * its path (`/a/b`, `/` when it has none), as Express routes it: the host is not ours to route by.
 */
export function pathOf(url: string | undefined): string {
  let u = url ?? '';
  if (u.charCodeAt(0) !== 0x2f /* / */) {
    const origin = ABSOLUTE_FORM.exec(u);
    if (origin !== null) {
      u = u.slice(origin[0].length);
      if (u.charCodeAt(0) !== 0x2f) u = `/${u}`;
    }
  }
  const q = u.indexOf('?');
  return q === -1 ? u : u.slice(0, q);
}

/**
 * `s` without its trailing slashes, cut by a loop: `/\/+$/` tries every slash of a run as a start and is
 * quadratic in its length (a caller's 100,000 slashes before a letter took 7–8 s).
 */
export function withoutTrailingSlashes(s: string): string {
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 0x2f /* / */) end--;
  return end === s.length ? s : s.slice(0, end);
}

/** A FHIR reference without its version (`Observation/x/_history/3` → `Observation/x`): a version names the same resource. */
export function withoutVersion(reference: string): string {
  return reference.replace(/\/_history\/[^/]*$/, '');
}

/**
 * The last `Type/id` of a reference, relative or absolute, its version aside (`http://h/fhir/Medication/m1/_history/2`
 * → Medication, m1); undefined when it has fewer than two segments.
 */
export function lastTypeAndId(reference: string): { type: string; id: string } | undefined {
  const parts = withoutVersion(reference).split('/');
  const type = parts[parts.length - 2];
  const id = parts[parts.length - 1];
  return type === undefined || id === undefined ? undefined : { type, id };
}
