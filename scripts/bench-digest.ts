// npm run bench: times computing (src/features/digests/digest.ts) and rendering (src/features/digests/cards.ts) the weekly,
// bimonthly and monthly digests over 100,000 synthetic leads held in memory (no database), and prints the
// times and card sizes. A benchmark, not a test: it asserts nothing.
import { performance } from 'node:perf_hooks';
import { defaultOffice, LEAD_KINDS } from '../src/office/config.ts';
import { bimonthlyDigest, monthlyDigest, weeklyDigest, type AuditFact, type KeyProjectFact, type LeadFact, type OpenLeadFact, type StageFact } from '../src/features/digests/digest.ts';
import { bimonthlyCard, monthlyCard, weeklyCard } from '../src/features/digests/cards.ts';
import { cardSize } from '../src/platform/cards/validate.ts';
import { QUOTA_METRICS, type CountedLeadFact, type QuotaTarget } from '../src/features/quotas/quota.ts';
import { STEP_KINDS } from '../src/features/approval/workflow.ts';

const LEADS = Number(process.env.BENCH_LEADS ?? 100_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const TZ = 'Asia/Shanghai';
const NOW = new Date('2026-12-01T00:37:00Z'); // 08:37 on 1 December in Shanghai: a monthly-report run
const DAY = 86_400_000;

const office = defaultOffice();
const towns = office.towns.map((t) => t.name);
const industries = office.industries;

// A small deterministic generator, so every run measures the same data.
let seed = 42;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];

const leads: LeadFact[] = [];
const open: OpenLeadFact[] = [];
const approved: CountedLeadFact[] = [];
const audits: AuditFact[] = [];
const keyProjects: KeyProjectFact[] = [];
const stages: StageFact[] = [];
for (let i = 1; i <= LEADS; i++) {
  const createdAt = new Date(NOW.getTime() - rand() * 70 * DAY);
  const town = pick(towns);
  const kind = pick(LEAD_KINDS);
  const code = `KZ-2026-${String(i).padStart(6, '0')}`;
  const projectName = `合成生物学中试基地建设项目第${i}号`;
  leads.push({ town, kind, industry: pick(industries), createdAt });
  const r = rand();
  if (r < 0.3) {
    open.push({ leadId: i, code, projectName, town, kind, status: r < 0.25 ? 'pending' : 'returned', step: pick(STEP_KINDS), stepStartedAt: new Date(createdAt.getTime() + DAY), updatedAt: createdAt });
  } else if (r < 0.8) {
    const approvedAt = new Date(Math.min(NOW.getTime() - 1, createdAt.getTime() + 5 * DAY));
    approved.push({ town, kind, countedAt: approvedAt });
    audits.push({ action: 'approve', leadId: i, createdAt: approvedAt });
    if (rand() < 0.1) keyProjects.push({ leadId: i, code, projectName, town, kind, tier: 'key', major: rand() < 0.2, status: 'approved', step: null, stage: 'signed', investmentWan: 5000 });
    if (rand() < 0.2) stages.push({ leadId: i, code, projectName, town, stage: 'signed', date: approvedAt, createdAt: approvedAt });
  } else {
    audits.push({ action: rand() < 0.5 ? 'reject' : 'return', leadId: i, createdAt: new Date(createdAt.getTime() + 3 * DAY) });
  }
}
const quotas: QuotaTarget[] = towns.flatMap((town) => QUOTA_METRICS.map((metric) => ({ year: 2026, town, metric, target: 500 + Math.floor(rand() * 3000) })));
const activities = Array.from({ length: 40 }, (_, i) => ({ year: 2026, month: 12, date: new Date(Date.UTC(2026, 11, 1 + (i % 28))), allYear: false, name: `科技招商推介活动${i + 1}`, organizer: '市科技局' }));
const approvals = approved.map((a) => ({ approvedAt: a.countedAt }));

function time<T>(fn: () => T): { value: T; ms: number } {
  let value = fn();
  const start = performance.now();
  for (let i = 0; i < ROUNDS; i++) value = fn();
  return { value, ms: (performance.now() - start) / ROUNDS };
}

const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
const lines: string[] = [];
function report(name: string, compute: { ms: number }, render: { ms: number; value: Record<string, unknown> }, note: string): void {
  lines.push(`${name.padEnd(10)} compute ${compute.ms.toFixed(1).padStart(7)} ms   render ${render.ms.toFixed(1).padStart(7)} ms   card ${kb(cardSize(render.value)).padStart(8)}   ${note}`);
}

const weekly = time(() => weeklyDigest({ now: NOW, tz: TZ, towns, stuckDays: 7, newLeads: leads, decisions: audits, approvals, open, returns: audits, activities }));
const weeklyRender = time(() => weeklyCard(weekly.value, TZ));
report('weekly', weekly, weeklyRender, `${weekly.value.newLeads.total} new, ${weekly.value.queue.length} pending, ${weekly.value.stuck.length} stuck`);

const bimonthly = time(() => bimonthlyDigest({ now: NOW, tz: TZ, towns, stuckDays: 7, alertShare: 0.8, quotas, countedLeads: approved, keyProjects, open, returns: audits, stages }));
const bimonthlyRender = time(() => bimonthlyCard(bimonthly.value, TZ));
report('bimonthly', bimonthly, bimonthlyRender, `${bimonthly.value.keyProjects.length} key projects, ${bimonthly.value.coordination.length} to coordinate, ${bimonthly.value.movements.length} movements`);

const monthly = time(() => monthlyDigest({ now: NOW, tz: TZ, towns, industries, alertShare: 0.8, leads, approvals, rejections: audits, quotas, countedLeads: approved }));
const monthlyRender = time(() => monthlyCard(monthly.value, TZ));
report('monthly', monthly, monthlyRender, `${monthly.value.totals.newLeads.current} new this month`);

process.stdout.write(`digest benchmark: ${LEADS.toLocaleString('en-US')} synthetic leads, mean of ${ROUNDS} rounds after one warm-up (Node ${process.version})\n${lines.join('\n')}\n`);
