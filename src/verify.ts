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
import { createPublicKey, hash, type KeyObject, verify } from 'node:crypto';

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
  /** `note`: the checkpoint as published, with the witnesses' cosignatures (absent before them). */
  checkpoint: { origin: string; treeSize: number; rootHash: string; note?: string };
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
    !('answer' in b)
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
