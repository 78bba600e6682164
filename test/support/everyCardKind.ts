import request from 'supertest';
import { buildTestApp, expectValidResponse, patientViewRequest, searchset } from './testApp.js';

/**
 * Every card kind the service makes, through the HTTP API, in one language, at the hard end of each
 * summary: all 16 groups not taken, all 16 results flagged, several current drugs and draft orders with
 * long product names (docs/clinical-rules.md §5: summary under 140 code points, plain text).
 */

const ATC = 'http://www.whocc.no/atc';
const LONG = 'film-coated tablets in blister packaging, 98 pieces [hospital pack]';

/** One draft per drug kind (ATC), each with a long name; amitriptyline dosed in the morning (the warning variant). */
const DRAFTS: Array<[string, string, Partial<fhir4.MedicationRequest>?]> = [
  ['N02AA05', 'Oxycodone Hydrochloride 7.5 MG Extended Release Oral Tablet [OxyContin]'],
  ['N02AX02', 'Tramadol Hydrochloride 50 MG Oral Capsule [Nobligan Retard]'],
  ['N02AX06', 'Tapentadol 50 MG Extended Release Oral Tablet [Palexia Depot]'],
  ['N06AB06', 'Sertraline Hydrochloride 50 MG Oral Tablet [Zoloft]'],
  ['N06AA09', 'Amitriptyline Hydrochloride 10 MG Oral Tablet [Saroten]', { dosageInstruction: [{ timing: { repeat: { when: ['MORN'] } } }] }],
  ['N06AA10', 'Nortriptyline 25 MG Oral Tablet [Noritren]'],
  ['N06AX21', 'Duloxetine 30 MG Delayed Release Oral Capsule [Cymbalta]'],
  ['N06AX16', 'Venlafaxine 75 MG Extended Release Oral Capsule [Efexor Depot]'],
  ['N02BF02', 'Pregabalin 75 MG Oral Capsule [Lyrica]'],
];

function medicationRequest(id: string, status: 'draft' | 'active', code: string, text: string, extra: Partial<fhir4.MedicationRequest> = {}, patient = 'p1'): fhir4.MedicationRequest {
  return {
    resourceType: 'MedicationRequest',
    id,
    status,
    intent: 'order',
    subject: { reference: `Patient/${patient}` },
    medicationCodeableConcept: { text: `${text} ${LONG}`, coding: [{ system: ATC, code }] },
    ...extra,
  };
}

/** The established fixture with every result flagged high by the lab. */
function allFlagged(): Record<string, unknown> {
  const req = patientViewRequest('gsb-established-complete') as { prefetch: Record<string, any> };
  for (const e of req.prefetch.labs.entry) {
    e.resource.interpretation = [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation', code: 'H' }] }];
  }
  // Current drugs: every kind, long names (the current-medication summary names the opioid).
  req.prefetch.medications = searchset(DRAFTS.map(([code, text, extra], i) => medicationRequest(`a${i}`, 'active', code, text, extra, 'gsb-established-complete')));
  return req;
}

export async function everyCardKind(lang: 'da' | 'en', env: Record<string, string> = {}): Promise<Array<Record<string, any>>> {
  const { app } = buildTestApp({ env: { ALL_PATIENTS_IN_SCOPE: 'true', ...env } });
  const cards: Array<Record<string, any>> = [];
  const patientView = async (body: object) => {
    const res = await request(app).post('/cds-services/nkr-pain-patient-view').set('Accept-Language', lang).send(body);
    cards.push(...expectValidResponse(res.body).cards);
  };
  await patientView(patientViewRequest('gsb-workup-missing'));
  await patientView(allFlagged());
  const entry = DRAFTS.map(([code, text, extra], i) => ({ resource: medicationRequest(`o${i}`, 'draft', code, text, extra) }));
  const sign = await request(app)
    .post('/cds-services/nkr-pain-order-sign')
    .set('Accept-Language', lang)
    .send({ hook: 'order-sign', hookInstance: 'h', context: { patientId: 'p1', userId: 'Practitioner/x', draftOrders: { resourceType: 'Bundle', entry } }, prefetch: { conditions: null, medications: null } });
  cards.push(...expectValidResponse(sign.body).cards);
  return cards;
}

export const kindsOf = (cards: Array<Record<string, any>>): string[] => [...new Set(cards.map((c) => String(c.source.topic.code)))].sort();
