export interface OrgRow {
  id: string;
  name: string;
  slug: string;
  createdAt: string;
}

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
