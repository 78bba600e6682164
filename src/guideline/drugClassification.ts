import { BoundedMemo } from '../model/boundedMemo.js';
import { combinationKey } from '../model/ingredientCombination.js';
import type { MedicationOrderView } from '../model/medicationOrder.js';
import { wordsOf } from '../model/words.js';
import type { BrandNote, DrugCodes, IngredientEntry, OutOfScopeProduct } from '../terminology/drugCodes.js';
import type { DrugKind } from '../terminology/drugKinds.js';

/**
 * Classifies a medication (docs/clinical-rules.md §4): RxNorm ingredient or clinical/branded drug code
 * first, then ATC (exact code, else the longest class prefix), then generic or Danish brand names in the
 * text. A combination product is classified by each of its ingredients. Brand notes (Yentreve, the
 * rapid-onset fentanyls) are read from the text whatever classified the drug.
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
  /** false when the ingredient's RxCUI is only partial (gabapentin 25480, pregabalin 187832). */
  rxnormVerified: boolean;
  /** Substitution treatment for a patient with opioid dependence (methadone). */
  dependenceSubstitution: boolean;
  /** Such an ingredient that also has pain products (buprenorphine: ingredients.csv `pain_product_atc`). */
  hasPainProducts: boolean;
}

export interface ClassifiedMedication {
  /** Every recognised ingredient, partners included. Shared and frozen: read only. */
  ingredients: readonly ClassifiedIngredient[];
  /** Distinct kinds found, in the order of terminology/drug-kinds.csv; empty when outOfScope is set. Shared and frozen. */
  kinds: readonly DrugKind[];
  /** Product-level exclusion (opioid substitution product, antitussive combination): no card at all. */
  outOfScope: OutOfScopeProduct | null;
  via: ClassificationSource | null;
  /** The coding that classified the medication (absent for text matches). */
  matchedCoding?: fhir4.Coding;
  /** Notes of brands named in the text (Yentreve's indication, rapid-onset fentanyl). Shared and frozen: read only. */
  brandNotes: readonly BrandNote[];
  /**
   * A pain product of an ingredient that is also substitution treatment (a buprenorphine patch): coded with its
   * pain ATC (N02AE01), or an RxNorm product of that ATC, or a brand marked use = pain named in the text. For a
   * patient with opioid dependence it is "any other opioid", never substitution treatment (docs/clinical-rules.md §4.10).
   */
  painProduct: boolean;
}

/**
 * One ClassifiedIngredient per ingredient row, made on first use and frozen: every order of every call is
 * classified, and the rows never change once loaded.
 */
const ingredientMemo = new WeakMap<IngredientEntry, ClassifiedIngredient>();

function ingredientOf(entry: IngredientEntry): ClassifiedIngredient {
  let out = ingredientMemo.get(entry);
  if (out === undefined) ingredientMemo.set(entry, (out = Object.freeze(newIngredient(entry))));
  return out;
}

function newIngredient(entry: IngredientEntry): ClassifiedIngredient {
  return {
    key: entry.key,
    nameEn: entry.nameEn,
    nameDa: entry.nameDa,
    kind: entry.kind,
    rxnormIngredient: entry.rxnormIngredient,
    rxnormVerified: entry.rxnormStatus === 'verified',
    dependenceSubstitution: entry.dependenceSubstitution,
    hasPainProducts: entry.painProductAtc.length > 0,
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

/** What a medication classifies as, apart from how (via) and the brand notes of its text. Frozen. */
interface Classification {
  readonly ingredients: readonly ClassifiedIngredient[];
  readonly kinds: readonly DrugKind[];
  readonly outOfScope: OutOfScopeProduct | null;
}

function classificationOf(codes: DrugCodes, ingredients: ClassifiedIngredient[], outOfScope: OutOfScopeProduct | null): Classification {
  const found: DrugKind[] = [];
  if (!outOfScope) for (const i of ingredients) if (i.kind !== null) found.push(i.kind);
  const kinds = outOfScope ? [] : codes.kinds.ordered(found);
  return Object.freeze({ ingredients: Object.freeze(ingredients), kinds: Object.freeze(kinds), outOfScope });
}

/**
 * One Classification per code-table row (RxNorm ingredient or product, ATC entry) or remembered text match,
 * made on first use: a patient's twenty active orders are classified on every call, and building their
 * ingredient and kind lists again was most of what classifying allocated.
 */
const classifications = new WeakMap<object, Classification>();

function classificationOfRow(row: object, make: () => Classification): Classification {
  let out = classifications.get(row);
  if (out === undefined) classifications.set(row, (out = make()));
  return out;
}

function result(c: Classification, via: ClassificationSource, brandNotes: readonly BrandNote[], painProduct: boolean, matchedCoding?: fhir4.Coding): ClassifiedMedication {
  const { ingredients, kinds, outOfScope } = c;
  return matchedCoding
    ? { ingredients, kinds, outOfScope, via, matchedCoding, brandNotes, painProduct }
    : { ingredients, kinds, outOfScope, via, brandNotes, painProduct };
}

function byRxnorm(codes: DrugCodes, coding: fhir4.Coding, notes: readonly BrandNote[], painByText: boolean): ClassifiedMedication | null {
  const code = coding.code?.trim();
  if (!code) return null;
  const ing = codes.ingredientByRxnorm.get(code);
  if (ing) return result(classificationOfRow(ing, () => classificationOf(codes, [ingredientOf(ing)], null)), 'rxnorm-ingredient', notes, painByText, coding);
  const product = codes.productByRxnorm.get(code);
  if (product) {
    const c = classificationOfRow(product, () => classificationOf(codes, ingredientsOf(codes, product.ingredients), product.outOfScope));
    return result(c, 'rxnorm-product', notes, painByText || (product.atc !== null && codes.painProductAtc.has(product.atc)), coding);
  }
  return null;
}

/** ATC lookup: an exact row wins, else the longest class prefix (at most seven Map lookups). */
function byAtc(codes: DrugCodes, coding: fhir4.Coding, notes: readonly BrandNote[], painByText: boolean): ClassifiedMedication | null {
  const code = coding.code?.replace(/\s+/g, '').toUpperCase();
  if (!code) return null;
  let entry = codes.atcExact.get(code);
  for (let n = code.length; !entry && n > 0; n--) entry = codes.atcPrefix.get(code.slice(0, n));
  if (!entry) return null;
  const row = entry;
  const rule = row.rule;
  const painProduct = painByText || codes.painProductAtc.has(code);
  if (rule === 'opioid-substitution' || rule === 'antitussive-combination') {
    return result(classificationOfRow(row, () => classificationOf(codes, ingredientsOf(codes, row.ingredients), rule)), 'atc', notes, false, coding);
  }
  const known = classifications.get(row);
  if (known) return result(known, 'atc', notes, painProduct, coding);
  const ingredients = ingredientsOf(codes, row.ingredients);
  if (ingredients.some((i) => i.kind === rule)) {
    // Not yet known (looked up just above): remembered now.
    const c = classificationOf(codes, ingredients, null);
    classifications.set(row, c);
    return result(c, 'atc', notes, painProduct, coding);
  }
  // A class prefix (e.g. N02A…) names no ingredient: stand in with the code so same-ingredient checks stay exact.
  const name = coding.display?.trim() || code;
  ingredients.push({ key: `atc:${code}`, nameEn: name, nameDa: name, kind: rule, rxnormIngredient: null, rxnormVerified: false, dependenceSubstitution: false, hasPainProducts: false });
  return result(classificationOf(codes, ingredients, null), 'atc', notes, painProduct, coding);
}

function nameKeys(codes: DrugCodes, token: string): readonly string[] | undefined {
  const direct = codes.ingredientsByName.get(token);
  if (direct) return direct;
  // Salt and form words glued to a name ("tramadolhydrochlorid"), longest first: terminology/drugs/name-suffixes.csv.
  for (const suffix of codes.nameSuffixes) {
    if (token.length > suffix.length + 3 && token.endsWith(suffix)) {
      const hit = codes.ingredientsByName.get(token.slice(0, -suffix.length));
      if (hit) return hit;
    }
  }
  return undefined;
}

interface TextMatch {
  readonly keys: readonly string[];
  readonly substitution: boolean;
  /** A brand marked use = pain is named. */
  readonly pain: boolean;
  readonly notes: readonly BrandNote[];
}

/**
 * Remembered text matches per code table: the same drug texts come back on every call (a patient's active
 * orders are classified again for each draft order), and tokenising them was ~40 % of an order-sign call
 * (bench/README.md). Bounded (least recently used dropped first); results are frozen and shared, never copied.
 */
const TEXT_MEMO_SIZE = 2000;
const TEXT_MEMO_MAX_TEXT = 500;
const textMemos = new WeakMap<DrugCodes, BoundedMemo<TextMatch>>();

function namesInText(text: string, codes: DrugCodes): TextMatch {
  if (text.length > TEXT_MEMO_MAX_TEXT) return freezeMatch(matchNamesInText(text, codes));
  let memo = textMemos.get(codes);
  if (memo === undefined) {
    memo = new BoundedMemo(TEXT_MEMO_SIZE);
    textMemos.set(codes, memo);
  }
  return memo.get(text, (t) => freezeMatch(matchNamesInText(t, codes)));
}

function freezeMatch(m: TextMatch): TextMatch {
  Object.freeze(m.keys);
  Object.freeze(m.notes);
  return Object.freeze(m);
}

/** Whole-word generic and brand names in free text: one Map lookup per word (a brand of several words as a phrase). */
function matchNamesInText(text: string, codes: DrugCodes): { keys: string[]; substitution: boolean; pain: boolean; notes: BrandNote[] } {
  const words = wordsOf(text);
  const keys: string[] = [];
  const notes: BrandNote[] = [];
  let substitution = false;
  let pain = false;
  const add = (k: string) => {
    if (!keys.includes(k)) keys.push(k);
  };
  for (let i = 0; i < words.length; i++) {
    const word = words[i] as string;
    const brand = (codes.brandsByFirstWord.get(word) ?? []).find((b) => b.words.every((w, j) => words[i + j] === w));
    if (brand) {
      brand.ingredients.forEach(add);
      if (brand.use === 'substitution') substitution = true;
      if (brand.use === 'pain') pain = true;
      if (brand.note && !notes.includes(brand.note)) notes.push(brand.note);
      i += brand.words.length - 1;
      continue;
    }
    if (word.length < 3) continue;
    for (const k of nameKeys(codes, word) ?? []) add(k);
  }
  // "Buprenorphin/naloxon" by its generic names is a substitution product, as Suboxone is by its brand.
  if (!substitution && keys.length > 1 && codes.substitutionCombinations.has(combinationKey(keys))) substitution = true;
  return { keys, substitution, pain, notes };
}

/** Ingredient keys named in free text (generic names and brands). */
export function ingredientKeysInText(text: string, codes: DrugCodes): string[] {
  return [...namesInText(text, codes).keys];
}

const NOTHING: ClassifiedMedication = { ingredients: [], kinds: [], outOfScope: null, via: null, brandNotes: [], painProduct: false };

/**
 * The concept's text and displays, space-separated (built as one string: read for every order of every call).
 * A display that repeats the text is left out: EHRs often send the same words in both, and the longer
 * string was only a slower memo key (the same names are found in one copy as in two).
 */
function textsOf(concept: fhir4.CodeableConcept): string {
  const text = typeof concept.text === 'string' ? concept.text : undefined;
  let out = text;
  if (Array.isArray(concept.coding)) {
    for (const c of concept.coding) {
      if (typeof c.display !== 'string' || c.display === text) continue;
      out = out === undefined ? c.display : `${out} ${c.display}`;
    }
  }
  return out ?? '';
}

/**
 * A class code (ATC N02A, N02AX: no ingredient) gives way to the drug of that class the text names
 * (docs/clinical-rules.md §4), so tramadol coded only as "other opioids" is tramadol, not an opioid without
 * dual action. An opioid class takes any opioid kind, another class only its own kind: a gabapentin text
 * beside N02A is not the product. Any other code stands as it is: a code naming only a partner is not
 * completed from the text (a naltrexone order whose text mentions morphine is no morphine order).
 */
function withTextIngredients(byCode: ClassifiedMedication, text: TextMatch, codes: DrugCodes): ClassifiedMedication {
  if (text.keys.length === 0 || byCode.outOfScope !== null) return byCode;
  const standIn = byCode.ingredients.find((i) => i.key.startsWith('atc:'));
  if (!standIn) return byCode;
  const merged = ingredientsOf(codes, text.keys);
  const classKind = standIn.kind;
  const fits = (i: ClassifiedIngredient): boolean =>
    i.kind === null || i.kind === classKind || (classKind !== null && codes.kinds.get(classKind).opioid && codes.kinds.get(i.kind).opioid);
  if (!merged.some((i) => i.kind !== null) || !merged.every(fits)) return byCode;
  const c = classificationOf(codes, merged, null);
  return result(c, byCode.via ?? 'text', byCode.brandNotes, byCode.painProduct, byCode.matchedCoding);
}

/**
 * A code names the ingredient, the text the product: "Subutex 8 mg" coded as buprenorphine (RxNorm 1819,
 * ATC N02AE01) is a substitution product all the same (docs/clinical-rules.md §4.10), never one to delete.
 */
function substitutionByText(byCode: ClassifiedMedication, text: TextMatch, codes: DrugCodes): ClassifiedMedication {
  if (!text.substitution || byCode.outOfScope !== null) return byCode;
  const c = classificationOf(codes, [...byCode.ingredients], 'opioid-substitution');
  return result(c, byCode.via ?? 'text', byCode.brandNotes, false, byCode.matchedCoding);
}

/** A medication concept's ingredients and kinds: by its RxNorm code, else its ATC code, else the names in its text (docs/clinical-rules.md §4). */
export function classifyMedication(concept: fhir4.CodeableConcept | undefined | null, codes: DrugCodes): ClassifiedMedication {
  if (!concept) return NOTHING;
  const codings = Array.isArray(concept.coding) ? concept.coding : [];
  const text = namesInText(textsOf(concept), codes);
  for (const c of codings) {
    if (codes.systems.nameOf(c.system) === 'rxnorm') {
      const r = byRxnorm(codes, c, text.notes, text.pain);
      if (r) return substitutionByText(withTextIngredients(r, text, codes), text, codes);
    }
  }
  for (const c of codings) {
    if (codes.systems.nameOf(c.system) === 'atc') {
      const r = byAtc(codes, c, text.notes, text.pain);
      if (r) return substitutionByText(withTextIngredients(r, text, codes), text, codes);
    }
  }
  if (text.keys.length === 0) return text.substitution ? { ...NOTHING, outOfScope: 'opioid-substitution', via: 'text' } : NOTHING;
  const c = classificationOfRow(text, () => classificationOf(codes, ingredientsOf(codes, text.keys), text.substitution ? 'opioid-substitution' : null));
  return result(c, 'text', text.notes, text.pain);
}

/**
 * Classifies a product given as several ingredient concepts (a Medication without a code but with an
 * ingredient list: itemCodeableConcept, or an itemReference's display read as text): each ingredient on its
 * own, merged.
 */
export function classifyIngredientConcepts(concepts: readonly fhir4.CodeableConcept[], codes: DrugCodes): ClassifiedMedication {
  const parts = concepts.map((c) => classifyMedication(c, codes)).filter((p) => p.via !== null);
  const first = parts[0];
  if (!first) return NOTHING;
  const ingredients: ClassifiedIngredient[] = [];
  for (const p of parts) for (const i of p.ingredients) if (!ingredients.some((x) => x.key === i.key)) ingredients.push(i);
  // Buprenorphine and naloxone given as two ingredients are Suboxone's composition: substitution, as the product is.
  const substitution = codes.substitutionCombinations.has(combinationKey(ingredients.map((i) => i.key))) ? 'opioid-substitution' : null;
  const outOfScope = parts.find((p) => p.outOfScope)?.outOfScope ?? substitution;
  const notes = [...new Set(parts.flatMap((p) => p.brandNotes))];
  return result(classificationOf(codes, ingredients, outOfScope), first.via ?? 'text', notes, outOfScope === null && parts.some((p) => p.painProduct));
}

/** An order or statement classified by its medication (code, else its Medication's ingredients). */
export function classifyOrder(order: MedicationOrderView, codes: DrugCodes): ClassifiedMedication {
  const byCode = classifyMedication(order.medication, codes);
  if (order.medicationIngredients.length === 0 || (byCode.via !== null && (byCode.kinds.length > 0 || byCode.outOfScope !== null))) return byCode;
  const byIngredients = classifyIngredientConcepts(order.medicationIngredients, codes);
  if (byCode.via === null) return byIngredients;
  // A code naming only a partner (RxNorm 161, paracetamol) with an ingredient list naming codeine: the combination
  // the tables name, or the code as it is.
  if (byIngredients.kinds.length === 0 && byIngredients.outOfScope === null) return byCode;
  const merged = [...byCode.ingredients, ...byIngredients.ingredients.filter((i) => !byCode.ingredients.some((x) => x.key === i.key))];
  const key = combinationKey(merged.map((i) => i.key));
  if (!codes.knownCombinations.has(key)) return byCode;
  const c = classificationOf(codes, merged, codes.substitutionCombinations.has(key) ? 'opioid-substitution' : byIngredients.outOfScope);
  const notes = [...new Set([...byCode.brandNotes, ...byIngredients.brandNotes])];
  return result(c, byCode.via, notes, c.outOfScope === null && (byCode.painProduct || byIngredients.painProduct), byCode.matchedCoding);
}

/**
 * The order names its drug only by a code (neither its medication nor an ingredient has a text or a display):
 * a card then names the drug by its ingredients, not by "N02AA05".
 */
export function namedOnlyByCode(order: MedicationOrderView): boolean {
  const concepts = order.medication !== null ? [order.medication] : order.medicationIngredients;
  if (concepts.length === 0 || !order.drugText?.trim()) return false;
  return concepts.every((c) => !c.text?.trim() && !(c.coding ?? []).some((cd) => cd.display?.trim()));
}

/**
 * What the drug is cannot be told: it was not classified, it has no text or display, and none of its codes
 * is of a system the drug tables are in (a local or national drug id). A code of those systems that is not
 * in the tables is a drug the guideline does not address.
 */
export function unidentifiable(order: MedicationOrderView, cls: ClassifiedMedication, codes: DrugCodes): boolean {
  if (cls.via !== null || !namedOnlyByCode(order)) return false;
  for (const concept of order.medication !== null ? [order.medication] : order.medicationIngredients) {
    for (const c of concept.coding ?? []) {
      const system = codes.systems.nameOf(c.system);
      if (system === 'rxnorm' || system === 'atc') return false;
    }
  }
  return true;
}

/** The order's medication codes as `system|code`, sorted (facts); `text:<lower-case text>` when it has none. */
export function medicationCodesOf(order: MedicationOrderView): string[] {
  const codes = new Set<string>();
  for (const concept of [order.medication, ...order.medicationIngredients]) {
    for (const c of concept?.coding ?? []) if (c.system && c.code) codes.add(`${c.system}|${c.code.trim()}`);
  }
  if (codes.size === 0) codes.add(`text:${(order.drugText ?? '').trim().toLowerCase()}`);
  return [...codes].sort();
}
