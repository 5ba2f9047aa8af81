/**
 * Errors carry their answer (src/api/problems.ts, AnsweredError): the error handler reads what
 * an error declares where it is defined, so an error class it has never heard of is answered as
 * it asks, and a domain refusal of a new code answers 422 with that code.
 */
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { errorsPlugin } from '../../src/api/plugins/errors.ts';
import { DomainError, type DomainErrorCode } from '../../src/domain/errors.ts';

class TeapotError extends Error {
  readonly problemStatus = 418;
  readonly problemType = 'teapot';
  readonly problemTitle = 'I am a teapot';
  readonly retryAfterSeconds = 7;
}

class NewRefusal extends DomainError {
  constructor() {
    super('window-closed' as DomainErrorCode, 'the window closed on 2007-01-01');
  }
}

async function answerTo(error: Error) {
  const app = Fastify();
  await app.register(errorsPlugin);
  app.get('/x', async () => {
    throw error;
  });
  const response = await app.inject({ method: 'GET', url: '/x' });
  await app.close();
  return response;
}

describe('errors that carry their answer', () => {
  it('answers an error class the handler never names as the class declares', async () => {
    const response = await answerTo(new TeapotError('steam everywhere'));
    expect(response.statusCode).toBe(418);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.headers['retry-after']).toBe('7');
    expect(response.json()).toEqual({
      type: 'urn:compliance-ledger:problem:teapot',
      title: 'I am a teapot',
      status: 418,
      detail: 'steam everywhere',
      instance: '/x',
    });
  });

  it('answers a domain refusal of a new code 422, with the code', async () => {
    const response = await answerTo(new NewRefusal());
    expect(response.statusCode).toBe(422);
    expect(response.json()).toMatchObject({
      type: 'urn:compliance-ledger:problem:refused/window-closed',
      code: 'window-closed',
      detail: 'the window closed on 2007-01-01',
    });
  });

  it('shows nothing of an error that declares no answer', async () => {
    const response = await answerTo(new Error('secret internals at /srv/x.ts:12'));
    expect(response.statusCode).toBe(500);
    expect(response.body).not.toMatch(/secret|x\.ts/);
  });
});
