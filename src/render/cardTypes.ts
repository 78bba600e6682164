/** CDS Hooks 2.0 response types (cds-hooks-2.0.md §4), as this service emits them. */

export type Indicator = 'info' | 'warning' | 'critical';

export interface CdsCoding {
  system: string;
  code: string;
  display?: string;
}

export interface CdsSource {
  label: string;
  url?: string;
  icon?: string;
  topic?: CdsCoding;
}

export type CdsAction =
  | { type: 'create' | 'update'; description: string; resource: fhir4.Resource }
  | { type: 'delete'; description: string; resourceId: string };

export interface CdsSuggestion {
  label: string;
  uuid: string;
  isRecommended?: boolean;
  actions?: CdsAction[];
}

export interface CdsLink {
  label: string;
  url: string;
  type: 'absolute' | 'smart';
  appContext?: string;
}

export interface CdsCard {
  uuid: string;
  summary: string;
  detail?: string;
  indicator: Indicator;
  source: CdsSource;
  suggestions?: CdsSuggestion[];
  selectionBehavior?: 'at-most-one' | 'any';
  overrideReasons?: CdsCoding[];
  links?: CdsLink[];
}

export interface CdsResponse {
  cards: CdsCard[];
}
