import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MerkleTree } from '../../src/core/merkle/tree.ts';
import { leafHash } from '../../src/core/merkle-leaf.ts';
import {
  type CheckpointKey,
  createCheckpointSigner,
  InconsistentCheckpointError,
  KEY_FILES,
  lastCheckpointFile,
  lastCheckpointInMemory,
  loadOrCreateSigningKey,
  signNote,
} from '../../src/integrity/checkpoint.ts';
import { CheckpointError, verifyCheckpoint } from '../../src/verify.ts';
import { leafInputs } from './rfc6962.ts';

const folders: string[] = [];
function tempFolder(): string {
  const folder = mkdtempSync(join(tmpdir(), 'ledger-checkpoint-'));
  folders.push(folder);
  return folder;
}
afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

const ORIGIN = 'ledger.example/american-locker';

function treeOf(size: number): MerkleTree {
  const tree = new MerkleTree();
  for (const input of leafInputs(size)) tree.append(leafHash(input));
  return tree;
}

function signerFor(
  tree: MerkleTree,
  key: CheckpointKey = loadOrCreateSigningKey(tempFolder(), ORIGIN),
) {
  return { key, signer: createCheckpointSigner({ key, tree, last: lastCheckpointInMemory() }) };
}

describe('signing keys', () => {
  it('creates an Ed25519 key on first use, private key mode 0600, and loads it afterwards', () => {
    const folder = tempFolder();
    const key = loadOrCreateSigningKey(folder, ORIGIN);
    expect(key.privateKey.asymmetricKeyType).toBe('ed25519');
    expect(statSync(join(folder, KEY_FILES.privateKey)).mode & 0o777).toBe(0o600);
    expect(statSync(folder).mode & 0o777).toBe(0o700);
    expect(readFileSync(join(folder, KEY_FILES.publicKey), 'utf8')).toBe(key.publicKeyPem);
    expect(readFileSync(join(folder, KEY_FILES.verifierKey), 'utf8')).toBe(`${key.verifierKey}\n`);
    expect(key.verifierKey).toMatch(
      /^ledger\.example\/american-locker\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}$/,
    );

    const again = loadOrCreateSigningKey(folder, ORIGIN);
    expect(again.verifierKey).toBe(key.verifierKey);
    expect(again.publicKeyPem).toBe(key.publicKeyPem);
  });

  it('refuses a private key file that group or others may read', () => {
    const folder = tempFolder();
    loadOrCreateSigningKey(folder, ORIGIN);
    chmodSync(join(folder, KEY_FILES.privateKey), 0o644);
    expect(() => loadOrCreateSigningKey(folder, ORIGIN)).toThrow(/mode 0644.*chmod 600/);
  });

  it('refuses a key name with a space or a plus', () => {
    expect(() => loadOrCreateSigningKey(tempFolder(), 'my ledger')).toThrow(/key name/);
    expect(() => loadOrCreateSigningKey(tempFolder(), 'a+b')).toThrow(/key name/);
    expect(() => loadOrCreateSigningKey(tempFolder(), '')).toThrow(/key name/);
  });

  it('signs only note texts the signed-note spec allows', () => {
    const key = loadOrCreateSigningKey(tempFolder(), ORIGIN);
    expect(() => signNote('no final newline', key)).toThrow(/ends in a newline/);
    expect(() => signNote('', key)).toThrow(/ends in a newline/);
    expect(() => signNote('carriage\r\n', key)).toThrow(/control character/);
  });

  it("reproduces Go's sumdb/note example byte for byte (golang.org/x/mod/sumdb/note)", () => {
    // The example signer key PRIVATE+KEY+PeterNeumann+c74f20a3+<base64(0x01 || seed)>.
    const seed = Buffer.from('AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz', 'base64').subarray(1);
    const pkcs8 = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]);
    const folder = tempFolder();
    writeFileSync(
      join(folder, KEY_FILES.privateKey),
      `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64')}\n-----END PRIVATE KEY-----\n`,
      { mode: 0o600 },
    );
    const key = loadOrCreateSigningKey(folder, 'PeterNeumann');
    expect(key.verifierKey).toBe(
      'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW',
    );
    const text =
      'If you think cryptography is the answer to your problem,\n' +
      "then you don't know what your problem is.\n";
    expect(signNote(text, key)).toBe(
      `${text}\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`,
    );
  });
});

describe('checkpoints', () => {
  const tree = treeOf(13);
  const { key, signer } = signerFor(tree);
  let note = '';
  beforeAll(async () => {
    note = await signer.sign(13, tree.root());
  });

  it('is the C2SP tlog-checkpoint text and one Ed25519 signature line', () => {
    const root = Buffer.from(tree.root()).toString('base64');
    const [body, signatureLine] = note.split('\n\n') as [string, string];
    expect(`${body}\n`).toBe(`${ORIGIN}\n13\n${root}\n`);
    const match = /^\u2014 (\S+) (\S+)\n$/u.exec(signatureLine);
    expect(match?.[1]).toBe(ORIGIN);
    const signature = Buffer.from(match?.[2] ?? '', 'base64');
    expect(signature).toHaveLength(4 + 64);
    expect(signature.subarray(0, 4)).toEqual(Buffer.from(key.keyId));
  });

  it('verifies with the verifier key and with the PEM, giving origin, size and root', () => {
    const expected = { origin: ORIGIN, treeSize: 13, rootHash: new Uint8Array(tree.root()) };
    expect(verifyCheckpoint(note, key.verifierKey)).toEqual(expected);
    expect(verifyCheckpoint(note, key.publicKeyPem)).toEqual(expected);
  });

  it('verifies a real sum.golang.org checkpoint with the Go checksum database key', () => {
    const goNote =
      'go.sum database tree\n65209736\n5+uGFjx6xBZG8ip1+wi77v+grwbhhukIrxEUS8PXvRo=\n\n' +
      '\u2014 sum.golang.org Az3grnbssgK7ubgFX36gVETtNv0U23qxyAhAMai2QUfeGa3nB/akvkMdlUErfcZz7l/R3cVtYspg3dxXABkGZZKdsQ8=\n';
    const goKey = 'sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8';
    const checkpoint = verifyCheckpoint(goNote, goKey);
    expect(checkpoint.origin).toBe('go.sum database tree');
    expect(checkpoint.treeSize).toBe(65209736);
    expect(Buffer.from(checkpoint.rootHash).toString('base64')).toBe(
      '5+uGFjx6xBZG8ip1+wi77v+grwbhhukIrxEUS8PXvRo=',
    );
    expect(() => verifyCheckpoint(goNote.replace('65209736', '65209737'), goKey)).toThrow(
      /signature of sum.golang.org does not verify/,
    );
  });

  it('ignores signature lines of other keys, as witness cosignatures are', () => {
    const other = loadOrCreateSigningKey(tempFolder(), 'witness.example/w1');
    const cosigned = note + signNote(`${note.split('\n\n')[0]}\n`, other).split('\n\n')[1];
    expect(cosigned.split('\n\u2014 ')).toHaveLength(3);
    expect(verifyCheckpoint(cosigned, key.verifierKey).treeSize).toBe(13);
    expect(verifyCheckpoint(cosigned, other.verifierKey).treeSize).toBe(13);
  });

  const rootText = Buffer.from(tree.root()).toString('base64');
  const otherRootText = Buffer.from(tree.root(12)).toString('base64');

  it.each([
    ['a tree size', (n: string) => n.replace('\n13\n', '\n14\n')],
    ['a root hash', (n: string) => n.replace(rootText, otherRootText)],
    ['the origin', (n: string) => n.replace(ORIGIN, 'ledger.example/someone-else')],
    ['an extension line', (n: string) => n.replace('\n\n', '\nextra\n\n')],
  ])('refuses a note with a changed %s', (_, tamper) => {
    const tampered = tamper(note);
    expect(tampered).not.toBe(note);
    expect(() => verifyCheckpoint(tampered, key.verifierKey)).toThrow(
      `checkpoint: the signature of ${ORIGIN} does not verify`,
    );
  });

  it('refuses a note no signature of the key covers', () => {
    const stranger = loadOrCreateSigningKey(tempFolder(), ORIGIN);
    expect(() => verifyCheckpoint(note, stranger.verifierKey)).toThrow(
      /checkpoint: no signature by the key ledger\.example\/american-locker\+[0-9a-f]{8}/,
    );
    expect(() => verifyCheckpoint(note, stranger.publicKeyPem)).toThrow(
      'checkpoint: no signature by the key (PEM)',
    );
  });

  it('refuses truncated, missing or malformed signatures', () => {
    const [body, line] = note.split('\n\n') as [string, string];
    const blob = line.slice(line.lastIndexOf(' ') + 1, -1);
    const cases: [string, string, RegExp][] = [
      [
        'signature cut short',
        `${body}\n\n\u2014 ${ORIGIN} ${blob.slice(0, 40)}\n`,
        /signature line 1 is malformed|does not verify/,
      ],
      [
        'signature shortened by bytes',
        `${body}\n\n\u2014 ${ORIGIN} ${Buffer.from(blob, 'base64').subarray(0, 60).toString('base64')}\n`,
        /does not verify/,
      ],
      ['no signature line', `${body}\n\n`, /no signature lines/],
      ['no blank line', `${body}\n`, /no blank line/],
      ['no final newline', note.slice(0, -1), /does not end in a newline/],
      ['hyphen for the em dash', note.replace('\u2014', '-'), /signature line 1 is malformed/],
      ['non-canonical base64', note.replace(/=\n$/, '\n'), /signature line 1 is malformed/],
      ['control character', note.replace('\n13\n', '\n13\r\n'), /control character/],
      ['lone surrogate', note.replace(ORIGIN, `${ORIGIN}\ud800`), /UTF-8/],
    ];
    for (const [what, bad, error] of cases) {
      expect(() => verifyCheckpoint(bad, key.verifierKey), what).toThrow(error);
    }
    expect(() => verifyCheckpoint(note, key.verifierKey)).not.toThrow();
  });

  it('refuses a signed body that is not a checkpoint', () => {
    const cases: [string, string, RegExp][] = [
      ['two lines', `${ORIGIN}\n13\n`, /fewer than three lines/],
      [
        'leading zero',
        `${ORIGIN}\n013\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n`,
        /tree size/,
      ],
      [
        'negative size',
        `${ORIGIN}\n-1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n`,
        /tree size/,
      ],
      [
        'size beyond 2^53',
        `${ORIGIN}\n9007199254740993\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n`,
        /tree size/,
      ],
      ['short root', `${ORIGIN}\n13\nAAAA\n`, /root hash/],
      [
        'empty line',
        `${ORIGIN}\n\n13\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n`,
        /empty line/,
      ],
    ];
    for (const [what, body, error] of cases) {
      expect(() => verifyCheckpoint(signNote(body, key), key.verifierKey), what).toThrow(error);
    }
  });

  it('refuses a public key that is not a sound Ed25519 key', () => {
    const [name, id, ...rest] = key.verifierKey.split('+');
    const material = rest.join('+');
    const cases: [string, string, RegExp][] = [
      ['wrong key ID', `${name}+00000000+${material}`, /key ID does not match/],
      ['other name, same key', `ledger.example/other+${id}+${material}`, /key ID does not match/],
      ['short key ID', `${name}+${id?.slice(1)}+${material}`, /8 hex digits/],
      [
        'not Ed25519',
        `${name}+${id}+${Buffer.concat([Buffer.from([2]), Buffer.from(material, 'base64').subarray(1)]).toString('base64')}`,
        /not an Ed25519 verifier key/,
      ],
      ['garbage', 'not a key', /neither PEM nor/],
      [
        'broken PEM',
        '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n',
        /not a PEM public key/,
      ],
    ];
    for (const [what, publicKey, error] of cases) {
      expect(() => verifyCheckpoint(note, publicKey), what).toThrow(error);
      expect(() => verifyCheckpoint(note, publicKey), what).toThrow(CheckpointError);
    }
  });
});

describe('the checkpoint signer', () => {
  it('signs growing trees, each checkpoint consistent with the last one', async () => {
    const tree = treeOf(5);
    const { key, signer } = signerFor(tree);
    expect(await signer.last()).toBeUndefined();
    await signer.sign(5, tree.root());
    for (const input of leafInputs(40).slice(5)) tree.append(leafHash(input));
    const note = await signer.sign(40, tree.root());
    expect(verifyCheckpoint(note, key.verifierKey).treeSize).toBe(40);
    expect((await signer.last())?.treeSize).toBe(40);
    // The same checkpoint again is no contradiction (and Ed25519 signs it identically).
    expect(await signer.sign(40, tree.root())).toBe(note);
  });

  it('refuses a smaller tree, another root for the same size, or a root no proof links', async () => {
    const tree = treeOf(20);
    const { signer } = signerFor(tree);
    await signer.sign(12, tree.root(12));
    const last = await signer.last();

    await expect(signer.sign(11, tree.root(11))).rejects.toThrow(InconsistentCheckpointError);
    await expect(signer.sign(11, tree.root(11))).rejects.toThrow(/the tree would shrink/);
    await expect(signer.sign(12, tree.root(13))).rejects.toThrow(/another root for the same size/);
    // A rewritten history: 20 leaves whose first 12 differ from the signed ones.
    const rewritten = new MerkleTree();
    for (const input of leafInputs(20))
      rewritten.append(leafHash(Buffer.concat([input, Buffer.from('!')])));
    await expect(signer.sign(20, rewritten.root())).rejects.toThrow(
      /consistency proof from the last checkpoint does not verify/,
    );
    expect(await signer.last()).toEqual(last);
    await expect(signer.sign(20, tree.root())).resolves.toBeTypeOf('string');
  });

  it('refuses when the tree it proves with was rewritten under it', async () => {
    const tree = treeOf(8);
    const key = loadOrCreateSigningKey(tempFolder(), ORIGIN);
    const last = lastCheckpointInMemory();
    await createCheckpointSigner({ key, tree, last }).sign(8, tree.root());
    const forged = new MerkleTree();
    for (const input of leafInputs(9))
      forged.append(leafHash(Buffer.concat([input, Buffer.from('?')])));
    const signer = createCheckpointSigner({ key, tree: forged, last });
    await expect(signer.sign(9, forged.root())).rejects.toThrow(InconsistentCheckpointError);
  });

  it('remembers the last checkpoint across restarts in a file', async () => {
    const folder = tempFolder();
    const key = loadOrCreateSigningKey(folder, ORIGIN);
    const path = join(folder, 'last-checkpoint');
    const tree = treeOf(9);
    await createCheckpointSigner({ key, tree, last: lastCheckpointFile(path) }).sign(
      9,
      tree.root(),
    );
    expect(verifyCheckpoint(readFileSync(path, 'utf8'), key.verifierKey).treeSize).toBe(9);

    const restarted = createCheckpointSigner({ key, tree, last: lastCheckpointFile(path) });
    expect((await restarted.last())?.treeSize).toBe(9);
    await expect(restarted.sign(8, tree.root(8))).rejects.toThrow(InconsistentCheckpointError);
  });

  it('refuses to go on from a last checkpoint it cannot verify', async () => {
    const tree = treeOf(3);
    const { key, signer } = signerFor(tree);
    const note = await signer.sign(3, tree.root());
    const tampered = lastCheckpointInMemory();
    tampered.save(note.replace('\n3\n', '\n2\n'));
    const confused = createCheckpointSigner({ key, tree, last: tampered });
    await expect(confused.sign(3, tree.root())).rejects.toThrow(
      /last signed checkpoint does not verify/,
    );
    const elsewhere = lastCheckpointInMemory();
    elsewhere.save(note);
    const other = createCheckpointSigner({
      key,
      tree,
      origin: 'ledger.example/other',
      last: elsewhere,
    });
    await expect(other.sign(3, tree.root())).rejects.toThrow(
      /of origin ledger\.example\/american-locker/,
    );
  });

  it('signs the empty tree and then any tree', async () => {
    const tree = treeOf(4);
    const { key, signer } = signerFor(tree);
    expect(verifyCheckpoint(await signer.sign(0, tree.root(0)), key.verifierKey)).toEqual({
      origin: ORIGIN,
      treeSize: 0,
      rootHash: new Uint8Array(tree.root(0)),
    });
    await expect(signer.sign(4, tree.root())).resolves.toBeTypeOf('string');
  });
});
