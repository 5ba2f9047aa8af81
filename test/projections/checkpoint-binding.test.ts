import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { programFacts } from '../../projections/program-facts.ts';
import {
  handleProgramCommand,
  handleSpecificationCommand,
} from '../../src/commands/handle-command.ts';
import type { EventStore } from '../../src/eventstore/port.ts';
import { openSqliteEventStore } from '../../src/eventstore/sqlite/index.ts';
import {
  fileCheckpointStore,
  openCheckpoint,
  sealCheckpoint,
} from '../../src/projections/checkpoints.ts';
import { ledgerProjections, ledgerQueries } from '../../src/projections/ledger-queries.ts';
import { type ProjectionRuntime, startProjections } from '../../src/projections/runtime.ts';
import {
  currentSpecification,
  extensionNotice,
  PROGRAM_ID,
  program,
  SUCCESSOR_SPEC,
  successorSpecification,
  tdpRelease,
} from '../support/founding-case.ts';

const folder = mkdtempSync(join(tmpdir(), 'ledger-bound-checkpoints-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));
const as = { recordedBy: 'compliance-office' };

async function foundingCase(store: EventStore): Promise<void> {
  await handleSpecificationCommand(
    store,
    currentSpecification.specificationId,
    { type: 'RegisterSpecification', data: currentSpecification },
    as,
  );
  await handleSpecificationCommand(
    store,
    SUCCESSOR_SPEC,
    { type: 'RegisterSpecification', data: successorSpecification },
    as,
  );
  await handleProgramCommand(store, PROGRAM_ID, { type: 'RegisterProgram', data: program }, as);
  await handleProgramCommand(
    store,
    PROGRAM_ID,
    { type: 'RecordNotice', data: extensionNotice },
    as,
  );
  await handleSpecificationCommand(
    store,
    SUCCESSOR_SPEC,
    { type: 'ReleaseTechnicalDataPackage', data: tdpRelease },
    as,
  );
}

/** What an auditor would ask: statuses on sample dates and the timeline, as known now. */
const answers = (store: EventStore, runtime: ProjectionRuntime) => {
  const queries = ledgerQueries(store, runtime);
  return {
    statuses: ['2006-06-01', '2007-09-07', '2007-09-08', '2009-01-01'].map((at) =>
      queries.status(PROGRAM_ID, { at }),
    ),
    timeline: queries.timeline(PROGRAM_ID),
  };
};

describe('read-model checkpoints are caches bound to the ledger', () => {
  const path = join(folder, 'ledger.sqlite');
  const checkpointFolder = `${path}.projections`;
  const file = join(checkpointFolder, `${programFacts.name}.json`);
  const key = randomBytes(32);
  const kept = { store: fileCheckpointStore(checkpointFolder), key };
  let store: EventStore;
  let genuine: string;
  let rebuilt: ReturnType<typeof answers>;

  beforeAll(async () => {
    store = openSqliteEventStore(path);
    await foundingCase(store);
    const first = await startProjections(store, ledgerProjections, { checkpoints: kept });
    rebuilt = answers(store, first);
    await first.close();
    genuine = readFileSync(file, 'utf8');
    // The founding case expires on 2007-09-08: the attack below claims otherwise.
    expect(rebuilt.statuses[3]?.status).toBe('expired');
  });
  afterAll(() => store.close());

  it('a genuine checkpoint is used', async () => {
    const resumed = await startProjections(store, ledgerProjections, { checkpoints: kept });
    expect(resumed.startedFrom.get(programFacts.name)).toEqual({ rebuilt: false, position: 5 });
    expect(answers(store, resumed)).toEqual(rebuilt);
    await resumed.close();
  });

  const otherLedger = async () => {
    // The same founding case recorded again: same facts, other event ids, same key.
    const otherPath = join(folder, 'other.sqlite');
    const other = openSqliteEventStore(otherPath);
    await foundingCase(other);
    await (
      await startProjections(other, ledgerProjections, {
        checkpoints: { store: fileCheckpointStore(`${otherPath}.projections`), key },
      })
    ).close();
    await other.close();
    return readFileSync(join(`${otherPath}.projections`, `${programFacts.name}.json`), 'utf8');
  };

  const tampered: [string, () => Promise<string> | string, RegExp][] = [
    [
      'a changed date',
      () => genuine.replace('"2007-05-08"', '"9999-05-08"'),
      /MAC does not verify/,
    ],
    [
      'a changed date with a MAC of another key',
      () => {
        const forged = JSON.parse(genuine.replace('"2007-05-08"', '"9999-05-08"'));
        forged.mac = randomBytes(32).toString('hex');
        return JSON.stringify(forged);
      },
      /MAC does not verify/,
    ],
    [
      '"state": null',
      () => JSON.stringify({ ...JSON.parse(genuine), state: null }),
      /MAC does not verify/,
    ],
    ['null', () => 'null', /^$/],
    ['{}', () => '{}', /malformed/],
    ['garbage', () => '\u0000not json{', /^$/],
    ['a checkpoint of another ledger', otherLedger, /is another one/],
  ];

  it.each(tampered)(
    '%s is refused, logged and rebuilt; the answers equal a rebuild',
    async (_, content, reason) => {
      const text = await content();
      expect(text).not.toBe(genuine);
      writeFileSync(file, text);
      const refused: string[] = [];
      const runtime = await startProjections(store, ledgerProjections, {
        checkpoints: { ...kept, readOnly: true },
        onRefused: (name, why) => refused.push(`${name}: ${why}`),
      });
      const started = runtime.startedFrom.get(programFacts.name);
      expect(started?.rebuilt).toBe(true);
      expect(started?.refused ?? '').toMatch(reason);
      // `null` and garbage hold no checkpoint at all: a plain rebuild, nothing to log.
      expect(refused.length).toBe(reason.source === '^$' ? 0 : 1);
      expect(answers(store, runtime)).toEqual(rebuilt);
      await runtime.close();
      writeFileSync(file, genuine);
    },
  );

  it('the file written is readable by the owner only', () => {
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });
});

describe('a seal the server made for this very ledger, no longer matching it', () => {
  const key = randomBytes(32);
  const sealed = sealCheckpoint(key, {
    name: 'program-facts',
    version: 1,
    position: 5,
    ledger: 'first-entry',
    eventId: 'event-5',
    root: 'root-5',
    state: {},
  });
  const expected = { name: 'program-facts', version: 1, head: 5 };
  const ledger = (at: { ledger: string | null; eventId: string; root: string }) => async () => at;

  it('is evidence of a rewrite when this ledger holds another event or root there', async () => {
    const opened = await openCheckpoint(
      key,
      sealed,
      expected,
      ledger({ ledger: 'first-entry', eventId: 'event-5', root: 'another-root' }),
    );
    expect(opened).toEqual({
      ok: false,
      reason: 'the ledger at position 5 is not the one sealed',
      rewritten: true,
    });
  });

  it('is evidence of a cut when this ledger is shorter than the seal', async () => {
    const opened = await openCheckpoint(
      key,
      sealed,
      { ...expected, head: 3 },
      ledger({ ledger: 'first-entry', eventId: 'event-3', root: 'root-3' }),
    );
    expect(opened).toMatchObject({ ok: false, rewritten: true });
  });

  it('is only a cache miss when it names another ledger', async () => {
    const opened = await openCheckpoint(
      key,
      sealed,
      expected,
      ledger({ ledger: 'another-first-entry', eventId: 'event-x', root: 'root-x' }),
    );
    expect(opened).toEqual({ ok: false, reason: 'the ledger at position 5 is another one' });
  });
});
