/**
 * Cosignatures (c2sp.org/tlog-cosignature, Ed25519 cosignature/v1) made with one of the
 * project's Ed25519 keys (src/integrity/checkpoint.ts): what `compliance-ledger witness` returns
 * from add-checkpoint. The checks are in src/verify.ts, the offline verifier.
 */
import { sign } from 'node:crypto';
import { cosignedMessage, cosignerKeyId } from '../verify.ts';
import type { CheckpointKey } from './checkpoint.ts';

const rawKey = (key: CheckpointKey) =>
  Buffer.from(key.publicKey.export({ format: 'jwk' }).x ?? '', 'base64url');

/** The key as a witness verifier key: `<name>+<hex key ID>+<base64(0x04 || key)>`. */
export function witnessVerifierKey(key: CheckpointKey): string {
  const raw = rawKey(key);
  const keyId = Buffer.from(cosignerKeyId(key.keyName, raw)).toString('hex');
  return `${key.keyName}+${keyId}+${Buffer.concat([Buffer.from([0x04]), raw]).toString('base64')}`;
}

/**
 * The signature line `— <name> base64(key ID || timestamp || signature)` cosigning the
 * checkpoint `body` (its text through the last newline, without signature lines) at `time`.
 */
export function cosign(body: string, key: CheckpointKey, time: Date): string {
  const timestamp = Math.floor(time.getTime() / 1000);
  const stamp = Buffer.alloc(8);
  stamp.writeBigUInt64BE(BigInt(timestamp));
  const signature = sign(null, cosignedMessage(body, timestamp), key.privateKey);
  const keyId = cosignerKeyId(key.keyName, rawKey(key));
  return `\u2014 ${key.keyName} ${Buffer.concat([keyId, stamp, signature]).toString('base64')}\n`;
}
