/** `npm run report [-- --json]`: the feedback report (src/reportMain.ts), run from the sources with tsx. */
import '../src/reportMain.js';
