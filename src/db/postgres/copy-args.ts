import { CopyRefused } from './copy.js';

const USAGE = 'usage: npm run db:copy -- --from <sqlite file> --to <postgres://… URL>';

/** `--from` and `--to`, each once; anything else is an error. */
export function parseCopyArgs(argv: readonly string[]): { from: string; to: string } {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i]!;
    const value = argv[i + 1];
    if ((flag !== '--from' && flag !== '--to') || value === undefined || value.startsWith('--') || flag.slice(2) in out) {
      throw new CopyRefused(USAGE);
    }
    out[flag.slice(2)] = value;
  }
  if (out.from === undefined || out.to === undefined) throw new CopyRefused(USAGE);
  if (!/^postgres(ql)?:\/\//.test(out.to)) throw new CopyRefused('--to must be a postgres:// or postgresql:// URL');
  return { from: out.from, to: out.to };
}
