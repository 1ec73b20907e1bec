// Role grants (staff carry a town; secretary = 领导小组秘书, records the group's meetings) and the people we know by name.
import type { Db, Tx } from './db/client.ts';
import { inChunks } from './db/chunks.ts';

export const ROLES = ['staff', 'reviewer', 'approver', 'expert', 'leader', 'secretary', 'admin'] as const;
export type Role = (typeof ROLES)[number];
/** Current holders (open_ids) of each role; a role nobody holds may be left out. */
export type Holders = Readonly<Partial<Record<Role, readonly string[]>>>;

export interface Person {
  openId: string;
  roles: Set<Role>;
  /** The town of a staff grant, if any. */
  town?: string;
}

export async function loadPerson(db: Db | Tx, openId: string, bootstrapAdmins: readonly string[]): Promise<Person> {
  const grants = await db.roleGrant.findMany({ where: { userId: openId } });
  const roles = new Set<Role>(grants.map((g) => g.role as Role));
  if (bootstrapAdmins.includes(openId)) roles.add('admin');
  return { openId, roles, town: grants.find((g) => g.role === 'staff')?.town ?? undefined };
}

/** Current holders (open_ids) of every role, or only of `only`, oldest grant first; admins include BOT_ADMINS. */
export async function loadHolders(db: Db | Tx, bootstrapAdmins: readonly string[], only?: Role): Promise<Holders> {
  const grants = await db.roleGrant.findMany({ where: only ? { role: only } : {}, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
  const out: Partial<Record<Role, string[]>> = {};
  for (const g of grants) (out[g.role as Role] ??= []).push(g.userId);
  if (!only || only === 'admin') {
    const admins = (out.admin ??= []);
    for (const a of bootstrapAdmins) if (!admins.includes(a)) admins.push(a);
  }
  return out;
}

/** open_ids holding a role now (admins include BOT_ADMINS). */
export async function holdersOf(db: Db | Tx, role: Role, bootstrapAdmins: readonly string[] = []): Promise<string[]> {
  return [...((await loadHolders(db, bootstrapAdmins, role))[role] ?? [])];
}

export async function rememberName(db: Db | Tx, openId: string, name: string | undefined): Promise<void> {
  if (!name) return;
  await db.user.upsert({ where: { openId }, create: { openId, name }, update: { name } });
}

/**
 * What to call someone whose name the bot does not know (Lark did not tell it, e.g. the contact scope is
 * missing): 「未知用户」 with the id to tell people apart, whole when short (ou_admin → 未知用户（admin）),
 * else its last 4 characters marked as cut (未知用户（…6ccs）).
 */
export function unknownUserName(openId: string): string {
  const id = openId.replace(/^(ou|on|u)_/, '');
  if (!id) return '未知用户';
  return `未知用户（${id.length <= 10 ? id : `…${id.slice(-4)}`}）`;
}

export async function namesOf(db: Db | Tx, openIds: string[]): Promise<Map<string, string>> {
  const rows = await inChunks([...new Set(openIds)], (chunk) => db.user.findMany({ where: { openId: { in: chunk } } }));
  const map = new Map(rows.filter((r) => r.name).map((r) => [r.openId, r.name as string]));
  for (const id of openIds) if (!map.has(id)) map.set(id, unknownUserName(id));
  return map;
}

export async function nameOf(db: Db | Tx, openId: string): Promise<string> {
  return (await namesOf(db, [openId])).get(openId)!;
}
