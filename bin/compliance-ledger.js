#!/usr/bin/env node
// The `compliance-ledger` command: plain node on the built CLI (`npm run build`, run by `prepare`).
await import('../dist/src/cli/main.js');
