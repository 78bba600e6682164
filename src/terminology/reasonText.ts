/**
 * How a free-text reason ("mod depression", "smerter, ikke depression") is read for a diagnosis group
 * (docs/clinical-rules.md §4.10). The lists live in terminology/medication-conditions.json.
 *
 * A mention counts when a word of the group starts a word ("depressiv", "angstlidelse"), one of its endings
 * ends one (compounds: "vinterdepression", "panikangst"), or one of its phrases stands in the text
 * ("posttraumatisk belastningsreaktion") — never a word found only inside another ("langstrakte").
 * A mention does not count when it is negated: a negation word up to `windowBefore` words before it
 * ("ikke depression", "neither depression nor anxiety", "r/o depression") or a closing one up to
 * `windowAfter` words after it ("depression udelukket", "anxiety-free"), in the same clause (commas,
 * semicolons and brackets end one); nor when it is a false friend ("angst for bivirkninger": afraid of side
 * effects). A negation joined by a hyphen to another word negates only that word ("ikke-farmakologisk",
 * "non-specific"). The text names the group when any mention counts. Wrongly reading a text as depression
 * takes a card away, so every doubt reads it as not naming the group: the card is then shown.
 */

export interface ReasonTextSettings {
  negationsBefore: string[];
  negationsAfter: string[];
  windowBefore: number;
  windowAfter: number;
  /** Two or more words of which the first is a mention that does not count ("angst for"). */
  falseFriends: string[];
}

export interface ReasonTextGroup {
  /** Matched at the start of a word. */
  words: string[];
  /** Matched at the end of a word. */
  endings: string[];
  /** Whole words in a row. */
  phrases: string[];
}

/** A word of the text: `joinedToNext` when a hyphen binds it to the next ("ikke-farmakologisk"). */
interface Word {
  text: string;
  joinedToNext: boolean;
}

const CLAUSE_END = /[,;()[\]\n]+/;

/** "r/o" (ruled out) is one word, not "r" and "o". */
function normalise(text: string): string {
  return text.normalize('NFC').toLowerCase().replace(/\br\/o\b/g, 'ruledout').replace(/\bruled\s+out\b/g, 'ruledout');
}

function wordsOf(clause: string): Word[] {
  const out: Word[] = [];
  for (const token of clause.split(/[^a-z0-9æøåäöü-]+/)) {
    const parts = token.split('-').filter((p) => p !== '');
    parts.forEach((p, i) => out.push({ text: p, joinedToNext: i < parts.length - 1 }));
  }
  return out;
}

export class ReasonTextReader {
  private readonly before: Set<string>;
  private readonly after: Set<string>;
  private readonly falseFriends: string[][];

  constructor(private readonly settings: ReasonTextSettings) {
    this.before = new Set(settings.negationsBefore);
    this.after = new Set(settings.negationsAfter);
    this.falseFriends = settings.falseFriends.map((f) => f.split(' '));
  }

  /** Whether `text` names the group (a mention that counts). */
  names(group: ReasonTextGroup, text: string): boolean {
    if (group.words.length === 0 && group.endings.length === 0 && group.phrases.length === 0) return false;
    const phrases = group.phrases.map((p) => p.split(' '));
    for (const clause of normalise(text).split(CLAUSE_END)) {
      const words = wordsOf(clause);
      for (let i = 0; i < words.length; i++) {
        const length = this.mentionAt(group, phrases, words, i);
        if (length > 0 && !this.negated(words, i, length) && !this.falseFriend(words, i)) return true;
      }
    }
    return false;
  }

  /** How many words a mention starting at word i takes (0: none). */
  private mentionAt(group: ReasonTextGroup, phrases: string[][], words: Word[], i: number): number {
    const w = (words[i] as Word).text;
    if (group.words.some((s) => w.startsWith(s)) || group.endings.some((e) => w.endsWith(e))) return 1;
    for (const p of phrases) if (p.every((part, k) => words[i + k]?.text === part)) return p.length;
    return 0;
  }

  private negated(words: Word[], i: number, length: number): boolean {
    for (let k = Math.max(0, i - this.settings.windowBefore); k < i; k++) {
      const w = words[k] as Word;
      // "ikke-farmakologisk": the negation belongs to the word it is joined to, unless that is the mention.
      if (this.before.has(w.text) && (!w.joinedToNext || k === i - 1)) return true;
    }
    const end = i + length;
    for (let k = end; k < Math.min(words.length, end + this.settings.windowAfter); k++) {
      const w = words[k] as Word;
      const prev = words[k - 1] as Word;
      // "anxiety-free" is joined; "depression udelukket" is not: both close the mention. A negation joined to
      // the word after it ("depression - ikke-farmakologisk") belongs to that word.
      if (this.after.has(w.text) && !w.joinedToNext && (k === end || !prev.joinedToNext)) return true;
    }
    return false;
  }

  private falseFriend(words: Word[], i: number): boolean {
    return this.falseFriends.some((f) => f.every((part, k) => (k === 0 ? (words[i] as Word).text.startsWith(part) : words[i + k]?.text === part)));
  }
}
