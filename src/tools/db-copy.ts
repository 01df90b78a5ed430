import { copySqliteToPostgres, CopyRefused } from '../db/postgres/copy.js';
import { parseCopyArgs } from '../db/postgres/copy-args.js';
import { describeUrl } from '../db/postgres/engine.js';

/** `npm run db:copy -- --from <sqlite file> --to <postgres URL>`: progress and errors on stderr, exit 1 on failure. */
async function main(): Promise<void> {
  const { from, to } = parseCopyArgs(process.argv.slice(2));
  const progress = (line: string) => process.stderr.write(`db:copy ${line}\n`);
  progress(`copying ${from} into ${describeUrl(to)}`);
  const report = await copySqliteToPostgres({ from, to, progress });
  progress(`done: ${report.rows.audit_entries ?? 0} audit entries`);
}

main().catch((err: unknown) => {
  process.stderr.write(`db:copy: ${err instanceof CopyRefused ? err.message : err instanceof Error ? err.message.split('\n')[0] : String(err)}\n`);
  process.exit(1);
});
