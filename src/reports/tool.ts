import { readFileSync } from 'node:fs';

/** The name and version every report states; package.json sits two folders up from src/ and dist/ alike. */
export function toolVersion(): { name: string; version: string } {
  const manifest = JSON.parse(
    readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
  ) as { name: string; version: string };
  return { name: manifest.name, version: manifest.version };
}
