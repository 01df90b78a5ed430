import { createHmac, timingSafeEqual } from 'node:crypto';
import { Webhooks } from '@octokit/webhooks';
import { AppError } from '../http/errors.js';
import { isSoundJsonText } from '../http/json-text.js';

export const invalidSignature = () => new AppError('INVALID_SIGNATURE', 'Missing or invalid X-Hub-Signature-256');
const invalidJson = () => new AppError('INVALID_JSON', 'Malformed JSON in webhook payload');

const VERIFIERS_MAX = 1024;

/**
 * Verifies X-Hub-Signature-256 with @octokit/webhooks against any of several secrets (an
 * org's current one and, during its grace hour, the previous one). One verifier per secret
 * is kept, bounded, so a busy org URL does not build one per delivery.
 */
export function createSignatureVerifier() {
  const verifiers = new Map<string, Webhooks>();
  const verifierFor = (secret: string): Webhooks => {
    let v = verifiers.get(secret);
    if (!v) {
      if (verifiers.size >= VERIFIERS_MAX) verifiers.clear();
      v = new Webhooks({ secret });
      verifiers.set(secret, v);
    }
    return v;
  };

  /**
   * `text` is the body decoded as UTF-8, or null when the bytes are not UTF-8. The library
   * verifies strings only; such a body is checked over its bytes with node:crypto instead,
   * so a correctly signed one reaches the body check (INVALID_JSON) rather than a 401.
   */
  return async function verify(secrets: readonly string[], raw: Buffer, text: string | null, signature: string | undefined): Promise<void> {
    if (!signature || raw.length === 0 || secrets.length === 0) throw invalidSignature();
    for (const secret of secrets) {
      if (text === null ? bytesMatch(secret, raw, signature) : await verifierFor(secret).verify(text, signature).catch(() => false)) return;
    }
    throw invalidSignature();
  };
}

function bytesMatch(secret: string, raw: Buffer, signature: string): boolean {
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`);
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** `%XX` → the byte, `+` → space, anything else as is (URLSearchParams' rules, minus its U+FFFD replacement). */
function formDecode(part: Buffer): Buffer {
  const out = Buffer.allocUnsafe(part.length);
  let n = 0;
  for (let i = 0; i < part.length; i++) {
    const c = part[i]!;
    const hex = c === 0x25 && i + 2 < part.length ? part.toString('latin1', i + 1, i + 3) : '';
    if (hex.length === 2 && /^[0-9a-fA-F]{2}$/.test(hex)) {
      out[n++] = Number.parseInt(hex, 16);
      i += 2;
    } else out[n++] = c === 0x2b ? 0x20 : c;
  }
  return out.subarray(0, n);
}

/** The bytes of the first `payload=` field of a form body, or null. */
function payloadField(raw: Buffer): Buffer | null {
  for (const pair of raw.toString('latin1').split('&')) {
    const eq = pair.indexOf('=');
    const name = formDecode(Buffer.from(eq === -1 ? pair : pair.slice(0, eq), 'latin1')).toString('utf8');
    if (name === 'payload') return formDecode(Buffer.from(eq === -1 ? '' : pair.slice(eq + 1), 'latin1'));
  }
  return null;
}

/**
 * JSON, or form-encoded with the JSON in a `payload` field (GitHub's two content types).
 * Text that is not valid UTF-8 or escapes a lone surrogate is malformed: parsed, it would be
 * stored altered.
 */
export function parsePayload(contentType: string | undefined, raw: Buffer, text: string | null): unknown {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  let json = raw;
  if (type === 'application/x-www-form-urlencoded') {
    const field = payloadField(raw);
    if (field === null) throw new AppError('INVALID_PAYLOAD', 'Form-encoded delivery without a payload field');
    json = field;
    text = null;
  }
  if (!isSoundJsonText(json)) throw invalidJson();
  try {
    return JSON.parse(text ?? json.toString('utf8')) as unknown;
  } catch {
    throw invalidJson();
  }
}
