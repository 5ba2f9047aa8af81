import writeFileAtomic from 'write-file-atomic';
import type { StoredKey } from './credentials.ts';

/**
 * Where the keys created on a first start are handed over: a file readable by the service's
 * user only, beside the credentials file. Never the log: log lines end up in log storage.
 */
export const firstStartKeysPath = (credentialsPath: string) =>
  `${credentialsPath}.first-start-keys`;

/** Writes the created keys (a new file of mode 0600, replacing any earlier one) and returns its path. */
export function saveFirstStartKeys(
  credentialsPath: string,
  created: readonly { key: string; entry: StoredKey }[],
): string {
  const path = firstStartKeysPath(credentialsPath);
  const lines = created.map(({ key, entry }) => `${entry.role} ${entry.id} ${key}`);
  writeFileAtomic.sync(
    path,
    `# API keys created on first start (role, id, key); shown here only. Hand each to its holder, then delete this file.\n${lines.join('\n')}\n`,
    { mode: 0o600 },
  );
  return path;
}
