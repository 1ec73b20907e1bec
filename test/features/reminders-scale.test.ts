// Reminders at scale: `npm run job -- reminders` with 1,200 pending steps reminds every one of them (on
// SQLite a query binding one parameter per step used to exceed its 999 and fail, P2029), and a job that
// fails says why (code and message), never an empty `failed: `.
import { afterEach, describe, expect, it } from 'vitest';
import { openTestDb, testProvider, type TestDb } from '../support/db.ts';
import { runScript } from '../support/process.ts';
import { cardOf, TestBot } from '../support/harness.ts';
import { buttons, cardText, validCard } from '../support/cards.ts';

const STEPS = 1200;
const REVIEWER = 'ou_rev00001';
// Monday 2026-03-02 09:30 in Asia/Shanghai; the steps started the Wednesday before.
const AT = '2026-03-02T09:30:00+08:00';
const STARTED = new Date('2026-02-25T02:00:00Z');

let testDb: TestDb | undefined;
afterEach(async () => {
  await testDb?.cleanup();
  testDb = undefined;
});

function job(args: string[]) {
  return runScript('job.ts', args, { DATABASE_URL: testDb!.url, DB_AUTO_MIGRATE: 'false', LOG_LEVEL: 'silent' });
}

describe('npm run job -- reminders', () => {
  it(`reminds every one of ${STEPS} pending steps`, { timeout: 240_000 }, async () => {
    testDb = await openTestDb('reminders-scale');
    const db = testDb.db.prisma;
    await db.roleGrant.create({ data: { userId: REVIEWER, role: 'reviewer', grantedBy: 'test' } });
    await db.user.create({ data: { openId: REVIEWER, name: '张三' } });
    await db.lead.createMany({
      data: Array.from({ length: STEPS }, (_, i) => ({
        code: `KZ-2026-${String(i + 1).padStart(4, '0')}`,
        kind: 'service',
        projectName: `测试项目${i + 1}`,
        town: '白蒲镇',
        submitterId: 'ou_staff0001',
        status: 'pending',
      })),
    });
    const leads = await db.lead.findMany({ select: { id: true }, orderBy: { id: 'asc' } });
    await db.approvalStep.createMany({
      data: leads.map((l) => ({ leadId: l.id, round: 1, position: 1, step: 'review', mode: 'any', status: 'pending', startedAt: STARTED })),
    });
    const steps = await db.approvalStep.findMany({ select: { id: true } });
    await db.stepAssignee.createMany({ data: steps.map((s) => ({ stepId: s.id, userId: REVIEWER })) });

    const res = await job(['reminders', '--at', AT]);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(res.stdout).not.toContain('failed');
    expect(await db.approvalStep.count({ where: { lastRemindedAt: null } })).toBe(0);
    // One 催办 card per step, to its reviewer, waiting in the outbox for the running service, which makes
    // each card when it sends it.
    const queued = await db.outboxMessage.findMany({ where: { receiveId: REVIEWER, status: 'pending' }, select: { refId: true }, orderBy: { id: 'asc' } });
    expect(queued.map((m) => m.refId)).toEqual(steps.map((s) => `${s.id}:${REVIEWER}`));

    // The service delivers them (Lark lets one chat have 5 a second: the first few are enough here).
    const bot = await TestBot.start({ name: 'reminders-scale-send', env: { DATABASE_URL: testDb.url }, clock: () => new Date(AT) });
    try {
      for (const until = Date.now() + 20_000; bot.messagesTo(REVIEWER).length < 3 && Date.now() < until; ) await new Promise((r) => setTimeout(r, 50));
      const first = bot.messagesTo(REVIEWER).slice(0, 3).map((m) => validCard(cardOf(m)));
      expect(first).toHaveLength(3);
      first.forEach((card, i) => {
        expect(cardText(card)).toContain('催办');
        expect(cardText(card)).toContain(`KZ-2026-${String(i + 1).padStart(4, '0')}`);
        expect(buttons(card).map((b) => b.text)).toContain('同意');
      });
    } finally {
      await bot.stop();
    }
  });

  it('prints the code and message of a failure, never an empty `failed: `', { timeout: 60_000 }, async () => {
    testDb = await openTestDb('reminders-broken');
    // A database whose approval steps table is missing (as a half-applied migration would leave it).
    await testDb.db.prisma.$executeRawUnsafe(testProvider() === 'postgres' ? 'DROP TABLE "ApprovalStep" CASCADE' : 'DROP TABLE "ApprovalStep"');
    const res = await job(['reminders', '--at', AT]);
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/: failed: \[P\d{4}\] \S.*ApprovalStep/);
  });
});
