import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openEventStore } from '../../src/eventstore/open.ts';
import { anEvent } from './contract.ts';

describe('openEventStore', () => {
  it('opens a memory store for memory:', async () => {
    const store = await openEventStore('memory:');
    try {
      await store.append('program-a', [anEvent()], { expectedRevision: 'no-stream' });
      expect(await store.headPosition()).toBe(1);
    } finally {
      await store.close();
    }
  });

  it('opens a sqlite file for sqlite:<path>', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ledger-open-'));
    const path = join(dir, 'data', 'ledger.sqlite');
    try {
      const store = await openEventStore(`sqlite:${path}`);
      await store.append('program-a', [anEvent()], { expectedRevision: 'no-stream' });
      await store.close();
      expect(existsSync(path)).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses an unknown scheme without echoing the rest of the URL', () => {
    expect(() => openEventStore('mysql://admin:secret@db/ledger')).toThrow(
      /unknown event store URL scheme mysql:/,
    );
    expect(() => openEventStore('mysql://admin:secret@db/ledger')).not.toThrow(/secret/);
  });
});
