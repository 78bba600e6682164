/**
 * How a free-text reason ("mod depression", "generaliseret angst") is read for a diagnosis group
 * (docs/clinical-rules.md §4.10). The lists live in terminology/medication-conditions.json.
 *
 * A text names the group only when it says nothing else: every word is a word of the group
 * ("depression", "panikangst", "PTSD"), part of one of its phrases ("posttraumatisk belastningsreaktion"),
 * a filler or qualifier from the shared list ("mod", "behandling af", "moderat", "generaliseret"), or one of
 * the group's own diagnosis codes ("F32.1"; another code, "M79.7", says more), and at least one names the group. Anything else — a negation in any
 * phrasing ("ingen tegn på depression", "depression er udelukket", "÷ depression"), another condition
 * ("respirationsdepression", "ST-depression"), a history ("tidligere depression", "mor har depression") —
 * and the text names nothing. Wrongly reading a text as depression takes a card away, and phrasings are
 * endless; a text that says only what the lists know cannot be misread that way. The price is an extra
 * card when a reason says more than that, which the clinician can dismiss.
 */

export interface ReasonTextSettings {
  /** Words that may stand beside the group's words: prepositions, "treatment of", severities, kinds. */
  fillers: string[];
  /** Qualifying phrases taken out before reading ("without psychotic features"). */
  qualifierPhrases: string[];
}

export interface ReasonTextGroup {
  /** Whole words. */
  words: string[];
  /** Whole words in a row. */
  phrases: string[];
}

/** A group as the reader matches it, made once (`ReasonTextReader.prepare`). */
export interface PreparedReasonTextGroup {
  words: ReadonlySet<string>;
  phrases: readonly string[][];
}

/** Characters a plain indication is written with; anything else (÷ = ? ! < > + …) says something more. */
const PLAIN = /^[\p{L}\p{N}\s.,;:()'/-]*$/u;
const SEPARATORS = /[\s.,;:()'/-]+/u;
/** For a mention, any sign separates words ("depression?", "÷depression"). */
const ANY_SIGN = /[^\p{L}\p{N}]+/u;
/** A diagnosis code written in the text: ICD-10 "F32", "f321", SKS "DF321", ICPC-2 "P76". */
const CODE = /^d?[a-z]\d{2,4}$/;

export class ReasonTextReader {
  private readonly fillers: Set<string>;
  private readonly qualifiers: string[];

  constructor(settings: ReasonTextSettings) {
    this.fillers = new Set(settings.fillers);
    // Longest first, so that a longer qualifier is taken out whole.
    this.qualifiers = [...settings.qualifierPhrases].sort((a, b) => b.length - a.length);
  }

  prepare(group: ReasonTextGroup): PreparedReasonTextGroup {
    return { words: new Set(group.words), phrases: group.phrases.map((p) => p.split(' ')) };
  }

  /**
   * Whether `text` says nothing but that the group is the reason. A code written in it ("F32.1", "DF321")
   * counts as the group's only when `isGroupCode` says so: "Depression og M79.7" names fibromyalgia too.
   */
  names(group: PreparedReasonTextGroup, text: string, isGroupCode: (code: string) => boolean = () => false): boolean {
    const { words, phrases } = group;
    if (words.size === 0 && phrases.length === 0) return false;
    const t = this.normalised(text);
    if (!PLAIN.test(t)) return false;
    const tokens = t.split(SEPARATORS).filter((w) => w !== '');
    let named = false;
    for (let i = 0; i < tokens.length; ) {
      const phrase = phrases.find((p) => p.every((part, k) => tokens[i + k] === part));
      if (phrase) {
        named = true;
        i += phrase.length;
        continue;
      }
      const w = tokens[i] as string;
      if (words.has(w)) named = true;
      else if (CODE.test(w) && isGroupCode(w)) named = true;
      else if (!this.fillers.has(w)) return false;
      i++;
    }
    return named;
  }

  /**
   * Whether `text` mentions the group anywhere, whatever else it says ("depression og smerter", and also
   * "ingen depression"): for leaving out a card's line that would say the drug is not for that group. Reading a
   * mention too widely only drops that line; reading it too narrowly would tell the clinician something false.
   */
  mentions(group: PreparedReasonTextGroup, text: string, isGroupCode: (code: string) => boolean = () => false): boolean {
    const { words, phrases } = group;
    const tokens = this.normalised(text).split(ANY_SIGN).filter((w) => w !== '');
    return tokens.some((w, i) => words.has(w) || (CODE.test(w) && isGroupCode(w)) || phrases.some((p) => p.every((part, k) => tokens[i + k] === part)));
  }

  /** Lower case, one space between words, the qualifiers taken out, a code's decimal point dropped. */
  private normalised(text: string): string {
    let t = ` ${text.normalize('NFC').toLowerCase().replace(/\s+/g, ' ')} `;
    for (const q of this.qualifiers) t = t.split(` ${q} `).join(' ');
    // "F32.1", "DF32.1": the code's decimal point is no separator.
    return t.replace(/(\bd?[a-z]\d{2})\.(\d)/g, '$1$2');
  }
}
