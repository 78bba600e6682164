import { BoundedMemo } from '../model/boundedMemo.js';
import { readValidatedJson } from './dataFile.js';
import { withoutTrailingSlashes } from '../model/urlPath.js';

/** The code systems the service reads (terminology/code-systems.json is the one table of their URIs). */
export type CodeSystemName =
  | 'loinc'
  | 'snomed'
  | 'rxnorm'
  | 'atc'
  | 'npu'
  | 'icd10'
  | 'sks'
  | 'icd11'
  | 'icpc2'
  | 'v3-interpretation'
  | 'v2-0078';

const NAMES: readonly CodeSystemName[] = ['loinc', 'snomed', 'rxnorm', 'atc', 'npu', 'icd10', 'sks', 'icd11', 'icpc2', 'v3-interpretation', 'v2-0078'];

/**
 * The form a system URI is compared in: case, a trailing slash and http vs https do not tell systems apart
 * (EHRs send `http://loinc.org/`, `https://loinc.org`, `URN:OID:…`). ICD-11's release URIs name the release in
 * the path (`http://id.who.int/icd/release/11/2025-01/mms`, as implementation guides write it): the release is
 * a version of the one system, whose codes keep their meaning.
 */
function comparable(uri: string): string {
  return withoutTrailingSlashes(uri.trim().toLowerCase())
    .replace(/^https:\/\//, 'http://')
    .replace(/^(http:\/\/id\.who\.int\/icd\/release\/11)\/\d{4}-\d{2}(\/mms)$/, '$1$2');
}

/**
 * Code-system URIs and their aliases (OIDs, older FHIR versions' URIs): a coding's system is looked up
 * once, here, so no reader compares URIs of its own.
 */
export class CodeSystems {
  private readonly byUri = new Map<string, CodeSystemName>();
  /** The URIs as listed: a coding's system is most often one of them exactly (no string work on the hot path). */
  private readonly exact = new Map<string, CodeSystemName>();
  /** Other spellings seen, and systems the service does not read (a lab's local codes repeat from call to call). */
  private readonly others = new BoundedMemo<CodeSystemName | null>(256);
  private readonly listed: Array<[string, CodeSystemName]> = [];
  private readonly canonical = new Map<CodeSystemName, string>();

  /** `table`: name → URIs, canonical first; every name the service reads needs one at least. */
  constructor(table: Readonly<Record<string, readonly string[]>>) {
    for (const name of NAMES) {
      const uris = table[name] ?? [];
      const first = uris[0];
      if (!first) throw new Error(`code-systems.json: ${name} has no URI (every one of ${NAMES.join(', ')} needs a non-empty list of URIs)`);
      this.canonical.set(name, first);
      for (const uri of uris) {
        const owner = this.byUri.get(comparable(uri));
        if (owner && owner !== name) throw new Error(`code-systems.json: ${uri} is listed for ${owner} and ${name}`);
        this.byUri.set(comparable(uri), name);
        this.exact.set(uri, name);
        this.listed.push([uri, name]);
      }
    }
  }

  /** Which system a URI names; undefined for a system the service does not read. */
  nameOf(uri: unknown): CodeSystemName | undefined {
    if (typeof uri !== 'string') return undefined;
    return this.exact.get(uri) ?? this.others.get(uri, (u) => this.byUri.get(comparable(u)) ?? null) ?? undefined;
  }

  /** The URI the service writes (suggested orders, alternatives): the canonical one. */
  uriOf(name: CodeSystemName): string {
    return this.canonical.get(name) as string;
  }

  /** Every URI of a system (prefetch templates and FHIR searches may need them all). */
  urisOf(name: CodeSystemName): string[] {
    return this.listed.filter(([, n]) => n === name).map(([uri]) => uri);
  }
}

/**
 * A diagnosis code as compared, whatever its system: upper case, without dots and spaces — ICD-10 and SKS are
 * written with or without the dot (M79.7 = M797), and so, by some EHRs, are ICD-11 (MG30.01 = MG3001) and ICPC-2.
 * One rule for the GSB value set and the medication reasons' groups.
 */
export function diagnosisCodeKey(code: string): string {
  return code.replace(/[\s.]/g, '').toUpperCase();
}

/**
 * A Danish diagnosis code under the system it belongs to. SKS diagnosis codes are "D" + an ICD-10 code, and
 * Danish systems often send them labelled ICD-10 ("DM797" as ICD-10), or an ICD-10 code labelled SKS
 * ("M797" as SKS). An ICD-10 code never starts with D and a letter (its D chapter is D00–D89), so the code
 * itself tells which it is. `code` is already upper case without dots.
 */
export function diagnosisSystem(system: CodeSystemName | string, code: string): { system: CodeSystemName | string; code: string } {
  if (system === 'icd10' && /^D[A-Z]\d/.test(code)) return { system: 'sks', code };
  if (system === 'sks' && /^[A-Z]\d/.test(code) && !code.startsWith('D')) return { system: 'sks', code: `D${code}` };
  return { system, code };
}

export function loadCodeSystems(): CodeSystems {
  return new CodeSystems(readValidatedJson<{ systems: Record<string, string[]> }>('code-systems.json', 'code-systems').systems);
}
