import { answer, api } from '../api';
import { Answered } from '../components';
import { download } from '../download';
import { useAnswer } from '../use-answer';

/**
 * The latest signed checkpoint, the result of checking every hash chain, and what an auditor
 * runs to check the ledger independently of this server.
 */
export function IntegrityPage() {
  const checkpoint = useAnswer(async () => {
    const c = await answer(
      api.GET('/v1/ledger/checkpoint', { headers: { accept: 'application/json' } }),
    );
    if (typeof c === 'string') throw new Error('the checkpoint came as text, not JSON');
    return c;
  }, []);
  const publicKey = useAnswer(() => answer(api.GET('/v1/ledger/checkpoint/public-key')), []);
  const verify = useAnswer(() => answer(api.GET('/v1/ledger/verify')), []);
  const origin = window.location.origin;
  const ready =
    checkpoint.state === 'ready' && publicKey.state === 'ready' && verify.state === 'ready';

  const downloadReport = () => {
    if (!ready) return;
    const report = {
      generatedAt: new Date().toISOString(),
      server: origin,
      checkpoint: checkpoint.data,
      publicKey: publicKey.data,
      verify: verify.data,
    };
    download(
      'ledger-audit-report.json',
      `${JSON.stringify(report, null, 2)}\n`,
      'application/json',
    );
  };

  return (
    <section aria-labelledby="integrity-title">
      <h1 id="integrity-title">Integrity</h1>
      <section class="panel" aria-labelledby="checkpoint-title">
        <h2 id="checkpoint-title">Latest signed checkpoint</h2>
        <Answered answer={checkpoint}>
          {(c) => (
            <>
              <dl class="facts">
                <dt>Origin</dt>
                <dd>{c.origin}</dd>
                <dt>Tree size (events)</dt>
                <dd>{c.treeSize}</dd>
                <dt>Root (base64)</dt>
                <dd class="hash">{c.rootHash}</dd>
                <dt>Root (hex)</dt>
                <dd class="hash">{c.rootHashHex}</dd>
                <dt>Signature line</dt>
                <dd class="hash">{c.note.trimEnd().split('\n').at(-1)}</dd>
              </dl>
              <button type="button" onClick={() => download('trusted.note', c.note, 'text/plain')}>
                Download the note (trusted.note)
              </button>
            </>
          )}
        </Answered>
      </section>
      <section class="panel" aria-labelledby="verify-title">
        <h2 id="verify-title">Hash chains</h2>
        <Answered answer={verify}>
          {(v) =>
            v.ok ? (
              <p>
                <span class="ok">verified</span>: {v.events} events in {v.streams ?? '?'} streams,
                every hash chain intact.
              </p>
            ) : (
              <p role="alert">
                <span class="bad">broken</span>: {v.problem?.message} (stream {v.problem?.stream},
                position {v.problem?.position}).
              </p>
            )
          }
        </Answered>
      </section>
      <section class="panel" aria-labelledby="audit-title">
        <h2 id="audit-title">Independent audit</h2>
        <Answered answer={publicKey}>
          {(k) => (
            <>
              <p>
                Verifier key <code class="hash">{k.verifierKey}</code>: compare it with the one you
                obtained out of band before trusting it.
              </p>
              <button
                type="button"
                onClick={() => download('checkpoint-key.pub.pem', k.publicKeyPem, 'text/plain')}
              >
                Download the public key (PEM)
              </button>
            </>
          )}
        </Answered>
        <p>
          Keep <code>trusted.note</code> outside this system. Later, with the project's CLI and any
          reader key saved in a file only you can read (<code>reader.key</code>; never on the
          command line, where other users and the shell's history see it), check that today's ledger
          extends it:
        </p>
        <pre class="commands">{`npx compliance-ledger audit --trusted trusted.note --url ${origin} \\
  --api-key-file reader.key --public-key checkpoint-key.pub.pem`}</pre>
        <p>
          Or on the server's machine, on its files (here the default paths of LEDGER_STORE and
          LEDGER_CHECKPOINT_KEY), without the API:
        </p>
        <pre class="commands">{`npx compliance-ledger verify --store sqlite:./data/ledger.sqlite
npx compliance-ledger audit --trusted trusted.note --store sqlite:./data/ledger.sqlite \\
  --key-dir ./data/checkpoint-key`}</pre>
        <p>
          The audit verifies the signature and the consistency proof from your note to the latest
          checkpoint, recomputes the root from every event, and replaces your note only when all of
          it holds.
        </p>
        <button type="button" disabled={!ready} onClick={downloadReport}>
          Download the audit report (JSON)
        </button>
      </section>
    </section>
  );
}
