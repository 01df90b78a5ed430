import { rowShape } from '../db/row-shape.js';
export interface OrgRow {
  id: string;
  name: string;
  slug: string;
  createdAt: string;
}

/** How an `orgs` row reads as an OrgRow, on either engine. */
export const ORG_ROW = rowShape<OrgRow>({
  id: 'id',
  name: 'name',
  slug: 'slug',
  createdAt: 'created_at',
});

/** Organizations are never deleted (callers may cache that one exists). */
export interface OrgsRepository {
  get(id: string): Promise<OrgRow | undefined>;
  exists(id: string): Promise<boolean>;
  slugTaken(slug: string): Promise<boolean>;
  /** In creation order, then id. */
  list(): Promise<OrgRow[]>;
  /** Sorted by id. */
  ids(): Promise<string[]>;
  insert(o: OrgRow): Promise<void>;
}
