import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { countRows } from '../helpers/engine-db.js';
import type { DeliveryClaim } from '../../src/webhooks/webhooks.repository.js';

let t: TestApp;
beforeEach(async () => {
  t = await makeTestApp();
});
afterEach(() => t.close());

const repo = () => t.deps.engine.uow.current().webhooks;
const at = (minute: number) => `2026-06-01T12:${String(minute).padStart(2, '0')}:00.000Z`;
const claim = (c: Partial<DeliveryClaim>) =>
  repo().claim({ deliveryId: 'd-1', event: 'push', target: '', sha256: 'body-1', at: at(10), idsKeptFrom: at(0), replayedAfter: at(5), receiptFor: null, ...c });

describe('claiming a webhook delivery (the repository, on each engine)', () => {
  it('claims a new delivery and records its id, its body and the receipt of the org it counts for', async () => {
    expect(await claim({ target: 'org-a', receiptFor: 'org-a' })).toBe('claimed');
    expect(await countRows(t, 'webhook_deliveries')).toBe(1);
    expect(await countRows(t, 'webhook_payloads')).toBe(1);
    expect(await repo().receiptsSince('org-a', at(0))).toBe(1);
    expect(await repo().lastReceiptAt('org-a')).toBe(at(10));
  });

  it('counts no receipt for a delivery to the instance URL', async () => {
    expect(await claim({})).toBe('claimed');
    expect(await countRows(t, 'webhook_receipts')).toBe(0);
  });

  it('answers duplicate for an id already recorded, before looking at the body, and records nothing', async () => {
    await claim({});
    expect(await claim({ sha256: 'body-2', receiptFor: 'org-a' })).toBe('duplicate');
    // The same id with the same body is a duplicate too, not a replay.
    expect(await claim({})).toBe('duplicate');
    expect(await countRows(t, 'webhook_payloads')).toBe(1);
    expect(await countRows(t, 'webhook_receipts')).toBe(0);
  });

  it('answers replayed for the same body at the same URL within the window, without recording the new id', async () => {
    await claim({});
    expect(await claim({ deliveryId: 'd-2', at: at(11) })).toBe('replayed');
    expect(await countRows(t, 'webhook_deliveries')).toBe(1);
    // The id of a refused replay stays free for a delivery of its own.
    expect(await claim({ deliveryId: 'd-2', sha256: 'body-2', at: at(12) })).toBe('claimed');
  });

  it('claims the same body again at another URL, or once its last copy is older than the window', async () => {
    await claim({});
    expect(await claim({ deliveryId: 'd-2', target: 'org-a' })).toBe('claimed');
    // Recorded exactly at the edge of the window: not after it, so no longer a replay.
    expect(await claim({ deliveryId: 'd-3', at: at(30), replayedAfter: at(10) })).toBe('claimed');
    // ... and the body's time moved forward: within the new window it is a replay again.
    expect(await claim({ deliveryId: 'd-4', at: at(31), replayedAfter: at(20) })).toBe('replayed');
  });

  it('forgets an id recorded before the kept ones even while its row is still stored, and claims it anew', async () => {
    await claim({});
    // Kept from exactly when it was recorded: still a duplicate.
    expect(await claim({ sha256: 'body-2', at: at(20), idsKeptFrom: at(10), replayedAfter: at(15) })).toBe('duplicate');
    expect(await claim({ sha256: 'body-2', at: at(21), idsKeptFrom: at(11), replayedAfter: at(15) })).toBe('claimed');
    expect(await countRows(t, 'webhook_deliveries')).toBe(1);
    // Recorded again at its new time.
    expect(await claim({ sha256: 'body-3', at: at(22), idsKeptFrom: at(21), replayedAfter: at(15) })).toBe('duplicate');
  });

  it('de-duplicates a delivery without an id by its body alone', async () => {
    expect(await claim({ deliveryId: null })).toBe('claimed');
    expect(await claim({ deliveryId: null, at: at(11) })).toBe('replayed');
    expect(await countRows(t, 'webhook_deliveries')).toBe(0);
  });

  it('gives a delivery sent ten times at once to exactly one of the copies', async () => {
    const outcomes = await Promise.all(Array.from({ length: 10 }, () => claim({ receiptFor: 'org-a' })));
    expect(outcomes.filter((o) => o === 'claimed')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'duplicate')).toHaveLength(9);
    expect(await repo().receiptsSince('org-a', at(0))).toBe(1);
  });
});
