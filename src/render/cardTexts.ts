import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { schemaErrorText, schemaValidator } from '../jsonSchemas.js';
import type { Language } from '../model/language.js';
import { projectPath } from '../projectRoot.js';

type TextValue = string | Record<string, string>;
type Texts = Record<string, TextValue>;

export interface CardTextFile {
  kind: string;
  recommendation?: string;
  strength?: 'strong-for' | 'weak-for' | 'weak-against' | 'good-practice' | 'none';
  da: Texts;
  en: Texts;
}

/** A value already in Markdown (e.g. a list built from templates): inserted as is, not escaped. */
export class Markdown {
  constructor(readonly text: string) {}
}

export type TemplateValue = string | number | Markdown;

const PLACEHOLDER = /\{([a-zA-Z][a-zA-Z0-9]*)\}/g;

/** What /\s+/g → ' ' changes: whitespace other than a space, or two whitespace characters in a row. */
const SPACES_TO_COLLAPSE = /[^\S ]|\s\s/;

/**
 * Line breaks a renderer or a display may honour: CommonMark's (LF, CR, CRLF: a lone CR ends a line too),
 * and vertical tab, form feed, NEL, LINE SEPARATOR and PARAGRAPH SEPARATOR.
 */
const LINE_BREAKS = /\r\n|[\n\r\v\f\u0085\u2028\u2029]/g;

/**
 * What a value from data may hold that Markdown would act on: a line break; a character that can start
 * emphasis, code, a link, HTML, an entity (`&lt;` shown as `<`) or a table; and the starts of what GFM's
 * autolinks (and markdown-it's linkify) turn into a link: `scheme://`, a protocol-relative `//host`,
 * `www.` and an e-mail's `@`.
 */
const TO_ESCAPE = /[\\`*_[\]<>|~&@]|[:/](?=\/)|(?<=www)\./gi;
const NEEDS_WORK = /[\\`*_[\]<>|~&@\n\r\v\f\u0085\u2028\u2029]|[:/]\/|www\./i;

/**
 * Escapes Markdown in values that come from data (drug names, result values), so they show as typed, on one
 * line: every line break becomes a space, so a value can never start a block (a heading, a list, a quote, a
 * rule). That is enough because no template puts a value from data where a block can start — at the start
 * of a line or of a list item (cards/*.yaml: a drug name or a result value follows a label of our own, such
 * as "**Order (draft):** " or "- TSH: "), so `#`, `1.`, `-`, `>` or `---` in a value stay text. Links: a
 * backslash before the `:` of `://`, the first `/` of `//`, the `.` of `www.` and the `@` of an e-mail
 * breaks GFM's autolinks and markdown-it's linkify, while the value still renders exactly as typed (an
 * escaped punctuation character renders as itself); a value never becomes a link the EHR shows.
 */
export function escapeMarkdown(s: string): string {
  // Most values (numbers, dates, plain names) have nothing to escape: returned as they are.
  if (!NEEDS_WORK.test(s)) return s;
  // Plain parentheses, `#`, `.` and `-` stay readable: they cannot start anything mid-line.
  return s.replace(LINE_BREAKS, ' ').replace(TO_ESCAPE, (c) => `\\${c}`);
}

function placeholders(s: string): string[] {
  return [...s.matchAll(PLACEHOLDER)].map((m) => m[1] as string).sort();
}

/**
 * A template split once at load: literal text at even indexes, placeholder names at odd ones; null when the
 * text has no placeholder. Filling is then a concatenation, not a regex pass per card.
 */
type TemplateParts = readonly string[] | null;

function compile(text: string): TemplateParts {
  if (!text.includes('{')) return null;
  const parts: string[] = [];
  let last = 0;
  for (const m of text.matchAll(PLACEHOLDER)) {
    parts.push(text.slice(last, m.index), m[1] as string);
    last = m.index + m[0].length;
  }
  if (parts.length === 0) return null;
  parts.push(text.slice(last));
  return parts;
}

/** Fills split parts; `value` turns each value into text (escaped or plain) and throws for a missing one. */
function fillParts<V>(parts: readonly string[], values: Record<string, V>, value: (v: V | undefined, name: string) => string): string {
  let out = parts[0] as string;
  for (let i = 1; i < parts.length; i += 2) {
    const name = parts[i] as string;
    out += value(values[name], name) + (parts[i + 1] as string);
  }
  return out;
}

function flatten(texts: Texts): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(texts)) {
    if (typeof v === 'string') out.set(k, v);
    else for (const [k2, v2] of Object.entries(v)) out.set(`${k}.${k2}`, v2);
  }
  return out;
}

export class CardTextError extends Error {
  constructor(message: string) {
    super(`cards/: ${message}`);
    this.name = 'CardTextError';
  }
}

/**
 * The card texts in cards/, one YAML file per card kind, loaded and checked once at start: the schema,
 * the same keys in Danish and English, and the same placeholders in both.
 */
export class CardTexts {
  private readonly files = new Map<
    string,
    { file: CardTextFile; flat: Record<Language, Map<string, string>>; compiled: Record<Language, Map<string, TemplateParts>> }
  >();

  constructor(files: readonly CardTextFile[]) {
    for (const file of files) {
      if (this.files.has(file.kind)) throw new CardTextError(`two files for kind ${file.kind}`);
      const da = flatten(file.da);
      const en = flatten(file.en);
      for (const [key, text] of da) {
        const other = en.get(key);
        if (other === undefined) throw new CardTextError(`${file.kind}: "${key}" has Danish text but no English`);
        if (placeholders(text).join() !== placeholders(other).join()) {
          throw new CardTextError(`${file.kind}: "${key}" has different placeholders in Danish and English`);
        }
      }
      for (const key of en.keys()) {
        if (!da.has(key)) throw new CardTextError(`${file.kind}: "${key}" has English text but no Danish`);
      }
      const compiledOf = (m: Map<string, string>) => new Map([...m].map(([k, v]) => [k, compile(v)] as const));
      this.files.set(file.kind, { file, flat: { da, en }, compiled: { da: compiledOf(da), en: compiledOf(en) } });
    }
  }

  kinds(): string[] {
    return [...this.files.keys()];
  }

  /** The kinds that are cards (they have a `topic`); `common`, `analytes` and `medication` are shared words. */
  cardKinds(): string[] {
    return this.kinds().filter((k) => this.has(k, 'en', 'topic'));
  }

  /**
   * The same texts with some top-level values of one kind replaced (configuration such as
   * GUIDELINE_STATUS_DA/_EN, docs/clinical-rules.md §5). Only existing keys can be replaced.
   */
  withOverrides(kind: string, overrides: Partial<Record<Language, Record<string, string>>>): CardTexts {
    const files = [...this.files.values()].map(({ file }) => {
      if (file.kind !== kind) return file;
      const copy: CardTextFile = { ...file, da: { ...file.da }, en: { ...file.en } };
      for (const lang of ['da', 'en'] as const) {
        for (const [key, value] of Object.entries(overrides[lang] ?? {})) {
          if (typeof copy[lang][key] !== 'string') throw new CardTextError(`${kind}.${lang}.${key} is not a text that can be replaced`);
          copy[lang][key] = value;
        }
      }
      return copy;
    });
    return new CardTexts(files);
  }

  meta(kind: string): CardTextFile {
    const f = this.files.get(kind);
    if (!f) throw new CardTextError(`no texts for kind ${kind}`);
    return f.file;
  }

  has(kind: string, lang: Language, key: string): boolean {
    return this.files.get(kind)?.flat[lang].has(key) ?? false;
  }

  /** The raw template. Throws for a missing key: a card never shows a key name instead of text. */
  get(kind: string, lang: Language, key: string): string {
    const text = this.files.get(kind)?.flat[lang].get(key);
    if (text === undefined) throw new CardTextError(`missing text ${kind}.${lang}.${key}`);
    return text;
  }

  /** The template with {placeholders} filled; plain values are Markdown-escaped. */
  fill(kind: string, lang: Language, key: string, values: Record<string, TemplateValue> = {}): string {
    const parts = this.parts(kind, lang, key);
    if (parts === null) return this.get(kind, lang, key);
    return fillParts(parts, values, (v, name) => {
      if (v === undefined) throw new CardTextError(`no value for {${name}} in ${kind}.${lang}.${key}`);
      if (v instanceof Markdown) return v.text;
      return escapeMarkdown(String(v));
    });
  }

  /**
   * `fill` for a line that names `count` things: its `<key>One` variant when there is one thing and the texts
   * have one (Danish and English agree in number there: "1 result … was", "Det seneste svar … det"), else
   * `<key>`, which may show the count as `{count}`.
   */
  fillCounted(kind: string, lang: Language, key: string, count: number, values: Record<string, TemplateValue> = {}): string {
    const one = `${key}One`;
    return this.fill(kind, lang, count === 1 && this.has(kind, lang, one) ? one : key, { count, ...values });
  }

  /**
   * The template filled as plain text (summaries, labels, action descriptions): nothing is Markdown-escaped,
   * runs of whitespace in a value become one space.
   */
  plainFill(kind: string, lang: Language, key: string, values: Record<string, string | number> = {}): string {
    const parts = this.parts(kind, lang, key);
    if (parts === null) return this.get(kind, lang, key);
    return fillParts(parts, values, (v, name) => {
      if (v === undefined) throw new Error(`no value for {${name}} in ${kind}.${lang}.${key}`);
      const text = String(v);
      // Usually nothing to collapse: no new string.
      return SPACES_TO_COLLAPSE.test(text) ? text.replace(/\s+/g, ' ') : text;
    });
  }

  /** `plainFill` for a line that names `count` things, with `fillCounted`'s `<key>One` variant ("og 1 mere", not "og 1 flere"). */
  plainFillCounted(kind: string, lang: Language, key: string, count: number, values: Record<string, string | number> = {}): string {
    const one = `${key}One`;
    return this.plainFill(kind, lang, count === 1 && this.has(kind, lang, one) ? one : key, { count, ...values });
  }

  private parts(kind: string, lang: Language, key: string): TemplateParts {
    const parts = this.files.get(kind)?.compiled[lang].get(key);
    if (parts === undefined) throw new CardTextError(`missing text ${kind}.${lang}.${key}`);
    return parts;
  }
}

export function loadCardTexts(dir: string = projectPath('cards')): CardTexts {
  const validate = schemaValidator<CardTextFile>('card-texts');
  const files: CardTextFile[] = [];
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.yaml')).sort()) {
    const data: unknown = parseYaml(readFileSync(join(dir, name), 'utf8'));
    if (!validate(data)) {
      throw new CardTextError(`${name} does not match schemas/card-texts.schema.json: ${schemaErrorText(validate.errors)}`);
    }
    const file = data;
    if (`${file.kind}.yaml` !== name) throw new CardTextError(`${name} declares kind ${file.kind}; name the file after its kind`);
    files.push(file);
  }
  return new CardTexts(files);
}
