/**
 * Headless Chromium driven over the DevTools protocol on a pipe (--remote-debugging-pipe), so a
 * test can render a page as screen or print media, take screenshots, print PDFs and measure the
 * DOM without any browser library.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';

export const CHROMIUM = process.env.LEDGER_CHROMIUM ?? '/usr/bin/chromium';

export interface Page {
  /** Sends a command to the page's session and resolves with its result. */
  send<T = Record<string, unknown>>(method: string, params?: Record<string, unknown>): Promise<T>;
  evaluate<T>(expression: string): Promise<T>;
  close(): Promise<void>;
}

export async function openPage(url: string, profile: string): Promise<Page> {
  const child: ChildProcess = spawn(
    CHROMIUM,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--hide-scrollbars',
      '--remote-debugging-pipe',
      `--user-data-dir=${profile}`,
    ],
    { stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'] },
  );
  const input = child.stdio[3] as Writable;
  const output = child.stdio[4] as Readable;
  let nextId = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const listeners: ((message: { method?: string; sessionId?: string }) => void)[] = [];
  let buffered = '';
  output.setEncoding('utf8');
  output.on('data', (chunk: string) => {
    buffered += chunk;
    for (let end = buffered.indexOf('\0'); end >= 0; end = buffered.indexOf('\0')) {
      const message = JSON.parse(buffered.slice(0, end));
      buffered = buffered.slice(end + 1);
      const waiting = message.id === undefined ? undefined : pending.get(message.id);
      if (waiting) {
        pending.delete(message.id);
        if (message.error) waiting.reject(new Error(`${message.error.message}`));
        else waiting.resolve(message.result);
      } else for (const listener of listeners) listener(message);
    }
  });
  // A Chromium gone (crashed, or closing before it answers) answers nothing more: every call
  // still waiting fails at once instead of waiting for ever.
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => {
    for (const waiting of pending.values()) waiting.reject(new Error('Chromium exited'));
    pending.clear();
  });
  const raw = <T>(method: string, params: Record<string, unknown> = {}, sessionId?: string) =>
    new Promise<T>((resolve, reject) => {
      if (child.exitCode !== null || child.signalCode !== null)
        return reject(new Error('Chromium exited'));
      const id = nextId++;
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      input.write(
        `${JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) })}\0`,
      );
    });

  const { targetId } = await raw<{ targetId: string }>('Target.createTarget', {
    url: 'about:blank',
  });
  const { sessionId } = await raw<{ sessionId: string }>('Target.attachToTarget', {
    targetId,
    flatten: true,
  });
  const send = <T>(method: string, params?: Record<string, unknown>) =>
    raw<T>(method, params, sessionId);
  await send('Page.enable');
  const loaded = new Promise<void>((resolve) =>
    listeners.push((m) => {
      if (m.sessionId === sessionId && m.method === 'Page.loadEventFired') resolve();
    }),
  );
  await send('Page.navigate', { url });
  await loaded;
  return {
    send,
    async evaluate<T>(expression: string) {
      const { result } = await send<{ result: { value: T } }>('Runtime.evaluate', {
        expression,
        returnByValue: true,
      });
      return result.value;
    },
    async close() {
      // Killed if it has not gone 10 s after Browser.close (seen on a loaded machine: a close
      // that never ended held a test's hook for its whole 120 s).
      const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await raw('Browser.close').catch(() => undefined);
      await exited;
      clearTimeout(kill);
    },
  };
}

/** Renders the page as `media` at `width` px wide and takes the whole page as one PNG. */
export async function screenshot(
  page: Page,
  media: 'screen' | 'print',
  width: number,
  height: number,
) {
  await page.send('Emulation.setEmulatedMedia', { media });
  await page.send('Emulation.setDeviceMetricsOverride', {
    width,
    height,
    deviceScaleFactor: 1,
    mobile: false,
  });
  const full = await page.evaluate<number>('document.documentElement.scrollHeight');
  const { data } = await page.send<{ data: string }>('Page.captureScreenshot', {
    format: 'png',
    captureBeyondViewport: true,
    clip: { x: 0, y: 0, width, height: Math.max(height, full), scale: 1 },
  });
  return Buffer.from(data, 'base64');
}
