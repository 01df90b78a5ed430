import type { Migration } from '../migrate.js';
import { m001 } from './001-core.js';
import { m003 } from './003-scheduler.js';

/** Append new migrations here; never edit one that has shipped. */
export const MIGRATIONS: readonly Migration[] = [m001, m003];
