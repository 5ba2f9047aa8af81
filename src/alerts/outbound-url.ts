/**
 * Which URLs a subscription may name: https, or plain http to a loopback address or a host an
 * admin allowed (LEDGER_ALERT_ALLOWED_HOSTS). No credentials in the URL: they would be stored and
 * shown.
 */
import { isIP } from 'node:net';

const LOOPBACK_NAMES = new Set(['localhost', '[::1]']);

export function isLoopback(hostname: string): boolean {
  if (LOOPBACK_NAMES.has(hostname)) return true;
  return isIP(hostname) === 4 && hostname.startsWith('127.');
}

/** Why `url` may not receive alerts, or null when it may. */
export function refusedUrl(url: string, allowedHosts: readonly string[]): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'is not an absolute URL';
  }
  if (parsed.username !== '' || parsed.password !== '')
    return 'carries a user name or password; put none in the URL';
  if (parsed.protocol === 'https:') return null;
  if (parsed.protocol !== 'http:')
    return `uses ${parsed.protocol}; only https (or http to an allowed host) is sent to`;
  const host = parsed.hostname.toLowerCase();
  if (isLoopback(host) || allowedHosts.includes(host)) return null;
  return `uses plain http to ${host}; use https, or have an admin allow this host (LEDGER_ALERT_ALLOWED_HOSTS)`;
}
