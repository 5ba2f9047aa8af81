/**
 * The load generator, in its own process so it does not share a core's event loop with the
 * server it measures: `load.ts <json options>` prints autocannon's figures as JSON.
 */
import autocannon from 'autocannon';

interface LoadOptions {
  url: string;
  kind: 'shipments' | 'status' | 'checks' | 'batches';
  programs: number;
  connections: number;
  seconds: number;
  authorization: string;
  /** Lines per POST /v1/checks (kind `batches`), each of another program. */
  lines: number;
}

const options = JSON.parse(process.argv[2] as string) as LoadOptions;
let sequence = 0;
const program = () => `program-${sequence % options.programs}`;

const result = await autocannon({
  url: options.url,
  connections: options.connections,
  duration: options.seconds,
  headers: { authorization: options.authorization, 'content-type': 'application/json' },
  requests: [
    {
      method: options.kind === 'status' ? 'GET' : 'POST',
      setupRequest: (request) => {
        sequence++;
        if (options.kind === 'status')
          return { ...request, path: `/v1/programs/${program()}/status?at=2007-06-01` };
        if (options.kind === 'batches') {
          const lines = Array.from({ length: options.lines }, (_, i) => ({
            programId: `program-${(sequence * options.lines + i) % options.programs}`,
            shippedOn: '2007-06-01',
            units: 1 + ((sequence + i) % 50),
          }));
          return { ...request, path: '/v1/checks', body: JSON.stringify({ lines }) };
        }
        if (options.kind === 'checks') {
          const body = JSON.stringify({ shippedOn: '2007-06-01', units: 1 + (sequence % 50) });
          return { ...request, path: `/v1/programs/${program()}/checks`, body };
        }
        const body = JSON.stringify({
          shipmentId: `bench-${process.pid}-${sequence}`,
          shippedOn: '2007-06-01',
          units: 1 + (sequence % 50),
        });
        return { ...request, path: `/v1/programs/${program()}/shipments`, body };
      },
    },
  ],
});
console.log(
  JSON.stringify({
    requestsPerSecond: result.requests.average,
    requests: result.requests.total,
    p50: result.latency.p50,
    p99: result.latency.p99,
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes: Object.fromEntries(
      Object.entries(result.statusCodeStats ?? {}).map(([code, { count }]) => [code, count]),
    ),
  }),
);
