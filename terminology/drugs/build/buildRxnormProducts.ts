/**
 * Builds terminology/drugs/rxnorm-products.csv from the terminology research tables
 * (scd_ingredient_map.csv, sbd_sandbox_ingredient_map.csv) in the folder given as the one argument.
 * Run from the project root:
 *   npx tsx terminology/drugs/build/buildRxnormProducts.ts <research folder>
 * Only this build step reads the research folder; the service reads the generated CSV.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCsvRows as parseCsv } from '../../../src/terminology/dataFile.js';

const researchDir = process.argv[2];
if (researchDir === undefined || researchDir === '') {
  console.error('usage: npx tsx terminology/drugs/build/buildRxnormProducts.ts <research folder>');
  console.error('  the folder holds scd_ingredient_map.csv and sbd_sandbox_ingredient_map.csv');
  process.exit(2);
}
const outFile = join('terminology', 'drugs', 'rxnorm-products.csv');
const ingredientsFile = join('terminology', 'drugs', 'ingredients.csv');

const keys = new Set(parseCsv(readFileSync(ingredientsFile, 'utf8')).map((r) => r.ingredient ?? ''));
const keyOf = (name: string): string | null => {
  const n = name.trim().toLowerCase();
  if (n === 'meperidine (pethidine)') return 'pethidine';
  if (n === 'acetaminophen') return 'paracetamol';
  if (n === 'aspirin') return 'acetylsalicylic-acid';
  return keys.has(n) ? n : null;
};

// Cough/cold partners: an opioid antitussive with one of these is an antitussive combination (ATC R05FA).
const COUGH_COLD = [
  'guaifenesin', 'guaiacolsulfonate', 'pseudoephedrine', 'phenylephrine', 'chlorpheniramine', 'brompheniramine',
  'dexchlorpheniramine', 'pyrilamine', 'triprolidine', 'promethazine', 'homatropine', 'chlorcyclizine',
  'bromodiphenhydramine',
];
const ANTITUSSIVE_OPIOIDS = new Set(['codeine', 'hydrocodone', 'dihydrocodeine']);

// Buprenorphine products for opioid dependence (N07BC01) although the research table suggests N02AE01:
// sublingual tablets/films of 2 mg or more (Subutex), depot injections (50–356 mg/mL) and implants.
function isBuprenorphineForDependence(display: string): boolean {
  const d = display.toLowerCase();
  if (d.includes('drug implant') || d.includes('prefilled syringe')) return true;
  const m = /buprenorphine (?:hydrochloride )?([\d.]+) mg sublingual/.exec(d);
  return m !== null && Number(m[1]) >= 2;
}

interface Row {
  rxnorm: string; tty: string; display: string; ingredients: string[]; other: string[]; atc: string;
  outOfScope: string; inSandbox: string; status: string; note: string[];
}

function classify(row: Row, targets: string[], partnerText: string): void {
  const text = `${row.display} ${partnerText}`.toLowerCase();
  const opioid = targets.find((t) => ANTITUSSIVE_OPIOIDS.has(t));
  if (opioid && COUGH_COLD.some((p) => text.includes(p))) {
    row.atc = 'R05FA';
    row.outOfScope = 'antitussive-combination';
    row.note.push('R05FA derived: opioid antitussive with a cough/cold ingredient');
  }
  if (targets.includes('buprenorphine')) {
    if (row.atc === 'N07BC51' || row.atc === 'N07BC01') row.outOfScope = 'opioid-substitution';
    else if (isBuprenorphineForDependence(row.display)) {
      row.atc = 'N07BC01';
      row.outOfScope = 'opioid-substitution';
      row.note.push('N07BC01 derived: buprenorphine product for opioid dependence');
    }
  }
}

function split(list: string): string[] {
  return list.split(';').map((s) => s.trim()).filter((s) => s !== '');
}

const rows: Row[] = [];
const atcByCombo = new Map<string, Set<string>>();
for (const r of parseCsv(readFileSync(join(researchDir, 'scd_ingredient_map.csv'), 'utf8'))) {
  const targets = split(r.target_ingredients ?? '').map((t) => keyOf(t) ?? t);
  const others = split(r.other_ingredients ?? '');
  const row: Row = {
    rxnorm: r.rxnorm_scd ?? '',
    tty: 'SCD',
    display: r.display_cds_hooks_sandbox || r.display_current_rxnorm || '',
    ingredients: [...targets, ...others.map(keyOf).filter((k): k is string => k !== null)],
    other: others.filter((o) => keyOf(o) === null),
    atc: (r.atc_suggested ?? '').split(' ')[0] ?? '',
    outOfScope: '',
    inSandbox: r.in_cds_hooks_sandbox ?? '',
    status: r.verified === 'yes' ? 'verified' : 'sandbox-only',
    note: [],
  };
  if ((r.atc_suggested ?? '').includes('ATC<=2022')) row.note.push(r.atc_suggested!.replace(/^\S+ /, ''));
  classify(row, targets, r.other_ingredients ?? '');
  const combo = `${targets.join('+')}|${others.join('+')}`;
  const set = atcByCombo.get(combo) ?? new Set<string>();
  if (row.atc) set.add(row.atc);
  atcByCombo.set(combo, set);
  rows.push(row);
}
for (const r of parseCsv(readFileSync(join(researchDir, 'sbd_sandbox_ingredient_map.csv'), 'utf8'))) {
  const targets = split(r.target_ingredients ?? '').map((t) => keyOf(t) ?? t);
  const others = split(r.other_ingredients ?? '');
  const combo = atcByCombo.get(`${targets.join('+')}|${others.join('+')}`);
  const row: Row = {
    rxnorm: r.rxnorm_sbd ?? '',
    tty: 'SBD',
    display: r.display_cds_hooks_sandbox ?? '',
    ingredients: [...targets, ...others.map(keyOf).filter((k): k is string => k !== null)],
    other: others.filter((o) => keyOf(o) === null),
    atc: combo && combo.size === 1 ? [...combo][0]! : '',
    outOfScope: '',
    inSandbox: 'yes',
    status: r.also_in_vsac_cdc_omtk === 'yes' ? 'verified' : 'sandbox-only',
    note: [],
  };
  if (row.atc) row.note.push('ATC from the SCDs with the same ingredients');
  classify(row, targets, r.other_ingredients ?? '');
  if (row.atc === 'N07BC01' && row.note.length > 1) row.note = row.note.slice(1);
  rows.push(row);
}

const q = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
const header = [
  '# RxNorm clinical (SCD) and branded (SBD) drug codes for the ingredients of docs/clinical-rules.md §4, mapped to ingredients.',
  '# Generated by terminology/drugs/build/buildRxnormProducts.ts from the terminology research tables scd_ingredient_map.csv',
  '# and sbd_sandbox_ingredient_map.csv (research date 2026-11-25; the per-code sources are listed there). Do not edit by hand.',
  '# ingredients = keys from ingredients.csv (a combination lists each); other_ingredients = partners without a class;',
  '# atc = suggested product ATC (may be empty); out_of_scope = opioid-substitution | antitussive-combination (no card);',
  '# in_sandbox = offered by the CDS Hooks sandbox; status = verified (in a VSAC/CDC/OMTK expansion) | sandbox-only',
  '# (only in the sandbox list, probably obsolete in current RxNorm). gabapentin/pregabalin rows map to ingredient RxCUIs',
  '# 25480/187832, which are PARTIAL (terminology research §3.2).',
  'rxnorm,tty,display,ingredients,other_ingredients,atc,out_of_scope,in_sandbox,status,note',
];
const lines = rows.map((r) =>
  [r.rxnorm, r.tty, r.display, r.ingredients.join(';'), r.other.join(';'), r.atc, r.outOfScope, r.inSandbox, r.status, r.note.join('; ')]
    .map(q)
    .join(','),
);
writeFileSync(outFile, `${[...header, ...lines].join('\n')}\n`);
console.log(`wrote ${rows.length} rows to ${outFile}`);
