import { rowShape } from '../db/row-shape.js';
import type { Deploy, DeployStatus } from './deploys.schemas.js';

/** `orgId` null lists every org (the operator's view); the other fields narrow when present. */
export interface DeployFilter {
  orgId: string | null;
  projectId?: string;
  environment?: string;
  status?: DeployStatus;
  limit: number;
}

/**
 * Deploy reports and the X-Deploy-Id ledger. Lists are newest first (append order, not
 * the reported time). The async interface every engine implements.
 */
export interface DeploysRepository {
  /**
   * Records that a report with this X-Deploy-Id reached this URL (`target`: `''` for the
   * instance URL, else the org id); false when one already had. Atomic: of two concurrent
   * reports with one id, exactly one claims it.
   */
  claimDelivery(target: string, deployId: string, at: string): Promise<boolean>;
  pruneDeliveriesBefore(cutoff: string): Promise<number>;
  insert(d: Deploy): Promise<void>;
  list(f: DeployFilter): Promise<Deploy[]>;
}

/** How a `deploys` row reads as a Deploy, on either engine. */
export const DEPLOY_ROW = rowShape<Deploy>({
  id: 'id',
  projectId: 'project_id',
  orgId: 'org_id',
  environment: 'environment',
  status: 'status',
  sha: 'sha',
  url: 'url',
  message: 'message',
  source: 'source',
  at: 'at',
});
