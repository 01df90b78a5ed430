export const SLUG_MAX = 50;
export const SLUG_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

export const isValidSlug = (s: string): boolean => s.length <= SLUG_MAX && SLUG_PATTERN.test(s);

/**
 * Lowercase letters and digits in groups joined by single hyphens, cut to 50 at a group
 * boundary ('' when nothing is left). Accents fold to their base letter.
 */
export function deriveSlug(name: string): string {
  const groups = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    // Each run of other characters leaves empty groups between its characters; the filter drops them.
    .split(/[^a-z0-9]/)
    .filter(Boolean);
  let slug = '';
  for (const g of groups) {
    const next = slug ? `${slug}-${g}` : g;
    if (next.length > SLUG_MAX) break;
    slug = next;
  }
  return slug;
}
