import type { Migration } from '../migration.js';
import { m001 } from './001-core.js';
import { m002 } from './002-channels-memory-identity.js';
import { m003 } from './003-scheduler.js';
import { m004 } from './004-webhook-deliveries.js';
import { m005 } from './005-idempotency.js';
import { m006 } from './006-audit-risk-counts.js';
import { m007 } from './007-identity-origin.js';
import { m008 } from './008-org-webhooks.js';
import { m009 } from './009-audit-digest.js';
import { m010 } from './010-deploys-approvals.js';
import { m011 } from './011-replicas.js';

/** Append new migrations here; never edit one that has shipped. */
export const MIGRATIONS: readonly Migration[] = [m001, m002, m003, m004, m005, m006, m007, m008, m009, m010, m011];
