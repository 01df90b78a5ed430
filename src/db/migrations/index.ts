import type { Migration } from '../migrate.js';
import { m001 } from './001-core.js';
import { m002 } from './002-channels-memory-identity.js';

/** Append new migrations here; never edit one that has shipped. */
export const MIGRATIONS: readonly Migration[] = [m001, m002];
