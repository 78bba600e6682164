import { combinationKey } from '../model/ingredientCombination.js';
import { wordsOf } from '../model/words.js';
import { projectPath } from '../projectRoot.js';
import type { CodeSystems } from './codeSystems.js';
import type { DrugKind, DrugKinds } from './drugKinds.js';
import { readValidatedCsv, splitList } from './dataFile.js';

/**
 * Drug terminology for the medication rules (docs/clinical-rules.md §4), read once at start from the CSV
 * files in terminology/drugs/ (each checked against its schema) into Maps, so that classifying an order is a
 * handful of lookups, never a list scan. Built once by the service registry and injected where needed.
 */

/** Product-level exclusions: such a product gives no card at all. */
export type OutOfScopeProduct = 'opioid-substitution' | 'antitussive-combination';

export type CodeStatus = 'verified' | 'partial' | 'unverified' | 'none' | 'sandbox-only';

/** A note a brand adds to its card (texts in cards/medication.yaml `brandNotes`). */
export type BrandNote = 'rapid-onset-fentanyl' | 'stress-urinary-incontinence';

export interface IngredientEntry {
  key: string;
  /** null for combination partners (naloxone, paracetamol …) that have no card of their own. */
  kind: DrugKind | null;
  nameEn: string;
  nameDa: string;
  rxnormIngredient: string | null;
  rxnormStatus: CodeStatus;
  atc: string[];
  /** Substitution treatment for a patient with opioid dependence (methadone). */
  dependenceSubstitution: boolean;
  /** For such an ingredient, the ATC codes of its pain products (buprenorphine N02AE01), upper case. */
  painProductAtc: string[];
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

export interface BrandEntry {
  /** Lower-case words of the brand name. */
  words: string[];
  name: string;
  ingredients: string[];
  /** substitution: opioid substitution treatment (no card); pain: a pain product of an ingredient that is also substitution treatment. */
  use: 'substitution' | 'pain' | null;
  note: BrandNote | null;
}

export interface DrugCodes {
  kinds: DrugKinds;
  systems: CodeSystems;
  ingredientByKey: ReadonlyMap<string, IngredientEntry>;
  ingredientByRxnorm: ReadonlyMap<string, IngredientEntry>;
  productByRxnorm: ReadonlyMap<string, RxnormProductEntry>;
  atcExact: ReadonlyMap<string, AtcEntry>;
  atcPrefix: ReadonlyMap<string, AtcEntry>;
  /** Lower-case generic name (English or Danish) or ingredient key → ingredient keys. */
  ingredientsByName: ReadonlyMap<string, readonly string[]>;
  /** Brands by their first lower-case word (a brand of several words is matched as a phrase). */
  brandsByFirstWord: ReadonlyMap<string, readonly BrandEntry[]>;
  /**
   * The ingredient sets (sorted keys, ";"-joined) of the substitution combinations in atc.csv (buprenorphine +
   * naloxone, N07BC51): a text that names exactly those ingredients names a substitution product.
   */
  substitutionCombinations: ReadonlySet<string>;
  /**
   * ATC codes of pain products of an ingredient that is also substitution treatment (buprenorphine N02AE01,
   * ingredients.csv `pain_product_atc`): a product so coded is never substitution treatment (docs/clinical-rules.md §4.10).
   */
  painProductAtc: ReadonlySet<string>;
  /**
   * Every combination of ingredients a row of the tables names (ATC, RxNorm products, brands), by
   * combinationKey: a code naming one partner is completed by a Medication's ingredient list only into one of these (docs §4).
   */
  knownCombinations: ReadonlySet<string>;
  /**
   * The ATC codes of the opioids with dual action (the opioid kinds other than opioid-without-dual-action:
   * tramadol, tapentadol), from atc.csv and ingredients.csv: an order coded only by an ATC group that holds one
   * of them (N02A, N02AX, N02AJ) may be one (docs/clinical-rules.md §4, classification).
   */
  dualActionOpioidAtc: readonly string[];
  /** Salt and form words glued to a name ("hydrochlorid", "depottabletter"), longest first (drugs/name-suffixes.csv). */
  nameSuffixes: readonly string[];
}

interface IngredientRow {
  ingredient: string;
  kind: string;
  rxnorm_in: string;
  rxnorm_in_status: CodeStatus;
  atc: string;
  names_en: string;
  names_da: string;
  dependence_substitution: 'yes' | 'no';
  pain_product_atc: string;
}

interface AtcRow {
  atc: string;
  match: 'exact' | 'prefix';
  rule: string;
  ingredients: string;
  display: string;
  status: CodeStatus;
}

interface RxnormRow {
  rxnorm: string;
  tty: 'SCD' | 'SBD';
  display: string;
  ingredients: string;
  other_ingredients?: string;
  atc?: string;
  out_of_scope?: '' | OutOfScopeProduct;
  status: CodeStatus;
}

interface NameSuffixRow {
  suffix: string;
  kind: 'salt' | 'form';
}

interface BrandRow {
  brand: string;
  ingredients: string;
  use: '' | 'substitution' | 'pain';
  note: '' | BrandNote;
}

function addName(map: Map<string, string[]>, name: string, key: string): void {
  const n = name.toLowerCase();
  const keys = map.get(n) ?? [];
  if (!keys.includes(key)) keys.push(key);
  map.set(n, keys);
}

/** Reads and checks the drug data files. Throws on unknown kinds or dangling ingredient keys. */
export function loadDrugCodes(
  kinds: DrugKinds,
  systems: CodeSystems,
  dir: string = projectPath('terminology', 'drugs'),
): DrugCodes {
  const ingredientByKey = new Map<string, IngredientEntry>();
  const ingredientByRxnorm = new Map<string, IngredientEntry>();
  const ingredientsByName = new Map<string, string[]>();
  for (const r of readValidatedCsv<IngredientRow>(dir, 'ingredients.csv', 'drug-ingredients')) {
    if (r.kind !== '' && !kinds.has(r.kind)) throw new Error(`ingredients.csv: unknown kind '${r.kind}' (${r.ingredient})`);
    const namesEn = splitList(r.names_en);
    const namesDa = splitList(r.names_da);
    const entry: IngredientEntry = {
      key: r.ingredient,
      kind: r.kind === '' ? null : r.kind,
      nameEn: namesEn[0] ?? r.ingredient,
      nameDa: namesDa[0] ?? namesEn[0] ?? r.ingredient,
      rxnormIngredient: r.rxnorm_in === '' ? null : r.rxnorm_in,
      rxnormStatus: r.rxnorm_in_status,
      atc: splitList(r.atc),
      dependenceSubstitution: r.dependence_substitution === 'yes',
      painProductAtc: splitList(r.pain_product_atc).map((c) => c.toUpperCase()),
    };
    if (entry.painProductAtc.length > 0 && !entry.dependenceSubstitution) {
      throw new Error(`ingredients.csv: ${entry.key} has pain_product_atc but is no substitution treatment (dependence_substitution = no)`);
    }
    ingredientByKey.set(entry.key, entry);
    if (entry.rxnormIngredient) ingredientByRxnorm.set(entry.rxnormIngredient, entry);
    for (const n of [entry.key, ...namesEn, ...namesDa]) addName(ingredientsByName, n, entry.key);
  }
  const checkKeys = (keys: string[], where: string) => {
    for (const k of keys) if (!ingredientByKey.has(k)) throw new Error(`${where}: unknown ingredient '${k}'`);
  };

  const atcExact = new Map<string, AtcEntry>();
  const atcPrefix = new Map<string, AtcEntry>();
  const substitutionCombinations = new Set<string>();
  const knownCombinations = new Set<string>();
  const combination = (keys: readonly string[]): void => {
    if (keys.length > 1) knownCombinations.add(combinationKey(keys));
  };
  for (const r of readValidatedCsv<AtcRow>(dir, 'atc.csv', 'drug-atc')) {
    const rule = r.rule;
    if (!kinds.has(rule) && rule !== 'opioid-substitution' && rule !== 'antitussive-combination') {
      throw new Error(`atc.csv: unknown rule '${rule}' (${r.atc})`);
    }
    const entry: AtcEntry = { code: r.atc.toUpperCase(), match: r.match, rule, ingredients: splitList(r.ingredients), display: r.display, status: r.status };
    checkKeys(entry.ingredients, `atc.csv ${entry.code}`);
    (entry.match === 'prefix' ? atcPrefix : atcExact).set(entry.code, entry);
    if (rule === 'opioid-substitution' && entry.ingredients.length > 1) substitutionCombinations.add(combinationKey(entry.ingredients));
    combination(entry.ingredients);
  }
  const painProductAtc = new Set<string>();
  for (const i of ingredientByKey.values()) {
    for (const code of i.painProductAtc) {
      const row = atcExact.get(code);
      // A pain product's code must be in atc.csv as an exact code of that ingredient, with a card kind.
      if (!row || !row.ingredients.includes(i.key) || !kinds.has(row.rule)) throw new Error(`ingredients.csv: ${i.key}'s pain_product_atc ${code} is no exact atc.csv row of it with a card kind`);
      painProductAtc.add(code);
    }
  }

  const productByRxnorm = new Map<string, RxnormProductEntry>();
  for (const r of readValidatedCsv<RxnormRow>(dir, 'rxnorm-products.csv', 'drug-rxnorm-products')) {
    const out = r.out_of_scope ?? '';
    const entry: RxnormProductEntry = {
      code: r.rxnorm,
      tty: r.tty,
      display: r.display,
      ingredients: splitList(r.ingredients),
      otherIngredients: splitList(r.other_ingredients),
      atc: r.atc ? r.atc : null,
      outOfScope: out === '' ? null : out,
      status: r.status,
    };
    checkKeys(entry.ingredients, `rxnorm-products.csv ${entry.code}`);
    productByRxnorm.set(entry.code, entry);
    combination(entry.ingredients);
  }

  const brandsByFirstWord = new Map<string, BrandEntry[]>();
  for (const r of readValidatedCsv<BrandRow>(dir, 'brands.csv', 'drug-brands')) {
    const entry: BrandEntry = {
      words: wordsOf(r.brand),
      name: r.brand,
      ingredients: splitList(r.ingredients),
      use: r.use === '' ? null : r.use,
      note: r.note === '' ? null : r.note,
    };
    checkKeys(entry.ingredients, `brands.csv ${entry.name}`);
    if (entry.use === 'pain' && !entry.ingredients.some((k) => ingredientByKey.get(k)?.dependenceSubstitution === true)) {
      throw new Error(`brands.csv: ${entry.name} is marked use = pain, but none of its ingredients is substitution treatment (dependence_substitution)`);
    }
    combination(entry.ingredients);
    const first = entry.words[0];
    if (!first) throw new Error(`brands.csv: brand '${r.brand}' has no word`);
    // Longer names first, so "Pinex Forte" is tried before a brand "Pinex".
    brandsByFirstWord.set(first, [...(brandsByFirstWord.get(first) ?? []), entry].sort((a, b) => b.words.length - a.words.length));
  }

  const dualAction = (kind: string | null): boolean => kind !== null && kinds.has(kind) && kinds.get(kind).opioid && kinds.get(kind).rule !== 'opioid-without-dual-action';
  const dualActionOpioidAtc = [
    ...new Set([
      ...[...atcExact.values()].filter((e) => dualAction(e.rule)).map((e) => e.code),
      ...[...ingredientByKey.values()].filter((i) => dualAction(i.kind)).flatMap((i) => i.atc.map((c) => c.toUpperCase())),
    ]),
  ].sort();
  // Longest first, so "depottabletter" is stripped before "tabletter".
  const nameSuffixes = [...new Set(readValidatedCsv<NameSuffixRow>(dir, 'name-suffixes.csv', 'drug-name-suffixes').map((r) => r.suffix))].sort((a, b) => b.length - a.length);
  return { kinds, systems, ingredientByKey, ingredientByRxnorm, productByRxnorm, atcExact, atcPrefix, ingredientsByName, brandsByFirstWord, substitutionCombinations, painProductAtc, knownCombinations, dualActionOpioidAtc, nameSuffixes };
}
