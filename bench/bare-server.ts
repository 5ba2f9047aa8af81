/**
 * The HTTP baseline: a bare fastify server that parses the same JSON bodies and answers, with no
 * ledger behind it. Run as its own process by the HTTP bench: `bare-server.ts <port>`.
 */
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.post('/v1/programs/:id/shipments', async (request, reply) =>
  reply.code(201).send({ received: (request.body as { shipmentId?: string }).shipmentId ?? null }),
);
app.get('/v1/programs/:id/status', async (request) => ({
  programId: (request.params as { id: string }).id,
  status: 'authorized',
  explanation: 'A fixed answer: the baseline measures HTTP and JSON alone.',
}));
app.post('/v1/programs/:id/checks', async (request) => ({
  programId: (request.params as { id: string }).id,
  ...(request.body as object),
  decision: 'allowed',
  explanation: 'A fixed answer: the baseline measures HTTP and JSON alone.',
}));
app.post('/v1/checks', async (request) => ({
  lines: (request.body as { lines: object[] }).lines.map((line) => ({
    ...line,
    decision: 'allowed',
    explanation: 'A fixed answer: the baseline measures HTTP and JSON alone.',
  })),
  recorded: [],
}));
await app.listen({ host: '127.0.0.1', port: Number(process.argv[2]) });
console.log('listening');
