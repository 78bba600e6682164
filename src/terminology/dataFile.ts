import { readFileSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { parse } from 'csv-parse/sync';
import { schemaErrorText, schemaValidator } from '../jsonSchemas.js';
import { projectPath, projectRoot } from '../projectRoot.js';

/**
 * Reading the data files of terminology/ once, at start: JSON, and CSV by csv-parse ('#' lines are
 * comments); every file checked against its JSON Schema in schemas/ (src/jsonSchemas.ts). A broken file
 * stops the start with the file, the place and the reason, never a wrong card later.
 */

class TerminologyDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TerminologyDataError';
  }
}

/** The file as the message names it: relative to the project when inside it. */
function shown(path: string): string {
  const rel = relative(projectRoot, path);
  return rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}

/** Checks parsed data against schemas/<schemaName>.schema.json; the result has the schema's type. */
function validated<T>(data: unknown, schemaName: string, path: string): T {
  const validate = schemaValidator<T>(schemaName);
  if (validate(data)) return data;
  throw new TerminologyDataError(`${shown(path)} does not match schemas/${schemaName}.schema.json: ${schemaErrorText(validate.errors, 5)}`);
}

/** CSV text → rows keyed by header, values trimmed; lines starting with '#' are comments. */
export function parseCsvRows(text: string): Record<string, string>[] {
  const rows: unknown = parse(text, { columns: true, comment: '#', skip_empty_lines: true, trim: true });
  if (!Array.isArray(rows)) return [];
  return rows.filter((r): r is Record<string, string> => typeof r === 'object' && r !== null);
}

/** A CSV file (path relative to the directory `dir`), validated row by row against its schema. */
export function readValidatedCsv<T>(dir: string, fileName: string, schemaName: string): T[] {
  const path = join(dir, fileName);
  return validated<T[]>(parseCsvRows(readFileSync(path, 'utf8')), schemaName, path);
}

/** A JSON file (in terminology/ unless `dir` is given), validated against schemas/<schemaName>.schema.json. */
export function readValidatedJson<T>(fileName: string, schemaName: string, dir: string = projectPath('terminology')): T {
  const path = join(dir, fileName);
  const data: unknown = JSON.parse(readFileSync(path, 'utf8'));
  return validated<T>(data, schemaName, path);
}

/** "a;b;c" → ["a", "b", "c"]; blanks dropped. */
export function splitList(value: string | undefined): string[] {
  return (value ?? '')
    .split(';')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}
