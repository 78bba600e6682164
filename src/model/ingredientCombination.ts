/**
 * Ingredient keys as the drug tables' combination sets hold them (substitutionCombinations,
 * knownCombinations in src/terminology/drugCodes.ts): sorted, ";"-joined, so that the tables and the rules
 * that look a product up in them write the same key.
 */
export function combinationKey(keys: readonly string[]): string {
  return [...keys].sort().join(';');
}
