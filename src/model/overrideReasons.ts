/**
 * The override reasons the cards offer (docs/clinical-rules.md §4, §6), by code; their words are the
 * `overrideReasons` of cards/common.yaml and cards/medication.yaml. One list for the three stages that use
 * them: the cards offer them, feedback keeps no other reason, and quiet by design acts on the patient-level ones.
 */
export const OVERRIDE_REASON_SYSTEM = 'urn:nkr-pain-cds:override-reason';

/** The patient-level cards' reasons: an answered flag (§3.2) and how long a card stays quiet (§6) depend on them. */
export const ALREADY_ADDRESSED = 'already-addressed';
export const NOT_RELEVANT = 'not-relevant';
export const ADDRESS_LATER = 'address-later';
export const PATIENT_OVERRIDE_REASON_CODES: readonly string[] = [ALREADY_ADDRESSED, NOT_RELEVANT, ADDRESS_LATER];

/** The medication cards' reasons (§4). */
export const MEDICATION_OVERRIDE_REASON_CODES: readonly string[] = [
  'treatment-plan-agreed',
  'non-drug-insufficient',
  'continuing-or-tapering',
  'short-term-or-as-needed',
  'acute-pain',
  'palliative-or-cancer-pain',
  'other-indication',
  'specialist-decision',
];

/** Every code a card offers: feedback keeps no other (src/transport/feedbackRoute.ts). */
export const OFFERED_OVERRIDE_REASON_CODES: ReadonlySet<string> = new Set([...PATIENT_OVERRIDE_REASON_CODES, ...MEDICATION_OVERRIDE_REASON_CODES]);
