import { useRef, useState } from 'preact/hooks';
import { answer, type Schemas } from '../api';

export type Outcome =
  | { state: 'idle' }
  | { state: 'sending' }
  | { state: 'recorded'; accepted: Schemas['CommandAccepted'] }
  | { state: 'failed'; message: string };

/**
 * One submission of a form: it carries one Idempotency-Key, kept for every retry of the same
 * submission (a double click, a resend after a lost answer) and renewed only once it was
 * recorded, so the ledger records the fact once. A click while one is in flight is ignored.
 */
export function useSubmission() {
  const [key, setKey] = useState(() => crypto.randomUUID());
  const [outcome, setOutcome] = useState<Outcome>({ state: 'idle' });
  const inFlight = useRef(false);

  async function submit(
    send: (idempotencyKey: string) => Promise<{
      data?: Schemas['CommandAccepted'];
      error?: unknown;
      response: Response;
    }>,
  ): Promise<void> {
    if (inFlight.current) return;
    inFlight.current = true;
    setOutcome({ state: 'sending' });
    try {
      const accepted = await answer(send(key));
      setOutcome({ state: 'recorded', accepted });
      setKey(crypto.randomUUID());
    } catch (error) {
      setOutcome({ state: 'failed', message: (error as Error).message });
    } finally {
      inFlight.current = false;
    }
  }
  return { key, outcome, submit };
}
