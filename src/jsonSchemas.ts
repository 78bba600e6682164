import { readFileSync } from 'node:fs';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { projectPath } from './projectRoot.js';

/**
 * The JSON Schemas in schemas/, with ONE ajv setup for all of them: strict (a typo in a schema stops the
 * start), every error reported, formats (ajv-formats), and the `refusal` annotation: the sentence a data
 * file's author reads when that part of the schema refuses the file (`verbose` hands it to the caller as
 * `error.parentSchema`). Each schema file is read and compiled once per process.
 */

// ajv-formats is CommonJS; its default export is the plugin function.
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

let shared: Ajv2020 | null = null;
function ajv(): Ajv2020 {
  if (shared) return shared;
  shared = new Ajv2020({ allErrors: true, strict: true, strictTypes: false, strictRequired: false, allowUnionTypes: true, verbose: true });
  addFormats(shared);
  shared.addKeyword({ keyword: 'refusal', schemaType: 'string' });
  return shared;
}

/** Parsed schema objects by name: ajv caches a compiled validator by its schema object. */
const schemas = new Map<string, object>();

function schemaFile(name: string): object {
  const cached = schemas.get(name);
  if (cached) return cached;
  const schema: unknown = JSON.parse(readFileSync(projectPath('schemas', `${name}.schema.json`), 'utf8'));
  if (typeof schema !== 'object' || schema === null) throw new Error(`schemas/${name}.schema.json is not a schema`);
  schemas.set(name, schema);
  return schema;
}

/** The validator of `schemas/<name>.schema.json` (compiled once); a value it accepts has type T. */
export function schemaValidator<T>(name: string): ValidateFunction<T> {
  return ajv().compile<T>(schemaFile(name));
}

/**
 * A validator of a schema built in code, e.g. one that refers to a schema file by its `$id`. Pass the same
 * object each time (a module constant): it is compiled once. `dependsOn` names the schema files it refers to.
 */
export function derivedSchemaValidator<T>(schema: object, dependsOn: readonly string[]): ValidateFunction<T> {
  for (const name of dependsOn) schemaValidator(name);
  return ajv().compile<T>(schema);
}

/** ajv's errors as one line: `/place message; …` (the first `max`). */
export function schemaErrorText(errors: ErrorObject[] | null | undefined, max = Number.POSITIVE_INFINITY): string {
  return (errors ?? [])
    .slice(0, max)
    .map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`)
    .join('; ');
}
