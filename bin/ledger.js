#!/usr/bin/env node
// The `ledger` command. The project runs its TypeScript through tsx (no build step).
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
