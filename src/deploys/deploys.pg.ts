import { exec, rows, stmt, type Queryable } from '../db/postgres/sql.js';
import { DEPLOY_ROW, type DeployFilter, type DeploysRepository } from './deploys.repository.js';
import type { Deploy } from './deploys.schemas.js';

const COLUMNS = DEPLOY_ROW.select();

const S = {
  // The primary key decides between concurrent reports with one id: the loser inserts nothing.
  claim: stmt('dep:claim', 'INSERT INTO deploy_deliveries (target, deploy_id, received_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING'),
  prune: stmt('dep:prune', 'DELETE FROM deploy_deliveries WHERE received_at < $1'),
  insert: stmt(
    'dep:insert',
    `INSERT INTO deploys (id, org_id, project_id, environment, status, sha, url, message, source, at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
  ),
  list: stmt(
    'dep:list',
    `SELECT ${COLUMNS} FROM deploys
     WHERE ($1::text IS NULL OR org_id = $1) AND ($2::text IS NULL OR project_id = $2)
       AND ($3::text IS NULL OR environment = $3) AND ($4::text IS NULL OR status = $4)
     ORDER BY seq DESC LIMIT $5`,
  ),
};

/** PostgreSQL statements behind DeploysRepository. */
export function createDeploysPg(q: Queryable): DeploysRepository {
  return {
    claimDelivery: async (target, deployId, at) => (await exec(q, S.claim, [target, deployId, at])) === 1,
    pruneDeliveriesBefore: (cutoff) => exec(q, S.prune, [cutoff]),
    insert: async (d) =>
      void (await exec(q, S.insert, [d.id, d.orgId, d.projectId, d.environment, d.status, d.sha, d.url, d.message, d.source, d.at])),
    list: (f: DeployFilter) =>
      rows<Deploy>(q, S.list, [f.orgId, f.projectId ?? null, f.environment ?? null, f.status ?? null, f.limit]),
  };
}
