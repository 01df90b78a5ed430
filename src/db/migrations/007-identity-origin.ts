import type { Migration } from '../migration.js';

/**
 * The org an identity was created in (by an inbound message or a registration there): with
 * its memberships, what decides which orgs may see it. Identities that exist already get the
 * org of the first message one of their channel users sent, when that is still kept; the
 * rest (registrations, whose org was never recorded) stay NULL and are visible only in the
 * orgs they are members of, and to the operator's unscoped view.
 */
export const m007: Migration = {
  version: 7,
  name: 'identity-origin',
  sql: `
ALTER TABLE identities ADD COLUMN origin_org_id TEXT REFERENCES orgs (id);
UPDATE identities SET origin_org_id = (
  SELECT c.org_id FROM identity_channels l
  JOIN conversations c ON c.channel = l.channel_type AND c.user_id = l.user_id
  WHERE l.identity_id = identities.id
  ORDER BY c.seq LIMIT 1
) WHERE registered_at IS NULL;
`,
};
