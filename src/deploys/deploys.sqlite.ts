import type { Db } from '../db/open.js';
import { DEPLOY_ROW, type DeployFilter, type DeploysRepository } from './deploys.repository.js';

type Row = Record<string, unknown>;

/** SQLite statements behind DeploysRepository; each resolves as soon as its statement has run. */
export function createDeploysSqlite(db: Db): DeploysRepository {
  const claim = db.prepare('INSERT INTO deploy_deliveries (target, deploy_id, received_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING');
  const prune = db.prepare('DELETE FROM deploy_deliveries WHERE received_at < ?');
  const insert = db.prepare(
    `INSERT INTO deploys (id, org_id, project_id, environment, status, sha, url, message, source, at)
     VALUES (@id, @orgId, @projectId, @environment, @status, @sha, @url, @message, @source, @at)`,
  );
  const list = db.prepare<Record<string, unknown>, Row>(
    `SELECT ${DEPLOY_ROW.select()} FROM deploys
     WHERE (@orgId IS NULL OR org_id = @orgId) AND (@projectId IS NULL OR project_id = @projectId)
       AND (@environment IS NULL OR environment = @environment) AND (@status IS NULL OR status = @status)
     ORDER BY seq DESC LIMIT @limit`,
  );
  return {
    claimDelivery: async (target, deployId, at) => claim.run(target, deployId, at).changes === 1,
    pruneDeliveriesBefore: async (cutoff) => prune.run(cutoff).changes,
    insert: async (d) => void insert.run(d),
    list: async (f: DeployFilter) =>
      list.all({ orgId: f.orgId, projectId: f.projectId ?? null, environment: f.environment ?? null, status: f.status ?? null, limit: f.limit }).map(DEPLOY_ROW.read),
  };
}
