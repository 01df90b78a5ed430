import fs from 'node:fs';
import path from 'node:path';

/** Markdown without its fenced code blocks and inline code spans: text that can hold links. */
export function proseOf(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '').replace(/`[^`\n]*`/g, '');
}

/** Targets of the inline links `[text](target)` and images in a Markdown text. */
export function linkTargets(markdown: string): string[] {
  return [...proseOf(markdown).matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]!);
}

const SCHEME = /^[a-z][a-z0-9+.-]*:/i;

/**
 * Why a relative link from `file` does not resolve to a file or folder inside `root`
 * (undefined when it does). Links with a scheme (https:, mailto:) are not checked here;
 * the anchor part is optional and not checked.
 */
export function brokenLink(root: string, file: string, target: string): string | undefined {
  if (SCHEME.test(target)) return undefined;
  const pathPart = decodeURI(target.split('#', 1)[0]!);
  if (pathPart === '') return undefined;
  const resolved = path.resolve(path.dirname(file), pathPart);
  const inside = path.relative(root, resolved);
  if (inside.startsWith('..') || path.isAbsolute(inside)) return `${target}: points outside the repository`;
  if (!fs.existsSync(resolved)) return `${target}: no such file`;
  return undefined;
}

/** Every file under `dir` (recursively) whose name ends with one of `exts`. */
export function filesUnder(dir: string, exts: readonly string[]): string[] {
  return (fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[])
    .filter((d) => d.isFile() && exts.some((e) => d.name.endsWith(e)))
    .map((d) => path.join(d.parentPath, d.name))
    .sort();
}
