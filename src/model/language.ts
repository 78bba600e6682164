/** The languages cards are written in (cards/*.yaml has both); transport chooses one per request. */
export type Language = 'da' | 'en';
