/**
 * Top frames of a V8 .cpuprofile (`node --cpu-prof`): self time per function and per file/package.
 * `tsx bench/profileSummary.ts FILE [N]` prints it; bench/run.ts --profile calls it.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

function where(url: string): string {
  if (url === '') return '(native)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm !== -1) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url);
  }
  if (url.startsWith('node:')) return url;
  const dist = url.indexOf('/dist/');
  return dist !== -1 ? url.slice(dist + 1) : url.replace(/^file:\/\//, '');
}

export function summarizeProfile(file: string, top = 25): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; samples: number[]; startTime: number; endTime: number };
  const total = profile.samples.length || 1;
  const byFrame = new Map<string, number>();
  const byFile = new Map<string, number>();
  let idle = 0;
  for (const n of profile.nodes) {
    const hits = n.hitCount ?? 0;
    if (hits === 0) continue;
    const name = n.callFrame.functionName || '(anonymous)';
    if (name === '(idle)' || name === '(program)' || name === '(garbage collector)') {
      if (name === '(idle)') idle += hits;
      byFrame.set(name, (byFrame.get(name) ?? 0) + hits);
      continue;
    }
    const key = `${name}  ${where(n.callFrame.url)}${n.callFrame.url && !n.callFrame.url.includes('node_modules') ? `:${n.callFrame.lineNumber + 1}` : ''}`;
    byFrame.set(key, (byFrame.get(key) ?? 0) + hits);
    byFile.set(where(n.callFrame.url), (byFile.get(where(n.callFrame.url)) ?? 0) + hits);
  }
  const busy = total - idle || 1;
  // Inclusive ("total") time: each sample counts once for every distinct frame on its stack.
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const inclusive = new Map<string, number>();
  const label = (n: ProfileNode): string => {
    const url = n.callFrame.url;
    return `${n.callFrame.functionName || '(anonymous)'}  ${where(url)}${url && !url.includes('node_modules') ? `:${n.callFrame.lineNumber + 1}` : ''}`;
  };
  for (const leaf of profile.samples) {
    const seen = new Set<string>();
    for (let id: number | undefined = leaf; id !== undefined; id = parent.get(id)) {
      const n = byId.get(id);
      if (!n || n.callFrame.functionName === '(root)' || n.callFrame.functionName === '(idle)') continue;
      seen.add(label(n));
    }
    for (const k of seen) inclusive.set(k, (inclusive.get(k) ?? 0) + 1);
  }
  const fmt = (m: Map<string, number>): string =>
    [...m.entries()]
      .filter(([k]) => k !== '(idle)')
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, v]) => `${((v / busy) * 100).toFixed(1).padStart(5)}%  ${k}`)
      .join('\n');
  return `busy samples ${busy} of ${total}\n-- by function (self, % of busy) --\n${fmt(byFrame)}\n-- by file / package (self) --\n${fmt(byFile)}\n-- by function (inclusive, % of busy) --\n${fmt(inclusive)}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: tsx bench/profileSummary.ts FILE.cpuprofile [N]\n');
    process.exit(2);
  }
  process.stdout.write(`${summarizeProfile(file, Number(process.argv[3] ?? 25))}\n`);
}
