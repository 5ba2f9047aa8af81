import { readFileSync } from 'node:fs';
import { firstStartKeysPath } from '../../src/api/first-start-keys.ts';

/** The keys a first start handed over in its 0600 file, by role. */
export function firstStartKeys(credentialsPath: string): Record<string, string> {
  const text = readFileSync(firstStartKeysPath(credentialsPath), 'utf8');
  return Object.fromEntries(
    [...text.matchAll(/^(\w+) [0-9a-f]{8} (lk_\S+)$/gm)].map(([, role, key]) => [role, key]),
  );
}
