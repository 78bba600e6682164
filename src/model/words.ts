/**
 * Lower-case words of a name or text (letters incl. æøå and digits). The drug tables are indexed by these
 * words (terminology/) and free text is looked up by them (guideline/): both sides must split alike.
 */
export function wordsOf(text: string): string[] {
  return text
    .normalize('NFC')
    .toLowerCase()
    .split(/[^a-z0-9æøåäöüéè]+/)
    .filter((w) => w !== '');
}
