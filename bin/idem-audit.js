#!/usr/bin/env node
import { main } from '../dist/cli/main.js';

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    // main() renders every IdemAuditError itself; reaching here is a bug in idem-audit.
    console.error('idem-audit: internal error (please report):', err);
    process.exitCode = 3;
  },
);
