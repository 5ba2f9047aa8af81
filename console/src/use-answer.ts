import { useEffect, useState } from 'preact/hooks';

export type Answer<T> =
  | { state: 'loading' }
  | { state: 'ready'; data: T }
  | { state: 'failed'; error: Error };

/**
 * Asks the API again whenever `deps` change; an answer to an older question is dropped, so a
 * slider or a search box never shows a stale page.
 */
export function useAnswer<T>(ask: () => Promise<T>, deps: readonly unknown[]): Answer<T> {
  const [answer, setAnswer] = useState<Answer<T>>({ state: 'loading' });
  useEffect(() => {
    let current = true;
    ask().then(
      (data) => current && setAnswer({ state: 'ready', data }),
      (error: Error) => current && setAnswer({ state: 'failed', error }),
    );
    return () => {
      current = false;
    };
  }, deps);
  return answer;
}
