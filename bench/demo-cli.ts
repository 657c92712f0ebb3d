/** The CLI as `bin/idem-audit.js` runs it, from the bench's build (B6 times `demo` through it). */
import { main } from '../src/cli/main.js';

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error('idem-audit: internal error:', err);
    process.exitCode = 3;
  },
);
