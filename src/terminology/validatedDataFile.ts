import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { projectPath } from '../projectRoot.js';
import { readTerminologyJson } from './dataFile.js';

/**
 * Reads a terminology/ JSON file and checks it against its schema in schemas/ once, at start: a broken
 * data file stops the start with the file, the place and the reason, never a wrong card later.
 */
export function readValidatedTerminologyJson<T>(fileName: string, schemaFile: string, check: (data: unknown) => data is T): T {
  const schema = JSON.parse(readFileSync(projectPath('schemas', schemaFile), 'utf8')) as object;
  const validate = new Ajv2020({ allErrors: true }).compile(schema);
  const data = readTerminologyJson(fileName);
  if (!validate(data) || !check(data)) {
    const why = (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`).join('; ');
    throw new Error(`terminology/${fileName} does not match schemas/${schemaFile}${why ? `: ${why}` : ''}`);
  }
  return data;
}
