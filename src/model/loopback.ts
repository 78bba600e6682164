/**
 * Hosts that count as loopback: `localhost`, 127.0.0.0/8, `::1` (as a listen address or, bracketed, as a
 * URL's hostname). Used for the FHIR allow-list's development default and for the listen address check.
 */
export function isLoopbackHost(hostname: string): boolean {
  if (hostname === 'localhost' || hostname === '[::1]' || hostname === '::1') return true;
  // URL normalises IPv4 forms ("127.1", "2130706433") to dotted quads, so one pattern suffices.
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}
