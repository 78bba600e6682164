import {
  ATC_SYSTEM,
  DRUG_KINDS,
  RXNORM_SYSTEM,
  drugCodes,
  type DrugCodes,
  type DrugKind,
  type IngredientEntry,
  type OutOfScopeProduct,
} from '../terminology/drugCodes.js';

export { DRUG_KINDS, type DrugKind, type OutOfScopeProduct } from '../terminology/drugCodes.js';

/**
 * Classifies a medication (guideline-rules §4): RxNorm ingredient or clinical/branded drug code first,
 * then ATC (exact code, else the longest class prefix), then generic or Danish brand names in the text.
 * A combination product is classified by each of its ingredients.
 */

export type ClassificationSource = 'rxnorm-ingredient' | 'rxnorm-product' | 'atc' | 'text';

export interface ClassifiedIngredient {
  /** Ingredient key from terminology/drugs/ingredients.csv, or `atc:<code>` for a class-prefix match. */
  key: string;
  nameEn: string;
  nameDa: string;
  /** null for a combination partner without a class of its own (naloxone, paracetamol …). */
  kind: DrugKind | null;
  rxnormIngredient: string | null;
  /** false when the ingredient's RxCUI is only PARTIAL in codes.md (gabapentin 25480, pregabalin 187832). */
  rxnormVerified: boolean;
}

export interface ClassifiedMedication {
  /** Every recognised ingredient, partners included. */
  ingredients: ClassifiedIngredient[];
  /** Distinct kinds found, in the order of the §4 table; empty when outOfScope is set. */
  kinds: DrugKind[];
  /** Product-level exclusion (opioid substitution product, antitussive combination): no card at all. */
  outOfScope: OutOfScopeProduct | null;
  via: ClassificationSource | null;
  /** The coding that classified the medication (absent for text matches). */
  matchedCoding?: fhir4.Coding;
  /** The order's own code system for suggested alternatives: RxNorm or ATC when it carries one, else null. */
  codeSystem: 'rxnorm' | 'atc' | null;
}

const ATC_SYSTEMS = new Set([ATC_SYSTEM, `${ATC_SYSTEM}/`]);
const RXNORM_SYSTEMS = new Set([RXNORM_SYSTEM, `${RXNORM_SYSTEM}/`]);

// Salt and form words glued to a name in Danish ("tramadolhydrochlorid"); stripped before a name lookup.
const SALT_SUFFIXES = [
  'hydrochloride', 'hydrochlorid', 'hydrobromide', 'hydrobromid', 'bitartrate', 'bitartrat', 'tartrate', 'tartrat',
  'sulphate', 'sulfate', 'sulfat', 'phosphate', 'phosphat', 'fosfat', 'citrate', 'citrat', 'maleate', 'maleat',
  'oxalate', 'oxalat', 'succinate', 'succinat', 'mesilate', 'besilat', 'hcl',
];

function ingredientOf(entry: IngredientEntry): ClassifiedIngredient {
  return {
    key: entry.key,
    nameEn: entry.nameEn,
    nameDa: entry.nameDa,
    kind: entry.kind,
    rxnormIngredient: entry.rxnormIngredient,
    rxnormVerified: entry.rxnormStatus === 'verified',
  };
}

function ingredientsOf(codes: DrugCodes, keys: readonly string[]): ClassifiedIngredient[] {
  const out: ClassifiedIngredient[] = [];
  for (const k of keys) {
    const e = codes.ingredientByKey.get(k);
    if (e && !out.some((i) => i.key === k)) out.push(ingredientOf(e));
  }
  return out;
}

function kindsOf(ingredients: readonly ClassifiedIngredient[]): DrugKind[] {
  const present = new Set(ingredients.map((i) => i.kind));
  return DRUG_KINDS.filter((k) => present.has(k));
}

function result(
  ingredients: ClassifiedIngredient[],
  outOfScope: OutOfScopeProduct | null,
  via: ClassificationSource,
  codeSystem: ClassifiedMedication['codeSystem'],
  matchedCoding?: fhir4.Coding,
): ClassifiedMedication {
  return {
    ingredients,
    kinds: outOfScope ? [] : kindsOf(ingredients),
    outOfScope,
    via,
    ...(matchedCoding ? { matchedCoding } : {}),
    codeSystem,
  };
}

function byRxnorm(codes: DrugCodes, coding: fhir4.Coding): ClassifiedMedication | null {
  const code = coding.code?.trim();
  if (!code) return null;
  const ing = codes.ingredientByRxnorm.get(code);
  if (ing) return result([ingredientOf(ing)], null, 'rxnorm-ingredient', 'rxnorm', coding);
  const product = codes.productByRxnorm.get(code);
  if (product) return result(ingredientsOf(codes, product.ingredients), product.outOfScope, 'rxnorm-product', 'rxnorm', coding);
  return null;
}

/** ATC lookup: an exact row wins, else the longest class prefix (at most seven Map lookups). */
function byAtc(codes: DrugCodes, coding: fhir4.Coding): ClassifiedMedication | null {
  const code = coding.code?.replace(/\s+/g, '').toUpperCase();
  if (!code) return null;
  let entry = codes.atcExact.get(code);
  for (let n = code.length; !entry && n > 0; n--) entry = codes.atcPrefix.get(code.slice(0, n));
  if (!entry) return null;
  if (entry.rule === 'opioid-substitution' || entry.rule === 'antitussive-combination') {
    return result(ingredientsOf(codes, entry.ingredients), entry.rule, 'atc', 'atc', coding);
  }
  let ingredients = ingredientsOf(codes, entry.ingredients);
  if (!ingredients.some((i) => i.kind === entry.rule)) {
    // A class prefix (e.g. N02A…) names no ingredient: stand in with the code so same-ingredient checks stay exact.
    const name = coding.display?.trim() || code;
    ingredients = [
      ...ingredients,
      { key: `atc:${code}`, nameEn: name, nameDa: name, kind: entry.rule, rxnormIngredient: null, rxnormVerified: false },
    ];
  }
  return result(ingredients, null, 'atc', 'atc', coding);
}

function nameKeys(codes: DrugCodes, token: string): readonly string[] | undefined {
  const direct = codes.ingredientsByName.get(token);
  if (direct) return direct;
  for (const suffix of SALT_SUFFIXES) {
    if (token.length > suffix.length + 3 && token.endsWith(suffix)) {
      const hit = codes.ingredientsByName.get(token.slice(0, -suffix.length));
      if (hit) return hit;
    }
  }
  return undefined;
}

/** Whole-word name lookup in free text: one Map lookup per word. */
export function ingredientKeysInText(text: string, codes: DrugCodes = drugCodes()): string[] {
  const keys: string[] = [];
  for (const token of text.normalize('NFC').toLowerCase().split(/[^a-z0-9æøåäöüéè]+/)) {
    if (token.length < 3) continue;
    for (const k of nameKeys(codes, token) ?? []) if (!keys.includes(k)) keys.push(k);
  }
  return keys;
}

function orderCodeSystem(concept: fhir4.CodeableConcept): ClassifiedMedication['codeSystem'] {
  const codings = concept.coding ?? [];
  if (codings.some((c) => c.system && RXNORM_SYSTEMS.has(c.system))) return 'rxnorm';
  if (codings.some((c) => c.system && ATC_SYSTEMS.has(c.system))) return 'atc';
  return null;
}

const NOTHING: ClassifiedMedication = { ingredients: [], kinds: [], outOfScope: null, via: null, codeSystem: null };

export function classifyMedication(
  concept: fhir4.CodeableConcept | undefined,
  codes: DrugCodes = drugCodes(),
): ClassifiedMedication {
  if (!concept) return NOTHING;
  const codings = Array.isArray(concept.coding) ? concept.coding : [];
  for (const c of codings) {
    if (c.system && RXNORM_SYSTEMS.has(c.system)) {
      const r = byRxnorm(codes, c);
      if (r) return r;
    }
  }
  for (const c of codings) {
    if (c.system && ATC_SYSTEMS.has(c.system)) {
      const r = byAtc(codes, c);
      if (r) return r;
    }
  }
  const text = [concept.text, ...codings.map((c) => c.display)].filter((t): t is string => typeof t === 'string').join(' ');
  const keys = ingredientKeysInText(text, codes);
  if (keys.length === 0) return { ...NOTHING, codeSystem: orderCodeSystem(concept) };
  return result(ingredientsOf(codes, keys), null, 'text', orderCodeSystem(concept));
}

/**
 * Classifies a product given as several ingredient concepts (a Medication without a code but with
 * ingredient[].itemCodeableConcept): each ingredient on its own, merged.
 */
export function classifyIngredientConcepts(
  concepts: readonly fhir4.CodeableConcept[],
  codes: DrugCodes = drugCodes(),
): ClassifiedMedication {
  const parts = concepts.map((c) => classifyMedication(c, codes)).filter((p) => p.via !== null);
  const first = parts[0];
  if (!first) return NOTHING;
  const ingredients: ClassifiedIngredient[] = [];
  for (const p of parts) for (const i of p.ingredients) if (!ingredients.some((x) => x.key === i.key)) ingredients.push(i);
  const outOfScope = parts.find((p) => p.outOfScope)?.outOfScope ?? null;
  return result(ingredients, outOfScope, first.via ?? 'text', first.codeSystem);
}
