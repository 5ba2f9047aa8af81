/**
 * The offline verifier an outside auditor runs (docs/design.md §7): RFC 6962 / RFC 9162
 * Merkle inclusion and consistency proofs, and C2SP `tlog-checkpoint` signed notes with Ed25519
 * signatures (c2sp.org/signed-note). It depends on node:crypto only, never on a store, the
 * server or a schema library, so it can be copied out and run anywhere.
 *
 * Every check fails closed: malformed input (a hash that is not 32 bytes, a size that is not a
 * non-negative safe integer, an impossible index, a proof of the wrong length) gives `false`, or
 * a CheckpointError from verifyCheckpoint, never "verified".
 */
import { createPublicKey, hash, type KeyObject, verify, X509Certificate } from 'node:crypto';

const HASH_BYTES = 32;
const ED25519_SIGNATURE_BYTES = 64;
/** Signature type byte of Ed25519 in signed notes. */
const ED25519_TYPE = 0x01;
/** Go's sumdb/note cap; the signed-note spec asks verifiers to accept at least 16. */
const MAX_SIGNATURES = 100;
const MAX_NOTE_LENGTH = 1 << 20;

function sha256(data: Uint8Array): Buffer {
  // Through a 'binary' (latin1) string: in Node 20 a 'buffer' digest is two to three times slower.
  return Buffer.from(hash('sha256', data, 'binary'), 'binary');
}

/** MTH({}) of RFC 6962: the root of the empty tree, SHA-256 of no bytes. */
export const EMPTY_ROOT: Uint8Array = sha256(new Uint8Array(0));
/** The copy checks compare with, out of reach of callers who might write into EMPTY_ROOT. */
const EMPTY = Uint8Array.from(EMPTY_ROOT);

/** RFC 6962 leaf hash: SHA-256(0x00 || leaf input). */
export function leafHashOf(leafInput: Uint8Array): Uint8Array {
  const data = Buffer.allocUnsafe(1 + leafInput.length);
  data[0] = 0x00;
  data.set(leafInput, 1);
  return sha256(data);
}

/** RFC 6962 interior node hash: SHA-256(0x01 || left || right). */
export function nodeHashOf(left: Uint8Array, right: Uint8Array): Uint8Array {
  if (!isHash(left) || !isHash(right)) throw new TypeError('a node hash takes two 32-byte hashes');
  const data = Buffer.allocUnsafe(1 + 2 * HASH_BYTES);
  data[0] = 0x01;
  data.set(left, 1);
  data.set(right, 1 + HASH_BYTES);
  return sha256(data);
}

/**
 * RFC 9162 section 2.1.3.2: does `proof` show that the leaf with hash `leafHash` is leaf
 * `leafIndex` (0-based) of the tree of `treeSize` leaves whose root is `rootHash`?
 *
 * The proof binds the root, not the size on its own: pair the size and root from one signed
 * checkpoint (verifyCheckpoint), never a size from one source and a root from another.
 */
export function verifyInclusion(
  leafHash: Uint8Array,
  leafIndex: number,
  treeSize: number,
  proof: readonly Uint8Array[],
  rootHash: Uint8Array,
): boolean {
  if (!isHash(leafHash) || !isHash(rootHash) || !isProof(proof)) return false;
  if (!isCount(leafIndex) || !isCount(treeSize) || leafIndex >= treeSize) return false;
  let fn = leafIndex;
  let sn = treeSize - 1;
  let r = leafHash;
  for (const p of proof) {
    if (sn === 0) return false;
    if (isOdd(fn) || fn === sn) {
      r = nodeHashOf(p, r);
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      r = nodeHashOf(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && equalBytes(r, rootHash);
}

/**
 * RFC 9162 section 2.1.4.2: does `proof` show that the tree of `size2` leaves with root `root2`
 * is the tree of `size1` leaves with root `root1` plus appended leaves?
 *
 * The cases the RFC algorithm leaves out (it assumes 0 < size1 < size2): equal sizes need an
 * empty proof and equal roots; size1 = 0 needs an empty proof and root1 = EMPTY_ROOT, the only
 * root an empty tree has.
 */
export function verifyConsistency(
  size1: number,
  size2: number,
  proof: readonly Uint8Array[],
  root1: Uint8Array,
  root2: Uint8Array,
): boolean {
  if (!isHash(root1) || !isHash(root2) || !isProof(proof)) return false;
  if (!isCount(size1) || !isCount(size2) || size1 > size2) return false;
  if (size1 === 0) {
    return (
      proof.length === 0 && equalBytes(root1, EMPTY) && (size2 > 0 || equalBytes(root2, EMPTY))
    );
  }
  if (size1 === size2) return proof.length === 0 && equalBytes(root1, root2);

  if (proof.length === 0) return false;
  const path = isPowerOfTwo(size1) ? [root1, ...proof] : proof;
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (isOdd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr = path[0] as Uint8Array;
  let sr = fr;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (isOdd(fn) || fn === sn) {
      fr = nodeHashOf(c, fr);
      sr = nodeHashOf(c, sr);
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      sr = nodeHashOf(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && equalBytes(fr, root1) && equalBytes(sr, root2);
}

/** What a verified checkpoint states. Compare `origin` with the log you expect. */
export interface VerifiedCheckpoint {
  origin: string;
  treeSize: number;
  rootHash: Uint8Array;
}

/** A checkpoint or a public key that does not verify; the message names what failed. */
export class CheckpointError extends Error {
  override readonly name = 'CheckpointError';
}

/**
 * Parses and verifies a C2SP `tlog-checkpoint` signed note against one Ed25519 public key, given
 * either as a signed-note verifier key (`<name>+<hex key ID>+<base64(0x01 || key)>`, as Go's
 * sumdb/note prints it) or as PEM. With a verifier key only signature lines of that name and key
 * ID count; with PEM, any line whose key ID is SHA-256(its name || 0x0A || 0x01 || key)[:4].
 * Lines of other keys (witness cosignatures, a rotated key) are ignored, as the spec requires;
 * a line of this key that fails to verify rejects the whole note.
 */
export function verifyCheckpoint(note: string, publicKey: string): VerifiedCheckpoint {
  return parseBody(verifyNote(note, publicKey));
}

/**
 * Verifies a signed note (c2sp.org/signed-note) against one Ed25519 public key, with the rules
 * of verifyCheckpoint, and returns its text (through the last newline before the blank line).
 * The text's own form is the caller's to check, e.g. a ledger receipt (docs/receipts.md).
 */
export function verifyNote(note: string, publicKey: string): string {
  const key = parsePublicKey(publicKey);
  if (typeof note !== 'string') fail('the note is not text');
  if (note.length > MAX_NOTE_LENGTH) fail('the note is longer than 1 MiB');
  if (/\p{Cs}/u.test(note)) fail('the note is not valid UTF-8 (lone surrogate)');
  if (hasControlCharacter(note)) fail('the note contains a control character other than newline');

  const blank = note.lastIndexOf('\n\n');
  if (blank < 0) fail('no blank line separates the checkpoint from its signatures');
  const text = note.slice(0, blank + 1);
  const signatures = note.slice(blank + 2);
  if (signatures === '') fail('no signature lines');
  if (!signatures.endsWith('\n')) fail('the last signature line does not end in a newline');
  const lines = signatures.slice(0, -1).split('\n');
  if (lines.length > MAX_SIGNATURES) fail(`more than ${MAX_SIGNATURES} signature lines`);

  const signed = Buffer.from(text, 'utf8');
  let verified = false;
  lines.forEach((line, i) => {
    const match = /^\u2014 ([^\s+]+) (\S+)$/u.exec(line);
    const bytes = match && decodeBase64(match[2] as string);
    if (!match || !bytes || bytes.length < 4) fail(`signature line ${i + 1} is malformed`);
    const name = match[1] as string;
    if (!key.signs(name, bytes.subarray(0, 4))) return;
    const signature = bytes.subarray(4);
    if (
      signature.length !== ED25519_SIGNATURE_BYTES ||
      !verify(null, signed, key.object, signature)
    ) {
      fail(`the signature of ${name} does not verify`);
    }
    verified = true;
  });
  if (!verified) fail(`no signature by the key ${key.description}`);
  return text;
}

/** The 4-byte signed-note key ID of an Ed25519 key: SHA-256(name || 0x0A || 0x01 || key)[:4]. */
export function ed25519KeyId(keyName: string, rawPublicKey: Uint8Array): Uint8Array {
  const name = Buffer.from(keyName, 'utf8');
  const input = Buffer.concat([name, Buffer.from([0x0a, ED25519_TYPE]), rawPublicKey]);
  return sha256(input).subarray(0, 4);
}

/** Key names MUST be non-empty and contain no Unicode space or `+` (signed-note). */
export function isKeyName(name: string): boolean {
  return /^[^\s+]+$/u.test(name) && !hasControlCharacter(name);
}

interface TrustedKey {
  object: KeyObject;
  description: string;
  signs(name: string, keyId: Uint8Array): boolean;
}

function parsePublicKey(publicKey: string): TrustedKey {
  if (typeof publicKey !== 'string') fail('public key: not text');
  if (publicKey.trimStart().startsWith('-----BEGIN')) {
    let object: KeyObject;
    try {
      object = createPublicKey(publicKey);
    } catch {
      fail('public key: not a PEM public key');
    }
    if (object.asymmetricKeyType !== 'ed25519') fail('public key: not an Ed25519 key');
    const raw = Buffer.from(object.export({ format: 'jwk' }).x ?? '', 'base64url');
    return {
      object,
      description: '(PEM)',
      signs: (name, keyId) => equalBytes(keyId, ed25519KeyId(name, raw)),
    };
  }
  // The base64 part may itself contain `+`: split at the first two only, as Go's note does.
  const first = publicKey.indexOf('+');
  const second = publicKey.indexOf('+', first + 1);
  if (first < 0 || second < 0) fail('public key: neither PEM nor <name>+<key ID>+<key>');
  const name = publicKey.slice(0, first);
  const keyIdHex = publicKey.slice(first + 1, second);
  const typed = decodeBase64(publicKey.slice(second + 1));
  if (!isKeyName(name)) fail('public key: the key name is empty or has a space or `+`');
  if (!/^[0-9a-fA-F]{8}$/.test(keyIdHex)) fail('public key: the key ID is not 8 hex digits');
  if (!typed || typed.length !== 1 + HASH_BYTES || typed[0] !== ED25519_TYPE) {
    fail('public key: not an Ed25519 verifier key (base64 of 0x01 and 32 bytes)');
  }
  const raw = typed.subarray(1);
  const keyId = ed25519KeyId(name, raw);
  if (Buffer.from(keyId).toString('hex') !== keyIdHex.toLowerCase()) {
    fail('public key: the key ID does not match the name and key');
  }
  let object: KeyObject;
  try {
    object = createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') },
      format: 'jwk',
    });
  } catch {
    fail('public key: not a valid Ed25519 key');
  }
  return {
    object,
    description: `${name}+${keyIdHex}`,
    signs: (lineName, lineKeyId) => lineName === name && equalBytes(lineKeyId, keyId),
  };
}

/** The checkpoint body: origin, decimal tree size, base64 root hash, optional extension lines. */
function parseBody(text: string): VerifiedCheckpoint {
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) fail('the checkpoint has fewer than three lines');
  if (lines.includes('')) fail('the checkpoint has an empty line');
  const [origin, sizeText, rootText] = lines as [string, string, string];
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText))) {
    fail('the tree size is not a decimal integer without leading zeros');
  }
  const rootHash = decodeBase64(rootText);
  if (!rootHash || rootHash.length !== HASH_BYTES) {
    fail('the root hash is not the base64 of 32 bytes');
  }
  return { origin, treeSize: Number(sizeText), rootHash: new Uint8Array(rootHash) };
}

/** Standard base64 (RFC 4648 section 4) in its one canonical spelling, or undefined. */
function decodeBase64(text: string): Buffer | undefined {
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  // Rejects padding bits that are not zero: one byte string, one text.
  return bytes.toString('base64') === text ? bytes : undefined;
}

function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 && code !== 0x0a) return true;
  }
  return false;
}

function fail(message: string): never {
  throw new CheckpointError(`checkpoint: ${message}`);
}

function isHash(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array && value.length === HASH_BYTES;
}

function isProof(proof: unknown): proof is readonly Uint8Array[] {
  return Array.isArray(proof) && proof.every(isHash);
}

/** A tree size or leaf index: a non-negative safe integer (exact in a double). */
function isCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

// Arithmetic, not bitwise operators: those truncate to 32 bits, sizes go up to 2^53 - 1.
function isOdd(n: number): boolean {
  return n % 2 === 1;
}

function half(n: number): number {
  return Math.floor(n / 2);
}

function isPowerOfTwo(n: number): boolean {
  let m = n;
  while (m > 1 && !isOdd(m)) m = half(m);
  return m === 1;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Signature type byte of Ed25519 cosignatures (c2sp.org/tlog-cosignature, cosignature/v1). */
const COSIGNATURE_V1_TYPE = 0x04;
/** The first line of the message a cosignature/v1 signs, then `time <seconds>`, then the body. */
export const COSIGNATURE_V1_HEADER = 'cosignature/v1';

/** A witness's verifier key: `<name>+<hex key ID>+<base64(0x04 || 32-byte Ed25519 key)>`. */
export interface WitnessKey {
  name: string;
  keyId: Uint8Array;
  object: KeyObject;
}

/** The key ID of an Ed25519 witness: SHA-256(name || 0x0A || 0x04 || key)[:4]. */
export function cosignerKeyId(name: string, rawPublicKey: Uint8Array): Uint8Array {
  const input = Buffer.concat([
    Buffer.from(name, 'utf8'),
    Buffer.from([0x0a, COSIGNATURE_V1_TYPE]),
    rawPublicKey,
  ]);
  return sha256(input).subarray(0, 4);
}

/** Parses a witness verifier key; a CheckpointError names what is wrong with it. */
export function parseWitnessKey(vkey: string): WitnessKey {
  const [name, keyIdHex, typedText, ...rest] = typeof vkey === 'string' ? vkey.split('+') : [];
  const typed = decodeBase64(rest.length > 0 ? [typedText, ...rest].join('+') : (typedText ?? ''));
  if (name === undefined || !isKeyName(name) || !/^[0-9a-fA-F]{8}$/.test(keyIdHex ?? ''))
    fail(`witness key ${JSON.stringify(vkey)}: not <name>+<key ID>+<key>`);
  if (!typed || typed.length !== 1 + HASH_BYTES || typed[0] !== COSIGNATURE_V1_TYPE)
    fail(`witness key ${name}: not a cosignature/v1 key (base64 of 0x04 and 32 bytes)`);
  const raw = typed.subarray(1);
  const keyId = cosignerKeyId(name, raw);
  if (Buffer.from(keyId).toString('hex') !== (keyIdHex as string).toLowerCase())
    fail(`witness key ${name}: the key ID does not match the name and key`);
  const object = createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') },
    format: 'jwk',
  });
  return { name, keyId, object };
}

/** The message a cosignature/v1 signs: header, `time <timestamp>`, the checkpoint body. */
export function cosignedMessage(body: string, timestamp: number): Buffer {
  return Buffer.from(`${COSIGNATURE_V1_HEADER}\ntime ${timestamp}\n${body}`, 'utf8');
}

/**
 * The witnesses among `witnesses` whose cosignature/v1 on `note` verifies, each with the time it
 * states. Lines of other keys are ignored; a line with a witness's name and key ID that does not
 * verify rejects the note (signed-note: it is malformed).
 */
export function cosignersOf(
  note: string,
  witnesses: readonly WitnessKey[],
): { name: string; timestamp: number }[] {
  const blank = note.lastIndexOf('\n\n');
  if (blank < 0) fail('no blank line separates the checkpoint from its signatures');
  const body = note.slice(0, blank + 1);
  const found: { name: string; timestamp: number }[] = [];
  for (const line of note.slice(blank + 2).split('\n')) {
    const match = /^\u2014 ([^\s+]+) (\S+)$/u.exec(line);
    const bytes = match && decodeBase64(match[2] as string);
    if (!match || !bytes || bytes.length < 4) continue;
    const witness = witnesses.find(
      (w) => w.name === match[1] && equalBytes(w.keyId, bytes.subarray(0, 4)),
    );
    if (witness === undefined || found.some((f) => f.name === witness.name)) continue;
    const signed = bytes.subarray(4);
    const timestamp =
      signed.length === 8 + ED25519_SIGNATURE_BYTES ? signed.readBigUInt64BE(0) : -1n;
    if (
      timestamp < 1n ||
      timestamp > BigInt(Number.MAX_SAFE_INTEGER) ||
      !verify(null, cosignedMessage(body, Number(timestamp)), witness.object, signed.subarray(8))
    )
      fail(`the cosignature of witness ${witness.name} does not verify`);
    found.push({ name: witness.name, timestamp: Number(timestamp) });
  }
  return found;
}

/** Who must have signed a checkpoint for it to count as published (docs/design.md, "Witnesses"). */
export interface WitnessPolicy {
  /** The log's verifier key (or PEM). */
  log: string;
  /** The witnesses' cosignature/v1 verifier keys. */
  witnesses: readonly string[];
  /** How many of them must have cosigned; 0 with no witness. */
  quorum: number;
}

/**
 * Verifies a checkpoint against a policy: the log's signature and at least `quorum` valid
 * cosignatures of distinct witnesses of the policy. A CheckpointError names what is missing.
 */
export function verifyCosignedCheckpoint(
  note: string,
  policy: WitnessPolicy,
): VerifiedCheckpoint & { cosigners: string[] } {
  const checkpoint = verifyCheckpoint(note, policy.log);
  const cosigners = cosignersOf(note, policy.witnesses.map(parseWitnessKey)).map((c) => c.name);
  if (cosigners.length < policy.quorum)
    fail(
      `tree size ${checkpoint.treeSize} is cosigned by ${cosigners.length} of the policy's witnesses (${cosigners.join(', ') || 'none'}), fewer than the ${policy.quorum} it requires: it was never published, or a witness refused it`,
    );
  return { ...checkpoint, cosigners };
}

/**
 * Parses a policy file: lines `log <vkey>`, `witness <vkey>` (any number) and `quorum <k>`;
 * `#` starts a comment. Without a quorum line every witness must cosign.
 */
export function parseWitnessPolicy(text: string): WitnessPolicy {
  let log: string | undefined;
  let quorum: number | undefined;
  const witnesses: string[] = [];
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.replace(/#.*/, '').trim();
    if (line === '') continue;
    const [word, value, ...rest] = line.split(/\s+/);
    if (value === undefined || rest.length > 0) fail(`policy line ${i + 1}: not "<word> <value>"`);
    if (word === 'log') log = value;
    else if (word === 'witness') witnesses.push(parseWitnessKey(value) && value);
    else if (word === 'quorum' && /^(0|[1-9][0-9]*)$/.test(value)) quorum = Number(value);
    else fail(`policy line ${i + 1}: expected log, witness or quorum <number>`);
  }
  if (log === undefined) fail('policy: no "log <verifier key>" line');
  const k = quorum ?? witnesses.length;
  if (k > witnesses.length)
    fail(`policy: quorum ${k} is more than the ${witnesses.length} witnesses it names`);
  return { log, witnesses, quorum: k };
}

/** The first line of every receipt: never an origin (it has spaces), so never a checkpoint. */
export const RECEIPT_HEADER = 'compliance-ledger receipt v1';

/** What a receipt states (docs/receipts.md); `answer` is the API's answer without programId. */
export interface ReceiptBody {
  kind: 'status' | 'timeline';
  query: { programId: string; at: string | null; asKnownAt: string | null };
  answer: unknown;
  checkpoint: {
    origin: string;
    treeSize: number;
    rootHash: string;
    /** The checkpoint as published, with the witnesses' cosignatures (absent before them). */
    note?: string;
    /** The checkpoint's RFC 3161 timestamp token, base64 DER, when one was kept by then. */
    timestamp?: string;
  };
  issuedAt: string;
}

/**
 * Verifies a receipt's signature against the checkpoint key and returns what it states; a
 * CheckpointError names what failed (a changed byte fails the signature). The answer itself is
 * checked against the ledger by recomputing it at `checkpoint.treeSize`. With a witness policy
 * the checkpoint the receipt cites must be one the witnesses' quorum cosigned: its note, carried
 * in the receipt, verifies under the policy and states the same origin, size and root.
 */
export function verifyReceipt(
  receipt: string,
  publicKey: string,
  policy?: WitnessPolicy,
): ReceiptBody {
  let text: string;
  try {
    text = verifyNote(receipt, publicKey);
  } catch (error) {
    if (!(error instanceof CheckpointError)) throw error;
    throw new CheckpointError(error.message.replace(/^checkpoint: /, 'receipt: '));
  }
  const [header, json, ...rest] = text.split('\n');
  if (header !== RECEIPT_HEADER || json === undefined || rest.join('') !== '')
    failReceipt(`not a receipt: the text is not "${RECEIPT_HEADER}" and one JSON line`);
  let body: unknown;
  try {
    body = JSON.parse(json);
  } catch {
    failReceipt('the body is not JSON');
  }
  const b = body as Partial<ReceiptBody> | null;
  const c = b?.checkpoint;
  if (
    (b?.kind !== 'status' && b?.kind !== 'timeline') ||
    typeof b.query?.programId !== 'string' ||
    typeof c?.origin !== 'string' ||
    !isCount(c.treeSize) ||
    typeof c.rootHash !== 'string' ||
    decodeBase64(c.rootHash)?.length !== HASH_BYTES ||
    typeof b.issuedAt !== 'string' ||
    !('answer' in b) ||
    (c.timestamp !== undefined && decodeBase64(c.timestamp) === undefined)
  )
    failReceipt('the body lacks kind, query, answer, checkpoint or issuedAt');
  if (policy !== undefined) {
    if (typeof c.note !== 'string') failReceipt('it carries no cosigned checkpoint');
    let cited: VerifiedCheckpoint;
    try {
      cited = verifyCosignedCheckpoint(c.note, policy);
    } catch (error) {
      if (!(error instanceof CheckpointError)) throw error;
      failReceipt(`the checkpoint it cites ${error.message.replace(/^checkpoint: /, '')}`);
    }
    if (
      cited.origin !== c.origin ||
      cited.treeSize !== c.treeSize ||
      Buffer.from(cited.rootHash).toString('base64') !== c.rootHash
    )
      failReceipt('the cosigned checkpoint it carries is not the one it cites');
  }
  return b as ReceiptBody;
}

/**
 * Verifies the timestamp token a receipt carries for the checkpoint it cites (see
 * verifyTimestampToken) against the authority's CA, PEM; verify the receipt itself first. A
 * receipt without a token fails: its checkpoint had not been timestamped when it was issued.
 */
export function verifyReceiptTimestamp(body: ReceiptBody, trustedPem: string): VerifiedTimestamp {
  const { timestamp, ...checkpoint } = body.checkpoint;
  const token = timestamp === undefined ? undefined : decodeBase64(timestamp);
  if (token === undefined)
    failTimestamp('the receipt carries no timestamp token (its checkpoint had none yet)');
  const rootHash = decodeBase64(checkpoint.rootHash) as Buffer;
  return verifyTimestampToken(token, checkpointText({ ...checkpoint, rootHash }), trustedPem);
}

/** The text of a checkpoint note (C2SP tlog-checkpoint): origin, size, base64 root, no extensions. */
export function checkpointText(checkpoint: VerifiedCheckpoint): string {
  const root = Buffer.from(checkpoint.rootHash).toString('base64');
  return `${checkpoint.origin}\n${checkpoint.treeSize}\n${root}\n`;
}

function failReceipt(message: string): never {
  throw new CheckpointError(`receipt: ${message}`);
}

/** What verifySignatures reads of each event: the envelope as `GET /v1/events` serves it. */
export interface LedgerEventEnvelope {
  eventId: string;
  position: number;
  type: string;
  data: unknown;
  metadata: { hash: string };
}

/** A signature that does not match what it signs; the message names the signature and the event. */
export interface SignatureProblem {
  signatureId: string;
  eventId: string | null;
  message: string;
}

export interface SignatureReport {
  /** The SignatureRecorded events checked. */
  signatures: number;
  problems: SignatureProblem[];
}

/**
 * Checks every signature of the ledger (docs/design.md "Signatures"): each event it names is in
 * the ledger, before it, with the hash the signature recorded. The events' own hashes are bound
 * by the hash chains and the Merkle leaves, which cover `metadata.hash`; this binds each
 * signature to exactly the events it names, so it cannot be moved to another one.
 */
export function verifySignatures(events: readonly LedgerEventEnvelope[]): SignatureReport {
  const byId = new Map(events.map((e) => [e.eventId, e]));
  const problems: SignatureProblem[] = [];
  let signatures = 0;
  for (const signature of events) {
    if (signature.type !== 'SignatureRecorded') continue;
    signatures++;
    const problem = (eventId: string | null, text: string) =>
      problems.push({
        signatureId: signature.eventId,
        eventId,
        message: `signature ${signature.eventId} (position ${signature.position}) ${text}`,
      });
    const named = (signature.data as { events?: unknown } | null)?.events;
    if (!Array.isArray(named) || named.length === 0) {
      problem(null, 'names no events');
      continue;
    }
    for (const entry of named as { eventId?: unknown; hash?: unknown }[]) {
      const eventId = typeof entry?.eventId === 'string' ? entry.eventId : null;
      const target = eventId === null ? undefined : byId.get(eventId);
      if (eventId === null || typeof entry.hash !== 'string')
        problem(eventId, 'names an event without id or hash');
      else if (!target) problem(eventId, `names event ${eventId}, which the ledger does not hold`);
      else if (target.position >= signature.position)
        problem(
          eventId,
          `names event ${eventId}, recorded after it at position ${target.position}`,
        );
      else if (target.metadata.hash !== entry.hash)
        problem(
          eventId,
          `signed event ${eventId} (position ${target.position}) when it had hash ${entry.hash}; it now has hash ${target.metadata.hash}: the event or the signature was altered`,
        );
    }
  }
  return { signatures, problems };
}

/*
 * RFC 3161 timestamp tokens (docs/design.md "Trusted time"): a timestamping authority's
 * signature (CMS SignedData, RFC 5652) over TSTInfo, which names the SHA-256 of a checkpoint's
 * text and the time the authority saw it. Read with a small DER reader of its own, so this file
 * stays one file with nothing to install.
 */

/** What a verified timestamp token states. */
export interface VerifiedTimestamp {
  /** When the authority saw the checkpoint (TSTInfo genTime), ISO 8601 in UTC. */
  genTime: string;
  /** The token's serial number, hex. */
  serialNumber: string;
  /** The nonce of the request, hex; undefined when the request had none. */
  nonce: string | undefined;
  /** The subject of the authority's certificate that signed it. */
  authority: string;
}

/** A timestamp token that does not verify; the message names what failed. */
export class TimestampError extends Error {
  override readonly name = 'TimestampError';
}

const OID = {
  signedData: '1.2.840.113549.1.7.2',
  tstInfo: '1.2.840.113549.1.9.16.1.4',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  sha256: '2.16.840.1.101.3.4.2.1',
  timeStamping: '1.3.6.1.5.5.7.3.8',
} as const;

/** Digest algorithms a token may use for its signed attributes, by OID. */
const DIGESTS: Record<string, string> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

/** The SHA-256 a timestamp of this checkpoint text names (its message imprint). */
export function timestampImprint(checkpointText: string): Uint8Array {
  return sha256(Buffer.from(checkpointText, 'utf8'));
}

/**
 * Verifies an RFC 3161 timestamp token (the DER ContentInfo, as `openssl ts -reply -token_out`
 * writes it) of the checkpoint whose text (origin, size, root hash lines, without signatures)
 * is `checkpointText`: its message imprint is SHA-256 of that text, its CMS signature verifies
 * with a certificate that the token or `trustedPem` holds, and that certificate is for
 * timestamping, valid at genTime, and is or chains to a certificate of `trustedPem` (the
 * authority's CA, PEM, one or more). Throws TimestampError naming what failed.
 */
export function verifyTimestampToken(
  token: Uint8Array,
  checkpointText: string,
  trustedPem: string,
): VerifiedTimestamp {
  const anchors = certificatesOfPem(trustedPem);
  if (anchors.length === 0) failTimestamp('no trusted certificate given (PEM)');
  const signed = signedDataOf(token);
  const info = tstInfoOf(signed.content);
  const imprint = info.imprint;
  if (imprint.algorithm !== OID.sha256) failTimestamp('the message imprint is not SHA-256');
  if (!equalBytes(imprint.hash, timestampImprint(checkpointText)))
    failTimestamp('it timestamps another text than this checkpoint');
  const signer = signerCertificate(signed, anchors);
  const at = Date.parse(info.genTime);
  if (at < Date.parse(signer.validFrom) || at > Date.parse(signer.validTo))
    failTimestamp('the authority certificate was not valid at the time stamped');
  if (!(signer.keyUsage ?? []).includes(OID.timeStamping))
    failTimestamp('the signing certificate is not for timestamping (extended key usage)');
  chainTo(signer, signed.certificates, anchors);
  return {
    genTime: info.genTime,
    serialNumber: info.serialNumber,
    nonce: info.nonce,
    authority: signer.subject.replaceAll('\n', ', '),
  };
}

/**
 * The token of a TimeStampResp (RFC 3161 section 2.4.2) whose status is granted (0) or granted
 * with modifications (1); a TimestampError naming the status otherwise.
 */
export function timestampTokenOf(response: Uint8Array): Uint8Array {
  const [status, token] = sequence(readDer(response, 0, 0x30), 1);
  const [code] = sequence(status as Der, 1);
  const value = integerOf(code as Der);
  if (value !== '00' && value !== '01')
    failTimestamp(`the authority refused the request (PKIStatus ${Number.parseInt(value, 16)})`);
  if (token === undefined) failTimestamp('the response has no token');
  return response.subarray(token.start, token.end);
}

interface Der {
  tag: number;
  /** Where the element starts (its tag), where its contents start and where it ends. */
  start: number;
  body: number;
  end: number;
  bytes: Uint8Array;
}

/** One DER element at `offset`; `tag` checks its tag. Definite lengths only, as DER requires. */
function readDer(bytes: Uint8Array, offset: number, tag?: number): Der {
  if (offset + 2 > bytes.length) failTimestamp('the token is cut short');
  const found = bytes[offset] as number;
  if ((found & 0x1f) === 0x1f) failTimestamp('the token has a tag DER timestamps never use');
  if (tag !== undefined && found !== tag)
    failTimestamp(`malformed token (tag 0x${found.toString(16)} where 0x${tag.toString(16)})`);
  let length = bytes[offset + 1] as number;
  let body = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4) failTimestamp('the token has a length DER does not allow');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + (bytes[body + i] as number);
    body += count;
  }
  const end = body + length;
  if (end > bytes.length) failTimestamp('the token is cut short');
  return { tag: found, start: offset, body, end, bytes };
}

/** The elements inside a constructed element; at least `min` of them. */
function sequence(der: Der, min = 0): Der[] {
  const children: Der[] = [];
  for (let at = der.body; at < der.end; ) {
    const child = readDer(der.bytes, at);
    if (child.end > der.end) failTimestamp('malformed token (an element overruns its parent)');
    children.push(child);
    at = child.end;
  }
  if (children.length < min) failTimestamp('malformed token (an element lacks its parts)');
  return children;
}

const contents = (der: Der) => der.bytes.subarray(der.body, der.end);
const whole = (der: Der) => der.bytes.subarray(der.start, der.end);

function integerOf(der: Der): string {
  if (der.tag !== 0x02) failTimestamp('malformed token (an integer expected)');
  return Buffer.from(contents(der)).toString('hex');
}

function oidOf(der: Der): string {
  if (der.tag !== 0x06) failTimestamp('malformed token (an object identifier expected)');
  const bytes = contents(der);
  const arcs: number[] = [];
  let value = 0;
  for (const byte of bytes) {
    value = value * 128 + (byte & 0x7f);
    if (byte & 0x80) continue;
    if (arcs.length === 0)
      arcs.push(value < 80 ? Math.floor(value / 40) : 2, value < 80 ? value % 40 : value - 80);
    else arcs.push(value);
    value = 0;
  }
  return arcs.join('.');
}

interface SignedData {
  content: Uint8Array;
  certificates: X509Certificate[];
  signer: Der;
}

function signedDataOf(token: Uint8Array): SignedData {
  const [type, explicit] = sequence(readDer(token, 0, 0x30), 2) as [Der, Der];
  if (oidOf(type) !== OID.signedData) failTimestamp('not a CMS SignedData token');
  if (explicit.tag !== 0xa0) failTimestamp('malformed token (no content)');
  const parts = sequence(readDer(token, explicit.body, 0x30), 4);
  const encapsulated = sequence(parts[2] as Der, 2) as [Der, Der];
  if (oidOf(encapsulated[0]) !== OID.tstInfo) failTimestamp('the token does not hold a TSTInfo');
  const octets = readDer(token, encapsulated[1].body, 0x04);
  const certificates = parts
    .filter((part) => part.tag === 0xa0)
    .flatMap((set) => sequence(set).filter((c) => c.tag === 0x30))
    .map((der) => certificateOf(whole(der)));
  const signerInfos = parts.at(-1) as Der;
  if (signerInfos.tag !== 0x31) failTimestamp('malformed token (no signer infos)');
  const signers = sequence(signerInfos);
  if (signers.length !== 1) failTimestamp('a token has exactly one signer');
  return { content: contents(octets), certificates, signer: signers[0] as Der };
}

interface TstInfo {
  imprint: { algorithm: string; hash: Uint8Array };
  serialNumber: string;
  genTime: string;
  nonce: string | undefined;
}

function tstInfoOf(content: Uint8Array): TstInfo {
  const parts = sequence(readDer(content, 0, 0x30), 5);
  const [algorithm, hashed] = sequence(parts[2] as Der, 2) as [Der, Der];
  const [oid] = sequence(algorithm, 1) as [Der];
  const time = parts[4] as Der;
  if (time.tag !== 0x18) failTimestamp('malformed token (genTime is not a GeneralizedTime)');
  const nonce = parts.slice(5).find((part) => part.tag === 0x02);
  return {
    imprint: { algorithm: oidOf(oid), hash: contents(readDer(content, hashed.start, 0x04)) },
    serialNumber: integerOf(parts[3] as Der),
    genTime: generalizedTime(Buffer.from(contents(time)).toString('latin1')),
    nonce: nonce && integerOf(nonce),
  };
}

/** `YYYYMMDDHHMMSS[.fff]Z` (RFC 3161: UTC, no trailing zeros in fractions) as ISO 8601. */
function generalizedTime(text: string): string {
  const match = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.(\d*[1-9]))?Z$/.exec(text);
  if (!match) failTimestamp(`genTime ${text} is not a UTC GeneralizedTime`);
  const [, y, mo, d, h, mi, s, fraction] = match;
  const iso = `${y}-${mo}-${d}T${h}:${mi}:${s}.${(fraction ?? '').padEnd(3, '0').slice(0, 3)}Z`;
  if (Number.isNaN(Date.parse(iso))) failTimestamp(`genTime ${text} is not a date`);
  return iso;
}

/**
 * The certificate whose key signed the token's signed attributes, after checking those
 * attributes bind the TSTInfo (content type and message digest, RFC 5652 section 5.4).
 */
function signerCertificate(signed: SignedData, anchors: X509Certificate[]): X509Certificate {
  const parts = sequence(signed.signer, 5);
  const digest = DIGESTS[oidOf(sequence(parts[2] as Der, 1)[0] as Der)];
  if (digest === undefined) failTimestamp('the token uses a digest algorithm not supported');
  const attributes = parts[3] as Der;
  if (attributes.tag !== 0xa0) failTimestamp('the token has no signed attributes');
  const values = new Map(
    sequence(attributes).map((attribute) => {
      const [type, set] = sequence(attribute, 2) as [Der, Der];
      return [oidOf(type), sequence(set, 1)[0] as Der];
    }),
  );
  const type = values.get(OID.contentType);
  const messageDigest = values.get(OID.messageDigest);
  if (type === undefined || oidOf(type) !== OID.tstInfo)
    failTimestamp('the signed attributes do not name TSTInfo as the content');
  if (
    messageDigest === undefined ||
    !equalBytes(contents(messageDigest), hash(digest, signed.content, 'buffer'))
  )
    failTimestamp('the signed attributes do not match the TSTInfo (it was altered)');
  const signature = contents(parts[5] as Der);
  // What is signed is the attributes as a SET (tag 0x31), not as the [0] they are stored as.
  const signedBytes = Buffer.from(whole(attributes));
  signedBytes[0] = 0x31;
  const candidate = [...signed.certificates, ...anchors].find((certificate) =>
    verifies(digest, signedBytes, certificate, signature),
  );
  if (candidate === undefined)
    failTimestamp('the signature does not verify with the certificates the token holds or trusts');
  return candidate;
}

function verifies(
  digest: string,
  data: Uint8Array,
  certificate: X509Certificate,
  signature: Uint8Array,
): boolean {
  try {
    const key = certificate.publicKey;
    return verify(key.asymmetricKeyType === 'ed25519' ? null : digest, data, key, signature);
  } catch {
    return false;
  }
}

/** `certificate` is a trusted one, or is issued (and signed) by one through the token's others. */
function chainTo(
  certificate: X509Certificate,
  pool: X509Certificate[],
  anchors: X509Certificate[],
): void {
  let current = certificate;
  for (let depth = 0; depth < 8; depth++) {
    if (anchors.some((anchor) => anchor.fingerprint256 === current.fingerprint256)) return;
    if (anchors.some((anchor) => issuedBy(current, anchor))) return;
    const issuer = pool.find(
      (c) => c.fingerprint256 !== current.fingerprint256 && issuedBy(current, c),
    );
    if (issuer === undefined) break;
    current = issuer;
  }
  failTimestamp('the authority certificate does not chain to a trusted certificate');
}

function issuedBy(certificate: X509Certificate, issuer: X509Certificate): boolean {
  try {
    return issuer.ca && certificate.checkIssued(issuer) && certificate.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

function certificatesOfPem(pem: string): X509Certificate[] {
  if (typeof pem !== 'string') failTimestamp('the trusted certificates are not PEM text');
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map(certificateOf);
}

function certificateOf(encoded: string | Uint8Array): X509Certificate {
  try {
    return new X509Certificate(encoded);
  } catch {
    return failTimestamp(
      typeof encoded === 'string'
        ? 'a trusted certificate is not a valid PEM certificate'
        : 'a certificate in the token is malformed',
    );
  }
}

function failTimestamp(message: string): never {
  throw new TimestampError(`timestamp: ${message}`);
}
