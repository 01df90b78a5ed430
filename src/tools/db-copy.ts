import { loadConfig } from '../config.js';
import { createSealer } from '../audit/audit.seal.js';
import { copySqliteToPostgres, CopyRefused } from '../db/postgres/copy.js';
import { parseCopyArgs } from '../db/postgres/copy-args.js';
import { verifyCopy } from '../db/postgres/copy-verify.js';
import { describeUrl } from '../db/postgres/engine.js';

/**
 * `npm run db:copy -- --from <sqlite file> --to <postgres URL>`: copies, then verifies the
 * copy's audit chains (with AUDIT_HMAC_KEY's seals when it is set) over as many entries as
 * were copied. Progress and errors on stderr; exit 1 when anything fails.
 */
async function main(): Promise<void> {
  const { from, to } = parseCopyArgs(process.argv.slice(2));
  const key = loadConfig(process.env).AUDIT_HMAC_KEY;
  const progress = (line: string) => process.stderr.write(`db:copy ${line}\n`);
  progress(`copying ${from} into ${describeUrl(to)}`);
  const report = await copySqliteToPostgres({ from, to, progress });
  const copied = report.rows.audit_entries ?? 0;
  const result = await verifyCopy(to, key === undefined ? undefined : createSealer(key));
  const ok = result.valid && result.checked === copied;
  progress(`verify: ${result.valid ? 'valid' : 'NOT valid'}, ${result.checked} audit entries checked of ${copied} copied${key ? ' (seals checked)' : ''}`);
  if (!ok) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`db:copy: ${err instanceof CopyRefused ? err.message : err instanceof Error ? err.message.split('\n')[0] : String(err)}\n`);
  process.exit(1);
});
