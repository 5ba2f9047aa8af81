/**
 * The CloudEvents 1.0 body of a delivery, structured content mode
 * (content-type: application/cloudevents+json). Its `id` is the webhook-id.
 */
import { createHash } from 'node:crypto';
import type { Alert } from './alert-types.ts';

export const CLOUDEVENTS_CONTENT_TYPE = 'application/cloudevents+json';

/** The webhook-id of an alert sent to a subscription: the same however often it is derived. */
export const webhookId = (subscriptionId: string, alert: Pick<Alert, 'key'>): string =>
  `msg_${createHash('sha256').update(`${subscriptionId}\n${alert.key}`).digest('hex').slice(0, 32)}`;

export function cloudEventBody(id: string, source: string, alert: Alert): string {
  return JSON.stringify({
    specversion: '1.0',
    id,
    source,
    type: alert.type,
    subject: alert.subject,
    time: alert.time,
    datacontenttype: 'application/json',
    data: alert.data,
  });
}
