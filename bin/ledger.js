#!/usr/bin/env node
// The `ledger` command, run through tsx until the build lands.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
