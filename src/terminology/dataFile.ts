import { readFileSync } from 'node:fs';
import { projectPath } from '../projectRoot.js';

/** Reads a JSON data file from terminology/ once, at start. */
export function readTerminologyJson(fileName: string): unknown {
  return JSON.parse(readFileSync(projectPath('terminology', fileName), 'utf8')) as unknown;
}
