/**
 * Builds a Go program of the tests (test/integrity/go/…) against Debian's
 * golang-golang-x-mod-dev sources, offline (GOPATH mode). Without Go or those sources the
 * callers skip with a printed reason, unless LEDGER_REQUIRE_GO=1 (CI), where they fail.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const GOPATH = '/usr/share/gocode';
const GO_ENV = { ...process.env, GOPATH, GO111MODULE: 'off' };

export const goMissing =
  spawnSync('go', ['version']).status !== 0 ||
  !existsSync(join(GOPATH, 'src/golang.org/x/mod/sumdb/tlog'));

/** Whether a suite needing Go runs; prints why not when it skips, throws when CI requires it. */
export function goAvailable(suite: string): boolean {
  if (!goMissing) return true;
  if (process.env.LEDGER_REQUIRE_GO === '1')
    throw new Error(`${suite}: LEDGER_REQUIRE_GO=1 but no \`go\` or no golang-golang-x-mod-dev`);
  console.warn(
    `${suite} skipped: no \`go\` or no golang-golang-x-mod-dev (CI sets LEDGER_REQUIRE_GO=1 and installs them)`,
  );
  return false;
}

/** Builds the program in `folder` to `output`. */
export function buildGo(folder: string, output: string): void {
  execFileSync('go', ['build', '-o', output, '.'], { cwd: folder, env: GO_ENV, stdio: 'pipe' });
}
