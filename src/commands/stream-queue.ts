/**
 * Runs tasks one after another per stream, so one process's writers never race each other (a
 * race would turn into a conflict the client never asked for). A stream's queue is dropped once
 * it runs empty.
 */
export function streamQueue() {
  const tails = new Map<string, Promise<void>>();
  return <T>(stream: string, task: () => Promise<T>): Promise<T> => {
    const next = (tails.get(stream) ?? Promise.resolve()).then(task, task);
    const settled = next.then(
      () => undefined,
      () => undefined,
    );
    tails.set(stream, settled);
    void settled.then(() => {
      if (tails.get(stream) === settled) tails.delete(stream);
    });
    return next;
  };
}

export type StreamQueue = ReturnType<typeof streamQueue>;
