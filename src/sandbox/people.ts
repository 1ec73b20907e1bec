// The people, chats and bot identity of the local sandbox, and seeding them as User + RoleGrant rows.
// open_ids are `ou_` + letters and digits only: that is what the bot's own checks (BOT_ADMINS, at())
// accept, so the demo people can be mentioned and configured like real ones.
import { isUniqueViolation, type Db } from '../platform/db/client.ts';
import type { Role } from '../platform/people.ts';

export interface DemoPerson {
  openId: string;
  name: string;
  /** What the page shows under the name. */
  title: string;
  role: Role;
  /** For staff: the town they work for. */
  town?: string;
}

/** The people the sandbox page lets you act as, in the order it lists them. */
export const DEMO_PEOPLE: readonly DemoPerson[] = [
  { openId: 'ou_demostaff', name: '王招商', title: '丁堰镇 招商人员', role: 'staff', town: '丁堰镇' },
  { openId: 'ou_demoreviewer', name: '李初审', title: '市科创投集团 初审人员', role: 'reviewer' },
  { openId: 'ou_demoapprover', name: '张审签', title: '市科技局 审签人员', role: 'approver' },
  { openId: 'ou_demoexpert', name: '孙专家', title: '预审专家（科创类、人才类项目）', role: 'expert' },
  { openId: 'ou_demoleader1', name: '陈市长', title: '科技招商领导小组 组长', role: 'leader' },
  { openId: 'ou_demoleader2', name: '刘副市长', title: '科技招商领导小组 副组长', role: 'leader' },
  { openId: 'ou_demoadmin', name: '赵管理', title: '系统管理员', role: 'admin' },
];

/** Staff of other towns: submitters of the demo leads (`npm run demo:seed`); not listed on the page. */
export const DEMO_TOWN_STAFF: readonly DemoPerson[] = [
  { openId: 'ou_demostaffdongchen', name: '钱招商', title: '东陈镇 招商人员', role: 'staff', town: '东陈镇' },
  { openId: 'ou_demostaffbaipu', name: '周招商', title: '白蒲镇 招商人员', role: 'staff', town: '白蒲镇' },
  { openId: 'ou_demostaffmotou', name: '吴招商', title: '磨头镇 招商人员', role: 'staff', town: '磨头镇' },
  { openId: 'ou_demostaffchangjiang', name: '郑招商', title: '长江镇 招商人员', role: 'staff', town: '长江镇' },
  { openId: 'ou_demostaffkaifa', name: '冯招商', title: '开发区 招商人员', role: 'staff', town: '开发区' },
  { openId: 'ou_demostaffgaoxin', name: '陈招商', title: '高新区 招商人员', role: 'staff', town: '高新区' },
];

/** The bot as the sandbox shows it (and as group messages @mention it). */
export const SANDBOX_BOT = { openId: 'ou_sandboxbot', name: '科招助手' } as const;

/** The one group chat of the sandbox; every demo person is a member. */
export const DEMO_GROUP = { chatId: 'oc_demogroup', name: '科技招商工作群' } as const;

/** Who granted the sandbox's roles (RoleGrant.grantedBy). */
export const SANDBOX_GRANTOR = 'sandbox';

export function demoPerson(openId: string): DemoPerson | undefined {
  return DEMO_PEOPLE.find((p) => p.openId === openId);
}

/**
 * Adds the User and RoleGrant rows of these people where they are absent. A name or grant changed since
 * (through the bot) is left as it is; a grant that was revoked comes back.
 */
export async function ensureDemoPeople(db: Db, people: readonly DemoPerson[] = DEMO_PEOPLE): Promise<void> {
  for (const p of people) {
    await db.user.upsert({ where: { openId: p.openId }, create: { openId: p.openId, name: p.name }, update: {} });
    const grant = await db.roleGrant.findUnique({ where: { userId_role: { userId: p.openId, role: p.role } } });
    if (grant) continue;
    try {
      await db.roleGrant.create({ data: { userId: p.openId, role: p.role, town: p.town ?? null, grantedBy: SANDBOX_GRANTOR } });
    } catch (err) {
      if (!isUniqueViolation(err)) throw err; // another process added it meanwhile
    }
  }
}
