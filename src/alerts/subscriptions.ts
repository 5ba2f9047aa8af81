/** Registering a subscription, the same for the API and the CLI. */
import { randomUUID } from 'node:crypto';
import type { AlertType } from './alert-types.ts';
import { refusedUrl } from './outbound-url.ts';
import type { DeliveryRecord, Outbox, SubscriptionRecord } from './outbox/port.ts';
import { newSecret } from './signing.ts';

export interface SubscriptionRequest {
  url: string;
  types: AlertType[];
  programIds?: string[] | undefined;
  description?: string | undefined;
}

/** A URL alerts may not go to; its message says why, in words an admin can act on. */
export class RefusedUrlError extends Error {}

/** Stores a new subscription and returns it with its secret (shown this once). */
export async function addSubscription(
  outbox: Outbox,
  request: SubscriptionRequest,
  allowedHosts: readonly string[],
  now: number,
): Promise<SubscriptionRecord> {
  const refused = refusedUrl(request.url, allowedHosts);
  if (refused) throw new RefusedUrlError(`the URL ${refused}`);
  const subscription: SubscriptionRecord = {
    id: randomUUID(),
    url: request.url,
    types: [...new Set(request.types)],
    programIds: request.programIds ? [...new Set(request.programIds)] : null,
    description: request.description ?? null,
    secret: newSecret(),
    createdAt: new Date(now).toISOString(),
    disabledAt: null,
    disabledReason: null,
  };
  await outbox.addSubscription(subscription);
  return subscription;
}

/** A subscription as listed: never its secret. */
export const withoutSecret = ({ secret: _, ...shown }: SubscriptionRecord) => shown;

/** A delivery as its log shows it (the body is what the receiver got; the ids say enough). */
export const deliveryShown = ({ body: _, ...shown }: DeliveryRecord) => shown;
