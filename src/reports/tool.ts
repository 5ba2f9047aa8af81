import { readFileSync } from 'node:fs';

const PACKAGE_NAME = 'compliance-ledger';

/** The name and version every report states, from the package.json above this file (src/ or dist/src/). */
export function toolVersion(): { name: string; version: string } {
  for (let dir = new URL('.', import.meta.url); ; dir = new URL('..', dir)) {
    try {
      const manifest = JSON.parse(readFileSync(new URL('package.json', dir), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (manifest.name === PACKAGE_NAME && manifest.version)
        return { name: manifest.name, version: manifest.version };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    if (dir.pathname === '/')
      throw new Error(`no package.json of ${PACKAGE_NAME} above ${import.meta.url}`);
  }
}
