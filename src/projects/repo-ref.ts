export interface RepoRef {
  owner: string;
  name: string;
}

// GitHub's rules: owners are 1–39 letters, digits or single inner hyphens; repository
// names are 1–100 of letters, digits, '.', '_' and '-', never '.' or '..'.
const OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/;
const NAME = /^[A-Za-z0-9._-]{1,100}$/;
const URL_FORM = /^https?:\/\/(?:www\.)?github\.com\/([^/\s]+)\/([^/\s]+?)\/?$/i;

/** `owner/name` or `https://github.com/owner/name` (optional `.git`, trailing slash); else undefined. */
export function parseRepo(input: string): RepoRef | undefined {
  const s = input.trim();
  const m = URL_FORM.exec(s) ?? /^([^/\s]+)\/([^/\s]+)$/.exec(s);
  if (!m) return undefined;
  const owner = m[1]!;
  const name = m[2]!.replace(/\.git$/i, '');
  if (!OWNER.test(owner) || !NAME.test(name) || name === '.' || name === '..') return undefined;
  return { owner, name };
}

export const repoKey = (r: RepoRef | string): string => (typeof r === 'string' ? r : `${r.owner}/${r.name}`).toLowerCase();
export const repoUrl = (repo: string): string => `https://github.com/${repo}`;
