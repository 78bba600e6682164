import { readTerminologyJson } from './dataFile.js';

export type LabCodeSystem = 'npu' | 'loinc';

export interface PanelGroup {
  /** Stable id, e.g. `tsh`; card texts name the group by it (cards/analytes.yaml). */
  id: string;
  npu: readonly string[];
  loinc: readonly string[];
  primary: Readonly<Record<LabCodeSystem, string>>;
}

interface PanelFile {
  systems: Record<LabCodeSystem, string[]>;
  groups: PanelGroup[];
}

/**
 * The screening panel with lookups built once: a request maps an Observation coding to its group with one
 * Map read, never by scanning the lists.
 */
export class ScreeningPanelCodes {
  readonly groups: readonly PanelGroup[];
  readonly systems: Readonly<Record<LabCodeSystem, readonly string[]>>;
  private readonly bySystemCode = new Map<string, { group: PanelGroup; system: LabCodeSystem }>();
  private readonly systemKind = new Map<string, LabCodeSystem>();

  constructor(file: PanelFile) {
    this.groups = file.groups;
    this.systems = file.systems;
    for (const kind of ['npu', 'loinc'] as const) {
      for (const uri of file.systems[kind]) this.systemKind.set(uri, kind);
    }
    for (const group of file.groups) {
      for (const kind of ['npu', 'loinc'] as const) {
        for (const code of group[kind]) {
          const key = `${kind}|${code}`;
          if (this.bySystemCode.has(key)) throw new Error(`screening-panel.json: code ${code} is in two groups`);
          this.bySystemCode.set(key, { group, system: kind });
        }
      }
    }
  }

  /** Which group a coding belongs to, matching system and code (both NPU URIs count as NPU). */
  groupOf(coding: fhir4.Coding): { group: PanelGroup; system: LabCodeSystem } | undefined {
    if (!coding.system || !coding.code) return undefined;
    const kind = this.systemKind.get(coding.system);
    if (!kind) return undefined;
    return this.bySystemCode.get(`${kind}|${coding.code.trim()}`);
  }

  systemKindOf(uri: string | undefined): LabCodeSystem | undefined {
    return uri === undefined ? undefined : this.systemKind.get(uri);
  }

  /** Every code of the panel, bare (without system): the prefetch template searches by these. */
  allCodes(): string[] {
    return this.groups.flatMap((g) => [...g.npu, ...g.loinc]);
  }
}

export function loadScreeningPanelCodes(): ScreeningPanelCodes {
  return new ScreeningPanelCodes(readTerminologyJson('screening-panel.json') as PanelFile);
}
