import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'csv-parse/sync';
import { projectPath } from '../projectRoot.js';

/**
 * Reading the medication data files (terminology/drug-kinds.csv, terminology/drugs/*.csv,
 * terminology/medication-conditions.json) once at start: CSV by csv-parse ('#' lines are comments), every
 * file checked against its JSON Schema in schemas/. A broken file stops the start with the file and the row.
 */

class MedicationDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MedicationDataError';
  }
}

const ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false, strictRequired: false, allowUnionTypes: true });

const schemas = new Map<string, object>();

/** The parsed schema, one object per name (ajv caches compiled validators by schema object). */
function schemaOf(name: string): object {
  const cached = schemas.get(name);
  if (cached) return cached;
  const schema: unknown = JSON.parse(readFileSync(projectPath('schemas', `${name}.schema.json`), 'utf8'));
  if (typeof schema !== 'object' || schema === null) throw new MedicationDataError(`schemas/${name}.schema.json is not a schema`);
  schemas.set(name, schema);
  return schema;
}

/** Checks parsed data against schemas/<schemaName>.schema.json; the result has the schema's type. */
function validated<T>(data: unknown, schemaName: string, where: string): T {
  const validate = ajv.compile<T>(schemaOf(schemaName));
  if (validate(data)) return data;
  const why = (validate.errors ?? [])
    .slice(0, 5)
    .map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`)
    .join('; ');
  throw new MedicationDataError(`${where} does not match schemas/${schemaName}.schema.json: ${why}`);
}

/** CSV text → rows keyed by header, values trimmed; lines starting with '#' are comments. */
export function parseCsvRows(text: string): Record<string, string>[] {
  const rows: unknown = parse(text, { columns: true, comment: '#', skip_empty_lines: true, trim: true });
  if (!Array.isArray(rows)) return [];
  return rows.filter((r): r is Record<string, string> => typeof r === 'object' && r !== null);
}

/** A CSV file (path relative to the directory `dir`), validated row by row against its schema. */
export function readValidatedCsv<T>(dir: string, fileName: string, schemaName: string): T[] {
  const rows = parseCsvRows(readFileSync(join(dir, fileName), 'utf8'));
  return validated<T[]>(rows, schemaName, fileName);
}

/** A JSON file in terminology/, validated against its schema. */
export function readValidatedJson<T>(fileName: string, schemaName: string, dir: string = projectPath('terminology')): T {
  const data: unknown = JSON.parse(readFileSync(join(dir, fileName), 'utf8'));
  return validated<T>(data, schemaName, fileName);
}

/** "a;b;c" → ["a", "b", "c"]; blanks dropped. */
export function splitList(value: string | undefined): string[] {
  return (value ?? '')
    .split(';')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}
