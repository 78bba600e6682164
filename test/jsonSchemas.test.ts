import { readdirSync } from 'node:fs';
import { derivedSchemaValidator, schemaErrorText, schemaValidator } from '../src/jsonSchemas.js';
import { projectPath } from '../src/projectRoot.js';

const NAMES = readdirSync(projectPath('schemas'))
  .filter((f) => f.endsWith('.schema.json'))
  .map((f) => f.replace(/\.schema\.json$/, ''));

test('there are schemas to check', () => {
  expect(NAMES).toEqual(expect.arrayContaining(['request', 'response', 'card-texts', 'code-systems', 'trusted-issuers']));
});

test.each(NAMES)('schemas/%s.schema.json compiles under the one strict setup, once', (name) => {
  const validate = schemaValidator(name);
  expect(typeof validate).toBe('function');
  expect(schemaValidator(name)).toBe(validate);
});

test('a derived schema refers to a schema file by its $id and is compiled once', () => {
  const schema = { allOf: [{ $ref: 'urn:nkr-pain-cds:schema:code-systems' }] };
  const validate = derivedSchemaValidator(schema, ['code-systems']);
  expect(validate({ systems: { loinc: ['http://loinc.org'] } })).toBe(true);
  expect(validate({ systems: { loinc: [] } })).toBe(false);
  expect(derivedSchemaValidator(schema, ['code-systems'])).toBe(validate);
});

test('formats are checked (ajv-formats)', () => {
  const validate = schemaValidator('feedback');
  const item = { card: '52bbb69b-841f-44e5-8ee4-8a18ccbfabdc', outcome: 'accepted', outcomeTimestamp: 'yesterday' };
  expect(validate({ feedback: [item] })).toBe(false);
  expect(schemaErrorText(validate.errors)).toContain('/feedback/0/outcomeTimestamp');
});

test('errors as one line, the first `max` of them', () => {
  const validate = schemaValidator('code-systems');
  expect(validate({ systems: { a: [] }, extra: 1 })).toBe(false);
  expect(schemaErrorText(validate.errors)).toMatch(/^\/ must NOT have additional properties; \/systems\/a must NOT have fewer than 1 items$/);
  expect(schemaErrorText(validate.errors, 1)).toBe('/ must NOT have additional properties');
  expect(schemaErrorText(null)).toBe('');
});
