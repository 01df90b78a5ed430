import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/open.js';
import { migrate } from '../../src/db/sqlite/migrate.js';
import { MIGRATIONS } from '../../src/db/migrations/index.js';

// An upgrade of a SQLite database from before migration 7; a PostgreSQL database starts at
// the baseline after it, so this is SQLite's own.
describe('migration 7: the org an existing identity was created in', () => {
  it('is the org of its first kept message for auto-created identities, and unknown for registered ones', () => {
    const db = openDatabase(':memory:');
    try {
      migrate(db, MIGRATIONS.filter((m) => m.version < 7));
      const at = '2026-01-01T00:00:00.000Z';
      db.prepare("INSERT INTO orgs (id, name, slug, created_at) VALUES ('org-acme', 'Acme', 'acme', ?)").run(at);
      const ident = db.prepare('INSERT INTO identities (id, display_name, role, registered_at, last_seen, created_at) VALUES (?, ?, ?, ?, ?, ?)');
      ident.run('ident-auto', null, 'read-only', null, at, at);
      ident.run('ident-reg', 'Ann', 'owner', at, at, at);
      ident.run('ident-silent', null, 'read-only', null, at, at);
      const link = db.prepare('INSERT INTO identity_channels (channel_type, user_id, identity_id, username, linked_at) VALUES (?, ?, ?, NULL, ?)');
      link.run('web', 'u-auto', 'ident-auto', at);
      link.run('web', 'u-reg', 'ident-reg', at);
      link.run('web', 'u-silent', 'ident-silent', at);
      const conv = db.prepare("INSERT INTO conversations (id, org_id, project_id, channel, user_id, username, text, received_at) VALUES (?, ?, NULL, 'web', ?, NULL, 'x', ?)");
      conv.run('c1', 'org-acme', 'u-auto', at);
      conv.run('c2', 'default', 'u-auto', at);
      conv.run('c3', 'default', 'u-reg', at);
      expect(migrate(db)).toContain(7);
      const origins = db.prepare('SELECT id, origin_org_id AS origin FROM identities ORDER BY id').all();
      expect(origins).toEqual([
        { id: 'ident-auto', origin: 'org-acme' },
        { id: 'ident-reg', origin: null },
        { id: 'ident-silent', origin: null },
      ]);
    } finally {
      db.close();
    }
  });
});
