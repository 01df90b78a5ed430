// Seeds a fresh database (a SQLite file, or a PostgreSQL URL) for the benchmark through the real services (compiled in dist/):
// the audit entries go through the same append path the API uses (hash chain), batched in
// transactions of BATCH appends.
import { openSqliteEngine } from '../dist/db/sqlite/engine.js';
import { createPostgresEngine } from '../dist/db/postgres/engine.js';
import { loadConfig } from '../dist/config.js';
import { createLogger } from '../dist/logger.js';
import { createServices } from '../dist/services.js';
import { systemClock } from '../dist/clock.js';

const BATCH = 10_000;
// A spread of actions so risk filters have something to find (deploy is critical: 1 in 40).
const ACTIONS = ['status', 'ci_event', 'notify', 'resume', 'suspend', 'restart', 'agent_create', 'link', 'instruct', 'fix',
  'review', 'approve', 'status', 'ci_event', 'notify', 'status', 'ci_event', 'notify', 'status', 'ci_event',
  'notify', 'status', 'ci_event', 'notify', 'status', 'ci_event', 'notify', 'status', 'ci_event', 'notify',
  'status', 'ci_event', 'notify', 'status', 'ci_event', 'notify', 'status', 'ci_event', 'notify', 'deploy'];

export const BENCH_ORG = 'org-bench';
export const BENCH_REPO = 'bench-co/bench-repo';

/** Returns ids the cases need, and how long the audit seeding took. */
export async function seed(target, { auditEntries, agents: agentCount, env = {} }) {
  const isUrl = /^postgres(ql)?:\/\//.test(target);
  const engine = isUrl ? await createPostgresEngine({ url: target, poolMax: 4 }) : openSqliteEngine(target);
  const config = loadConfig({ ...(isUrl ? { DATABASE_URL: target } : { DATABASE_PATH: target }), LOG_LEVEL: 'silent', SCHEDULER_ENABLED: 'false', ...env });
  const services = await createServices({ config, engine, clock: systemClock, logger: createLogger('silent'), version: 'bench', startedAt: new Date() });
  const scope = { orgId: BENCH_ORG };

  await services.orgs.create('bench', { name: 'Bench' });
  const p = await services.projects.create(scope, 'bench', { repo: BENCH_REPO });
  {
    await services.agents.act(scope, 'bench', p.agentId, { action: 'set_autonomy', params: { level: 3 } });
    const agentIds = [p.agentId];
    for (let i = agentIds.length; i < agentCount; i++) {
      agentIds.push((await services.agents.create(scope, 'bench', { name: `bench agent ${i}`, type: i % 2 ? 'task' : 'coordinator' })).id);
    }

    const started = process.hrtime.bigint();
    const cpuStarted = process.cpuUsage();
    const appendBatch = (from, to) => engine.uow.run(async () => {
      for (let i = from; i < to; i++) {
        await services.audit.append({
          orgId: BENCH_ORG,
          actorType: i % 3 === 0 ? 'system' : 'user',
          actorId: i % 3 === 0 ? 'webhook-handler' : `ci:job-${i % 17}`,
          action: ACTIONS[i % ACTIONS.length],
          projectId: p.id,
          metadata: { n: i, agentId: p.agentId },
        });
      }
    });
    const existing = (await services.audit.query(scope, { limit: 1 })).total;
    for (let from = existing; from < auditEntries; from += BATCH) await appendBatch(from, Math.min(auditEntries, from + BATCH));
    const auditSeedMs = Number(process.hrtime.bigint() - started) / 1e6;
    const cpu = process.cpuUsage(cpuStarted);
    const auditSeedCpuMs = (cpu.user + cpu.system) / 1000;
    if (isUrl) {
      await engine.pool.query('VACUUM ANALYZE');
      await engine.close();
    } else {
      engine.db.pragma('wal_checkpoint(TRUNCATE)');
      engine.db.close();
    }
    return { projectId: p.id, projectAgentId: p.agentId, agentId: agentIds[1], agentCount: agentIds.length, auditSeedMs, auditSeedCpuMs };
  }
}
