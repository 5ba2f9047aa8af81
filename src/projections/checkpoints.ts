import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** A projection's state as of a position, with what identifies the ledger it was built from. */
export interface Checkpoint {
  name: string;
  version: number;
  position: number;
  /** The id of the event at `position` (null at 0): a different ledger never matches. */
  eventId: string | null;
  state: unknown;
}

export interface CheckpointStore {
  load(name: string): Promise<Checkpoint | null>;
  save(checkpoint: Checkpoint): Promise<void>;
}

/** Checkpoints as JSON files in one folder, each replaced atomically (write, then rename). */
export function fileCheckpointStore(folder: string): CheckpointStore {
  const file = (name: string) => join(folder, `${name}.json`);
  return {
    async load(name) {
      try {
        return JSON.parse(await readFile(file(name), 'utf8')) as Checkpoint;
      } catch (error) {
        // A missing or unreadable checkpoint only costs a rebuild.
        if ((error as NodeJS.ErrnoException).code === 'ENOENT' || error instanceof SyntaxError)
          return null;
        throw error;
      }
    },
    async save(checkpoint) {
      await mkdir(folder, { recursive: true });
      const target = file(checkpoint.name);
      const temporary = `${target}.${process.pid}.tmp`;
      await writeFile(temporary, JSON.stringify(checkpoint));
      await rename(temporary, target);
    },
  };
}
