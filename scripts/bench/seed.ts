// Seeds the bot for the card-callback section: `n` staff members (each submits one registration form) and
// `n` leads in approval (a reviewer clicks 同意 on each). Returns the clicks, as Lark would send them.
import type { App } from '../../src/app.ts';
import { submitName } from '../../src/platform/cards/kit.ts';
import { createLead } from '../../src/features/leads/store.ts';
import { startApproval } from '../../src/features/approval/start.ts';

export interface Click {
  operator: string;
  action: Record<string, unknown>;
}

const REVIEWERS = ['ou_benchrev001', 'ou_benchrev002'];
const TOWN = '丁堰镇';

type Node = Record<string, unknown>;
function findButton(node: unknown, text: string, inForm = false): { value?: Node; name?: string; inForm: boolean } | undefined {
  if (Array.isArray(node)) {
    for (const x of node) {
      const hit = findButton(x, text, inForm);
      if (hit) return hit;
    }
    return undefined;
  }
  if (!node || typeof node !== 'object') return undefined;
  const n = node as Node;
  if (n.tag === 'button' && (n.text as Node | undefined)?.content === text) {
    const cb = ((n.behaviors as Node[] | undefined) ?? []).find((b) => b.type === 'callback');
    return { value: cb?.value as Node | undefined, name: n.name as string | undefined, inForm };
  }
  for (const [k, v] of Object.entries(n)) {
    if (k === 'behaviors' || k === 'value') continue;
    const hit = findButton(v, text, inForm || n.tag === 'form');
    if (hit) return hit;
  }
  return undefined;
}

export async function seedCards(app: App, n: number): Promise<{ register: Click[]; approve: Click[] }> {
  const db = app.database.prisma;
  const staff = Array.from({ length: n }, (_, i) => `ou_benchstaff${String(i).padStart(4, '0')}`);
  await db.user.createMany({ data: [...staff, ...REVIEWERS].map((openId, i) => ({ openId, name: `测试${i}` })) });
  await db.roleGrant.createMany({
    data: [
      ...staff.map((userId) => ({ userId, role: 'staff', town: TOWN, grantedBy: 'bench' })),
      ...REVIEWERS.map((userId) => ({ userId, role: 'reviewer', grantedBy: 'bench' })),
    ],
  });
  const register: Click[] = staff.map((operator, i) => ({
    operator,
    action: {
      name: submitName({ action: 'register.submit', kind: 'service', openedBy: operator }),
      form_value: {
        category: 'service', project_name: `压测服务项目${i}号`, company_name: `如皋压测${i}号科技有限公司`, industry: '氢能', town: TOWN,
        source_region: '上海', contact_name: '钱经理', contact_phone: '138 1234 5678', investment_wan: '1,200', needs_fund: false,
        summary: '团队来自上海，计划明年落地。', service_type: '技术评估检测',
      },
    },
  }));
  const leadIds: number[] = [];
  for (let i = 0; i < n; i++) {
    const lead = await db.$transaction(async (tx) => {
      const row = await createLead(tx, {
        lead: {
          kind: 'service', projectName: `压测审批项目${i}号`, companyName: '如皋示范科技有限公司', companyNorm: null, creditCode: null, town: TOWN,
          industry: '氢能', sourceRegion: null, investmentWan: 500, contactName: '王经理', contactPhone: '13800000000', summary: '压测', needsFund: false,
          inventionPatents: 0, utilityModels: 0, activityId: null, details: {},
        },
        submitterId: staff[i], year: new Date().getFullYear(), major: false, role: 'staff', now: new Date(),
      });
      await startApproval(tx, app.services, row.id);
      return row;
    });
    leadIds.push(lead.id);
  }
  // The approval cards the reviewers were sent (still in the outbox: the worker starts on listen).
  const cards = await db.outboxMessage.findMany({ where: { receiveId: REVIEWERS[0], msgType: 'interactive' }, orderBy: { id: 'asc' } });
  const approve: Click[] = [];
  for (const c of cards) {
    if (c.content === null) continue;
    const b = findButton(JSON.parse(c.content), '同意');
    if (!b) continue;
    const operator = REVIEWERS[approve.length % REVIEWERS.length];
    approve.push({ operator, action: b.inForm ? { name: b.name, form_value: { comment: '同意' } } : { value: b.value } });
  }
  if (approve.length < n) throw new Error(`seeding: ${approve.length} approval cards for ${n} leads`);
  return { register, approve };
}
