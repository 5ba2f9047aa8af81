/**
 * How the service logs (docs/design.md, "Logs"): JSON lines for machines, or one readable line
 * per entry on a terminal (or with LOG_FORMAT=pretty). Each request is one line at info, written
 * when it is answered: method, path, status and time taken.
 */
import {
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
  LogController,
} from 'fastify';
import pretty from 'pino-pretty';
import type { Config } from '../config.ts';

export function loggerOptions(config: Config): FastifyServerOptions['logger'] {
  const format = config.LOG_FORMAT ?? (process.stdout.isTTY ? 'pretty' : 'json');
  if (format === 'json') return { level: config.LOG_LEVEL };
  return {
    level: config.LOG_LEVEL,
    // The request line's fields are in its message already: shown once, on one line.
    stream: pretty({
      sync: true,
      colorize: process.stdout.isTTY,
      ignore: 'pid,hostname,reqId,method,url,statusCode,responseTime',
    }),
  };
}

/** One line per request, once it is answered, instead of fastify's "incoming" and "completed". */
export class OneLinePerRequest extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    const responseTime = Math.round(reply.elapsedTime);
    const line = `${request.method} ${request.url} ${reply.statusCode} ${responseTime} ms`;
    const fields = {
      method: request.method,
      url: request.url,
      statusCode: reply.statusCode,
      responseTime,
    };
    if (error) reply.log.error({ ...fields, err: error }, line);
    else reply.log.info(fields, line);
  }
}
