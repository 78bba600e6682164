import { loadCodeSystems } from '../../src/terminology/codeSystems.js';
import { loadMedicationConditionCodes } from '../../src/terminology/medicationConditions.js';

const systems = loadCodeSystems();
const codes = loadMedicationConditionCodes(systems, false);
const withIcpc = loadMedicationConditionCodes(systems, true);
const c = (system: string, code: string) => ({ coding: [{ system, code }] });

describe('terminology/medication-conditions.json', () => {
  test('ICD-10 with or without the dot, sub-codes, under every URI alias; SKS with D', () => {
    for (const concept of [c('http://hl7.org/fhir/sid/icd-10', 'F32.1'), c('urn:oid:2.16.840.1.113883.6.3', 'F321'), c('http://hl7.org/fhir/sid/icd-10-cm', 'F41.1'), c('urn:oid:1.2.208.176.2.4', 'DF431')]) {
      expect(codes.hasCode('depression-anxiety', concept)).toBe(true);
    }
    expect(codes.hasCode('depression-anxiety', c('http://hl7.org/fhir/sid/icd-10', 'F43.2'))).toBe(false);
    // An SKS code labelled ICD-10, and an ICD-10 code labelled SKS (Danish systems send both).
    expect(codes.hasCode('depression-anxiety', c('http://hl7.org/fhir/sid/icd-10', 'DF321'))).toBe(true);
    expect(codes.hasCode('depression-anxiety', c('urn:oid:1.2.208.176.2.4', 'F32.1'))).toBe(true);
    expect(codes.hasCode('depression-anxiety', c('http://hl7.org/fhir/sid/icd-10', 'DF432'))).toBe(false);
    expect(codes.hasCode('depression-anxiety', c('http://example.org/other', 'F32.1'))).toBe(false);
    expect(codes.hasCode('opioid-dependence', c('urn:oid:1.2.208.176.2.4.12', 'DF112'))).toBe(true);
    expect(codes.hasCode('opioid-dependence', c('http://snomed.info/sct', '75544000'))).toBe(true);
    expect(codes.hasCode('opioid-dependence', c('http://id.who.int/icd/release/11/mms', '6C43.2'))).toBe(true);
    expect(codes.hasCode('opioid-dependence', c('http://snomed.info/sct', 'F11'))).toBe(false);
  });

  test('ICPC-2 only when ICPC-2 is read', () => {
    expect(codes.hasCode('depression-anxiety', c('http://hl7.org/fhir/sid/icpc-2', 'P76'))).toBe(false);
    expect(withIcpc.hasCode('depression-anxiety', c('urn:oid:2.16.840.1.113883.6.139', 'P76'))).toBe(true);
    expect(withIcpc.hasCode('opioid-dependence', c('http://hl7.org/fhir/sid/icpc-2', 'P19'))).toBe(true);
  });

  test('reason text that says only depression or anxiety names it, in Danish and English', () => {
    for (const t of [
      'mod depression', 'Depressiv enkeltepisode', 'socialfobi', 'tvangstanker', 'PTSD', 'panic disorder', 'OCD', 'posttraumatisk belastningsreaktion', 'Post-traumatic stress disorder', 'Generalized anxiety',
      'vinterdepression', 'panikangst', 'angstlidelse', 'generaliseret angst', 'klaustrofobi', 'Angst.', 'Moderat depression', 'Periodisk depression', 'Andre angsttilstande', 'Obsessiv-kompulsiv tilstand',
      'Major depressive disorder', 'Severe major depression, single episode, without psychotic features', 'depression og angst', 'til behandling af depression', 'F32.1 Depression',
      // prevention and maintenance of the group's condition is treatment of it
      'forebyggende mod depression', 'til forebyggelse af tilbagefald af depression', 'vedligeholdelsesbehandling af depression', 'recidivforebyggelse af depression',
      'profylaktisk mod panikangst', 'maintenance treatment of depression', 'relapse prevention of depression',
      // the names of the SKS/ICD-10 codes themselves, as a Danish prescription writes the indication
      'Angst og depression, blandet', 'Dystymi', 'Periodisk depression, aktuelt moderat episode', 'Cyklotymi', 'Mixed anxiety and depressive disorder', 'Dysthymia',
    ]) {
      expect([t, codes.textNames('depression-anxiety', t)]).toEqual([t, true]);
    }
  });

  test('reason text that says anything more names nothing (the card is shown: the safe side)', () => {
    for (const t of [
      // negations and exclusions, however phrased
      'mod smerter, ikke depression', 'not for depression, for pain', 'fibromyalgi - ingen depression', 'smerter uden angst', 'No anxiety', 'non-depressive', 'ikke-depressiv',
      'Smerter. Depression udelukket', 'depression afkræftet', 'hverken depression eller angst', 'aldrig haft depression', 'depression: nej', 'negativ for depression',
      'smerter u. depression', 'fri for angst', 'neither depression nor anxiety', 'depression ruled out', 'r/o depression', 'denies depression', 'never had depression',
      'absence of depression', 'anxiety-free', 'Fibromyalgia (depression excluded)', 'Encounter for screening for depression', 'depression ikke påvist',
      'no signs of depression or anxiety', 'ingen tegn på depression eller angst', 'depression er blevet udelukket', 'Depression og angst udelukket', 'Depression (PHQ-9) negativ',
      'depression: neg.', '÷ depression', 'depression=0', 'angstfri', 'depressionsfri', 'pain rather than depression', 'depression unlikely', 'Pt. benægter depression', 'ekskl. depression',
      // other conditions, histories, other reasons
      'langstrakte smerter', 'posttraumatiske nakkesmerter efter trafikuheld', 'angst for bivirkninger', 'respirationsdepression', 'ST-depression', 'tidligere depression, nu smerter',
      'mor har depression', 'mod smerter', 'fibromyalgi', 'procd', 'Depression - ikke-farmakologisk behandling uden effekt',
      // the prevention and maintenance words name nothing by themselves, nor undo a negation or another condition
      'depression udelukket', 'forebyggende, depression udelukket', 'forebyggende mod migræne', 'vedligeholdelsesbehandling', 'forebyggelse af tilbagefald, ingen depression',
      'maintenance treatment of pain', 'relapse prevention', 'profylakse mod smerter og depression',
      // the new qualifiers name nothing alone, nor with another condition
      'blandet', 'aktuelt smerter', 'smerter og angst, blandet',
    ]) {
      expect([t, codes.textNames('depression-anxiety', t)]).toEqual([t, false]);
    }
  });

  test('opioid dependence in natural Danish and English wording names the group; another dependence, opioid treatment or a negation does not', () => {
    for (const t of [
      'Opioidafhængighed', 'Substitutionsbehandling', 'afhængighed af opioider', 'Afhængighed af opiater', 'opioid misbrug', 'opioid-misbrug', 'opioidmisbrug', 'misbrug af opioider',
      'metadonbehandling', 'Metadonbehandling af opioidafhængige', 'opioid abuse', 'methadone maintenance', 'vedligeholdelsesbehandling af opioidafhængighed',
    ]) {
      expect([t, codes.textNames('opioid-dependence', t)]).toEqual([t, true]);
    }
    for (const t of ['afhængighed af alkohol', 'misbrug af alkohol', 'opioidbehandling', 'ingen opioidmisbrug', 'metadon mod smerter', 'risiko for opioidafhængighed', 'opioid misbrug udelukket', 'afhængighed', 'misbrug', 'metadon']) {
      expect([t, codes.textNames('opioid-dependence', t)]).toEqual([t, false]);
    }
  });

  test('lenient: odd shapes are no match, never an error', () => {
    for (const v of [null, 'F32', 42, { coding: 'F32' }, { coding: [{ system: 42, code: 'F32' }] }, { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10', code: null }] }]) {
      expect(codes.hasCode('depression-anxiety', v)).toBe(false);
    }
  });
});
