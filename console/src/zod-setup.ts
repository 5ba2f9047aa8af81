/**
 * Imported first by main.tsx, before any schema exists: zod decides per schema, when it is made,
 * whether to compile its parser with `new Function`, which the console's Content-Security-Policy
 * (no 'unsafe-eval') refuses and reports. Its messages are in plain words (src/core/plain-words.ts).
 */
import { z } from 'zod';
import { plainWords } from '../../src/core/plain-words.ts';

z.config({ jitless: true, customError: plainWords });
