import { createHmac } from 'node:crypto';
import type { TestApp } from '../helpers/app.js';

export const DEPLOY_SECRET = 'deploy-secret-for-tests';

export const signDeploy = (secret: string, body: string | Buffer) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

export interface ReportOptions {
  /** Sign the exact bytes sent with this secret. */
  secret?: string;
  /** Report to the org URL. */
  org?: string;
  deployId?: string;
  /** Headers that replace the computed ones. */
  headers?: Record<string, string>;
  path?: string;
}

/** POST a deploy report; an object body is sent as compact JSON, a string as is. */
export function report(t: TestApp, body: unknown, o: ReportOptions = {}) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const path = o.path ?? (o.org ? `/webhooks/deploy/${o.org}` : '/webhooks/deploy');
  let req = t.api().post(path).set('content-type', 'application/json');
  if (o.secret) req = req.set('x-deploy-signature', signDeploy(o.secret, text));
  if (o.deployId) req = req.set('x-deploy-id', o.deployId);
  for (const [k, v] of Object.entries(o.headers ?? {})) req = req.set(k, v);
  return req.send(text);
}
