import type { Db } from '../db/open.js';
import type { DeployFilter, DeploysRepository } from './deploys.repository.js';
import type { Deploy, DeployStatus } from './deploys.schemas.js';

interface Row {
  id: string;
  org_id: string;
  project_id: string;
  environment: string;
  status: DeployStatus;
  sha: string | null;
  url: string | null;
  message: string | null;
  source: string | null;
  at: string;
}

const toDeploy = (r: Row): Deploy => ({
  id: r.id,
  projectId: r.project_id,
  orgId: r.org_id,
  environment: r.environment,
  status: r.status,
  sha: r.sha,
  url: r.url,
  message: r.message,
  source: r.source,
  at: r.at,
});

/** SQLite statements behind DeploysRepository; each resolves as soon as its statement has run. */
export function createDeploysSqlite(db: Db): DeploysRepository {
  const claim = db.prepare('INSERT INTO deploy_deliveries (target, deploy_id, received_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING');
  const prune = db.prepare('DELETE FROM deploy_deliveries WHERE received_at < ?');
  const insert = db.prepare(
    `INSERT INTO deploys (id, org_id, project_id, environment, status, sha, url, message, source, at)
     VALUES (@id, @orgId, @projectId, @environment, @status, @sha, @url, @message, @source, @at)`,
  );
  const list = db.prepare<Record<string, unknown>, Row>(
    `SELECT * FROM deploys
     WHERE (@orgId IS NULL OR org_id = @orgId) AND (@projectId IS NULL OR project_id = @projectId)
       AND (@environment IS NULL OR environment = @environment) AND (@status IS NULL OR status = @status)
     ORDER BY seq DESC LIMIT @limit`,
  );
  return {
    claimDelivery: async (target, deployId, at) => claim.run(target, deployId, at).changes === 1,
    pruneDeliveriesBefore: async (cutoff) => prune.run(cutoff).changes,
    insert: async (d) => void insert.run(d),
    list: async (f: DeployFilter) =>
      list.all({ orgId: f.orgId, projectId: f.projectId ?? null, environment: f.environment ?? null, status: f.status ?? null, limit: f.limit }).map(toDeploy),
  };
}
