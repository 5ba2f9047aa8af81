/**
 * The integrity alarm (docs/design.md §7): raised when the ledger does not extend a checkpoint
 * the server signed, or a sealed read model shows it was rewritten. Once raised it stays raised
 * until the process stops: the service is not ready and signs nothing more, so no second root is
 * ever signed for a size. Whoever listens (the log, the metric, alerts' `ledger.integrity.alarm`)
 * is told once per distinct detail.
 */

export interface IntegrityAlarm {
  /** What was found (every finding, oldest first), or null while the ledger is intact. */
  readonly raised: string | null;
  raise(detail: string): void;
  /** Calls `listener` for every alarm raised, those raised before it listened first. */
  onRaise(listener: (detail: string) => void): void;
}

export function integrityAlarm(): IntegrityAlarm {
  const details: string[] = [];
  const listeners: ((detail: string) => void)[] = [];
  return {
    get raised() {
      return details.length === 0 ? null : details.join('; ');
    },
    raise(detail) {
      if (details.includes(detail)) return;
      details.push(detail);
      for (const listener of listeners) listener(detail);
    },
    onRaise(listener) {
      listeners.push(listener);
      for (const detail of details) listener(detail);
    },
  };
}
