/** CDS Hooks 2.0 response types (https://cds-hooks.hl7.org/2.0/#cds-service-response), as this service emits them. */

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

/**
 * What a card is about, as stable facts — never its wording or language (the missing groups, the flagged
 * results' ids and values, the drug codes, the order): the card log and quiet-by-design key on these.
 */
export type CardFacts = Readonly<Record<string, string | number | boolean | null | readonly (string | number)[]>>;

/** A card as a service issues it: the card the EHR sees, its kind, and the facts it rests on. */
export interface IssuedCard {
  card: CdsCard;
  /** The card kind (also `card.source.topic.code`), e.g. `screening-incomplete`, `tramadol`. */
  kind: string;
  facts: CardFacts;
  /** Medication hooks: the draft order the card is about (`MedicationRequest/123`), if it has an id. */
  orderRef?: string;
}

/** A service's answer before transport strips it to the CDS Hooks response. */
export interface ServiceAnswer {
  cards: IssuedCard[];
}

/** Pairs a rendered card with its facts; the kind is the card's own topic code. */
export function issue(card: CdsCard, facts: CardFacts, orderRef?: string): IssuedCard {
  const issued: IssuedCard = { card, kind: card.source.topic?.code ?? 'unknown', facts };
  if (orderRef !== undefined) issued.orderRef = orderRef;
  return issued;
}
