/**
 * The request flows one way (README, "Architecture"):
 *
 *   transport → data → guideline → render → response;  services orchestrate one hook call;  model is shared.
 *
 * Every import in src/ (import, import type, export … from, dynamic import()) is checked against the
 * rules below. An import against the flow fails here, naming importer, imported file and the rule.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { projectPath, projectRoot } from '../../src/projectRoot.js';

/** A part of src/: its top folder, or for a file at the top its name without extension. */
type Part = string;

/** What a part may import: `any` = values and types, `types` = `import type` only. */
interface Rule {
  job: string;
  may: Record<Part, 'any' | 'types'>;
  /** Everything not named in `mayNot` (for the orchestrating parts); `may` is ignored then. */
  mayNot?: Record<Part, 'all' | 'values'>;
}

const RULES: Record<Part, Rule> = {
  model: { job: 'types and tiny helpers every stage may import', may: { model: 'any' } },
  guideline: {
    job: 'pure rule functions, no I/O',
    may: { guideline: 'any', model: 'any', terminology: 'types' },
  },
  render: {
    job: 'cards from cards/*.yaml, per language',
    may: { render: 'any', model: 'any', config: 'types', projectRoot: 'any', jsonSchemas: 'any', guideline: 'types', terminology: 'types' },
  },
  data: {
    job: 'prefetch, else the FHIR server',
    may: { data: 'any', model: 'any', config: 'any', observability: 'any' },
  },
  terminology: {
    job: 'codes and code lists from terminology/, checked at start',
    may: { terminology: 'any', model: 'any', projectRoot: 'any', jsonSchemas: 'any', config: 'types' },
  },
  observability: { job: 'logging', may: { observability: 'any', model: 'any', config: 'types' } },
  store: {
    job: 'where card log, feedback and JWT ids are kept (SQLite or PostgreSQL)',
    may: { store: 'any', model: 'any', config: 'any', observability: 'any' },
  },
  preview: {
    job: 'the preview page and its demo scenarios (development only)',
    may: { preview: 'any', model: 'any', config: 'types', projectRoot: 'any', transport: 'any' },
  },
  config: { job: 'settings from the environment', may: { config: 'any', model: 'any', projectRoot: 'any' } },
  projectRoot: { job: 'where the data folders are', may: {} },
  jsonSchemas: { job: 'the one ajv setup: reads and compiles schemas/*.schema.json', may: { projectRoot: 'any' } },
  transport: {
    job: 'HTTP, auth, validation, language choice',
    may: {},
    mayNot: { render: 'all', services: 'all', app: 'all', main: 'all' },
  },
  services: {
    job: 'orchestrate one hook call',
    may: {},
    mayNot: { transport: 'values', app: 'all', main: 'all' },
  },
  app: { job: 'wires the Express app', may: {}, mayNot: { main: 'all' } },
  main: { job: 'starts the process', may: {}, mayNot: {} },
  reportMain: { job: 'the feedback report process (npm run report)', may: { config: 'any', store: 'any', observability: 'any', model: 'any' } },
};

interface Import {
  from: string;
  to: string;
  typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Imports of packages and Node's modules ('node:fs', 'pino'), which `importsOf` leaves out: file, specifier, type only. */
const packageImports: Array<{ from: string; specifier: string; typeOnly: boolean }> = [];

/** Every relative import of one file, resolved to a .ts path relative to the project root. */
function importsOf(file: string): Import[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const found: Import[] = [];
  const add = (specifier: ts.Expression | undefined, typeOnly: boolean): void => {
    if (!specifier || !ts.isStringLiteral(specifier)) return;
    if (!specifier.text.startsWith('.')) {
      packageImports.push({ from: relative(projectRoot, file), specifier: specifier.text, typeOnly });
      return;
    }
    const target = resolve(dirname(file), specifier.text).replace(/\.js$/, '.ts');
    found.push({ from: relative(projectRoot, file), to: relative(projectRoot, target), typeOnly });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      const named = clause?.namedBindings && ts.isNamedImports(clause.namedBindings) ? clause.namedBindings.elements : undefined;
      const typeOnly =
        clause !== undefined &&
        (clause.isTypeOnly || (clause.name === undefined && named !== undefined && named.length > 0 && named.every((e) => e.isTypeOnly)));
      add(node.moduleSpecifier, typeOnly);
    } else if (ts.isExportDeclaration(node)) {
      const named = node.exportClause && ts.isNamedExports(node.exportClause) ? node.exportClause.elements : undefined;
      add(node.moduleSpecifier, node.isTypeOnly || (named !== undefined && named.length > 0 && named.every((e) => e.isTypeOnly)));
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      add(node.arguments[0], false);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node.argument.literal, true); // `import('./x.js').T` in a type position
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function partOf(path: string): Part {
  const [first, ...rest] = relative('src', path).split('/');
  return rest.length === 0 ? first!.replace(/\.ts$/, '') : first!;
}

/** Why an import breaks the rules, or null when it keeps them. */
function breaks(imp: Import): string | null {
  const from = partOf(imp.from);
  const to = partOf(imp.to);
  const rule = RULES[from];
  if (!rule) return `${from} has no rule (add one to RULES and a line to the README's Architecture section)`;
  if (rule.mayNot) {
    const no = rule.mayNot[to];
    if (no === 'all') return `${from}/ must not import ${to}/`;
    if (no === 'values' && !imp.typeOnly) return `${from}/ may import only types from ${to}/`;
    return null;
  }
  const may = rule.may[to];
  if (may === 'any') return null;
  if (may === 'types') return imp.typeOnly ? null : `${from}/ may import only types from ${to}/`;
  return `${from}/ (${rule.job}) must not import ${to}/`;
}

const imports = sourceFiles(projectPath('src')).flatMap(importsOf);
const violations = new Map<string, string>();
for (const imp of imports) {
  const why = breaks(imp);
  if (why !== null) violations.set(`${imp.from} -> ${imp.to}`, why);
}

describe('imports follow the one-way flow', () => {
  test('the parser sees the imports (type-only ones as such)', () => {
    expect(imports.length).toBeGreaterThan(100);
    expect(imports.some((i) => i.typeOnly)).toBe(true);
    expect(imports.some((i) => !i.typeOnly)).toBe(true);
    // Every relative import names a file that exists under src/.
    const files = new Set(sourceFiles(projectPath('src')).map((f) => relative(projectRoot, f)));
    expect(imports.filter((i) => !files.has(i.to)).map((i) => `${i.from} -> ${i.to}`)).toEqual([]);
  });

  test('every part of src/ has a rule', () => {
    const parts = new Set(sourceFiles(projectPath('src')).map((f) => partOf(relative(projectRoot, f))));
    expect([...parts].filter((p) => !RULES[p])).toEqual([]);
  });

  test('no import against the flow', () => {
    expect([...violations].map(([key, why]) => `${key}: ${why}`)).toEqual([]);
  });

  test('the rules do no I/O: guideline/ imports no package and no Node module, except types', () => {
    expect(packageImports.length).toBeGreaterThan(10); // the scan sees them (node:fs, pino …)
    expect(packageImports.filter((i) => partOf(i.from) === 'guideline' && !i.typeOnly).map((i) => `${i.from} -> ${i.specifier}`)).toEqual([]);
  });

  test.each([
    ['src/guideline/x.ts', 'src/data/y.ts', false, 'guideline/ (pure rule functions, no I/O) must not import data/'],
    ['src/guideline/x.ts', 'src/terminology/y.ts', true, null],
    ['src/guideline/x.ts', 'src/terminology/y.ts', false, 'guideline/ may import only types from terminology/'],
    ['src/render/x.ts', 'src/guideline/y.ts', true, null],
    ['src/render/x.ts', 'src/data/y.ts', true, 'render/ (cards from cards/*.yaml, per language) must not import data/'],
    ['src/data/x.ts', 'src/transport/y.ts', false, 'data/ (prefetch, else the FHIR server) must not import transport/'],
    ['src/transport/x.ts', 'src/render/y.ts', true, 'transport/ must not import render/'],
    ['src/transport/x.ts', 'src/data/y.ts', false, null],
    ['src/services/x.ts', 'src/transport/y.ts', true, null],
    ['src/services/x.ts', 'src/transport/y.ts', false, 'services/ may import only types from transport/'],
    ['src/model/x.ts', 'src/config.ts', true, 'model/ (types and tiny helpers every stage may import) must not import config/'],
    ['src/store/x.ts', 'src/transport/y.ts', false, 'store/ (where card log, feedback and JWT ids are kept (SQLite or PostgreSQL)) must not import transport/'],
    ['src/observability/x.ts', 'src/data/y.ts', true, 'observability/ (logging) must not import data/'],
  ] as const)('the rules themselves: %s -> %s (type only: %s)', (from, to, typeOnly, expected) => {
    expect(breaks({ from, to, typeOnly })).toBe(expected);
  });
});
