import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectPath } from '../projectRoot.js';

/**
 * Drug terminology for the medication rules (guideline-rules §4), read once from the CSV files in
 * terminology/drugs/ into Maps, so that classifying an order is a handful of lookups, never a list scan.
 */

export const RXNORM_SYSTEM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
export const ATC_SYSTEM = 'http://www.whocc.no/atc';

/** The card kinds of the medication rules, in the order of the guideline-rules §4 table. */
export const DRUG_KINDS = [
  'opioid-without-dual-action',
  'tramadol',
  'tapentadol',
  'ssri',
  'amitriptyline',
  'other-tca',
  'duloxetine',
  'venlafaxine',
  'gabapentinoid',
] as const;
export type DrugKind = (typeof DRUG_KINDS)[number];

/** Product-level exclusions: such a product gives no card at all. */
export type OutOfScopeProduct = 'opioid-substitution' | 'antitussive-combination';

export type CodeStatus = 'verified' | 'partial' | 'unverified' | 'none' | 'sandbox-only';

export interface IngredientEntry {
  key: string;
  /** null for combination partners (naloxone, paracetamol …) that have no card of their own. */
  kind: DrugKind | null;
  nameEn: string;
  nameDa: string;
  rxnormIngredient: string | null;
  rxnormStatus: CodeStatus;
  atc: string[];
}

export interface AtcEntry {
  code: string;
  match: 'exact' | 'prefix';
  rule: DrugKind | OutOfScopeProduct;
  ingredients: string[];
  display: string;
  status: CodeStatus;
}

export interface RxnormProductEntry {
  code: string;
  tty: 'SCD' | 'SBD';
  display: string;
  ingredients: string[];
  otherIngredients: string[];
  atc: string | null;
  outOfScope: OutOfScopeProduct | null;
  status: CodeStatus;
}

export interface DrugCodes {
  ingredientByKey: ReadonlyMap<string, IngredientEntry>;
  ingredientByRxnorm: ReadonlyMap<string, IngredientEntry>;
  productByRxnorm: ReadonlyMap<string, RxnormProductEntry>;
  atcExact: ReadonlyMap<string, AtcEntry>;
  atcPrefix: ReadonlyMap<string, AtcEntry>;
  /** Lower-case generic or brand name (English or Danish) → ingredient keys. */
  ingredientsByName: ReadonlyMap<string, readonly string[]>;
}

/** Minimal RFC 4180 parser; lines starting with '#' (outside quotes, at a line start) are comments. */
export function parseCsv(text: string): Record<string, string>[] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let inQuotes = false;
  let atLineStart = true;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inQuotes) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else inQuotes = false;
      } else field += c;
      continue;
    }
    if (atLineStart && c === '#') {
      const end = text.indexOf('\n', i);
      i = end === -1 ? text.length : end;
      continue;
    }
    atLineStart = false;
    if (c === '"') inQuotes = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      field = '';
      if (row.some((f) => f !== '')) rows.push(row);
      row = [];
      atLineStart = true;
    } else field += c;
  }
  row.push(field);
  if (row.some((f) => f !== '')) rows.push(row);
  const [header, ...body] = rows;
  if (!header) return [];
  return body.map((r) => Object.fromEntries(header.map((h, i) => [h.trim(), (r[i] ?? '').trim()])));
}

function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(';')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function isDrugKind(value: string): value is DrugKind {
  return (DRUG_KINDS as readonly string[]).includes(value);
}

function status(value: string | undefined, file: string): CodeStatus {
  const v = (value ?? '').trim();
  if (v === 'verified' || v === 'partial' || v === 'unverified' || v === 'none' || v === 'sandbox-only') return v;
  throw new Error(`${file}: unknown status '${v}'`);
}

function addName(map: Map<string, string[]>, name: string, key: string): void {
  const n = name.toLowerCase();
  const keys = map.get(n) ?? [];
  if (!keys.includes(key)) keys.push(key);
  map.set(n, keys);
}

/** Reads and checks the drug data files. Throws on unknown kinds or dangling ingredient keys. */
export function loadDrugCodes(dir: string = projectPath('terminology', 'drugs')): DrugCodes {
  const read = (name: string) => parseCsv(readFileSync(join(dir, name), 'utf8'));

  const ingredientByKey = new Map<string, IngredientEntry>();
  const ingredientByRxnorm = new Map<string, IngredientEntry>();
  const ingredientsByName = new Map<string, string[]>();
  for (const r of read('ingredients.csv')) {
    const key = r.ingredient ?? '';
    const kindText = r.kind ?? '';
    if (kindText !== '' && !isDrugKind(kindText)) throw new Error(`ingredients.csv: unknown kind '${kindText}' (${key})`);
    const namesEn = list(r.names_en);
    const namesDa = list(r.names_da);
    const entry: IngredientEntry = {
      key,
      kind: kindText === '' ? null : (kindText as DrugKind),
      nameEn: namesEn[0] ?? key,
      nameDa: namesDa[0] ?? namesEn[0] ?? key,
      rxnormIngredient: r.rxnorm_in ? r.rxnorm_in : null,
      rxnormStatus: status(r.rxnorm_in_status, 'ingredients.csv'),
      atc: list(r.atc),
    };
    ingredientByKey.set(key, entry);
    if (entry.rxnormIngredient) ingredientByRxnorm.set(entry.rxnormIngredient, entry);
    for (const n of [key, ...namesEn, ...namesDa, ...list(r.brands_da_guideline), ...list(r.brands_da_other)]) {
      addName(ingredientsByName, n, key);
    }
  }
  const checkKeys = (keys: string[], where: string) => {
    for (const k of keys) if (!ingredientByKey.has(k)) throw new Error(`${where}: unknown ingredient '${k}'`);
  };

  const atcExact = new Map<string, AtcEntry>();
  const atcPrefix = new Map<string, AtcEntry>();
  for (const r of read('atc.csv')) {
    const rule = r.rule ?? '';
    if (!isDrugKind(rule) && rule !== 'opioid-substitution' && rule !== 'antitussive-combination') {
      throw new Error(`atc.csv: unknown rule '${rule}' (${r.atc})`);
    }
    const match = r.match === 'prefix' ? 'prefix' : 'exact';
    const entry: AtcEntry = {
      code: (r.atc ?? '').toUpperCase(),
      match,
      rule,
      ingredients: list(r.ingredients),
      display: r.display ?? '',
      status: status(r.status, 'atc.csv'),
    };
    checkKeys(entry.ingredients, `atc.csv ${entry.code}`);
    (match === 'prefix' ? atcPrefix : atcExact).set(entry.code, entry);
  }

  const productByRxnorm = new Map<string, RxnormProductEntry>();
  for (const r of read('rxnorm-products.csv')) {
    const out = r.out_of_scope ?? '';
    if (out !== '' && out !== 'opioid-substitution' && out !== 'antitussive-combination') {
      throw new Error(`rxnorm-products.csv: unknown out_of_scope '${out}' (${r.rxnorm})`);
    }
    const entry: RxnormProductEntry = {
      code: r.rxnorm ?? '',
      tty: r.tty === 'SBD' ? 'SBD' : 'SCD',
      display: r.display ?? '',
      ingredients: list(r.ingredients),
      otherIngredients: list(r.other_ingredients),
      atc: r.atc ? r.atc : null,
      outOfScope: out === '' ? null : out,
      status: status(r.status, 'rxnorm-products.csv'),
    };
    checkKeys(entry.ingredients, `rxnorm-products.csv ${entry.code}`);
    productByRxnorm.set(entry.code, entry);
  }

  return { ingredientByKey, ingredientByRxnorm, productByRxnorm, atcExact, atcPrefix, ingredientsByName };
}

let loaded: DrugCodes | undefined;

/** The drug tables, read on first use and kept for the life of the process. */
export function drugCodes(): DrugCodes {
  loaded ??= loadDrugCodes();
  return loaded;
}
