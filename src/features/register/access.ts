// Who may register leads: staff with a town, or admins. Everyone else is told whom to ask.
import type { Person, Role } from '../../platform/people.ts';
import { holdersOf, namesOf } from '../../platform/people.ts';
import type { Services } from '../../platform/bot/services.ts';

/** Undefined when `person` may register; otherwise the Chinese refusal naming whom to ask. */
export async function registrationRefusal(services: Services, person: Person): Promise<string | undefined> {
  if (person.roles.has('admin')) return undefined;
  if (person.roles.has('staff') && person.town) return undefined;
  const ask = await whomToAsk(services);
  if (person.roles.has('staff')) {
    return `您的招商人员角色还没有指定所属镇区，暂不能登记项目。请联系${ask}补充镇区。`;
  }
  return `登记项目需要「招商人员」角色（并指定所属镇区），您还没有该角色。请联系${ask}开通。`;
}

async function whomToAsk(services: Services): Promise<string> {
  const admins = await holdersOf(services.db, 'admin', services.env.BOT_ADMINS);
  if (admins.length === 0) return '系统管理员（部署时在 BOT_ADMINS 中配置）';
  const names = await namesOf(services.db, admins.slice(0, 3));
  const shown = admins.slice(0, 3).map((id) => names.get(id)!).join('、');
  return `管理员（${shown}${admins.length > 3 ? ' 等' : ''}）`;
}

/** The role a registration is recorded under. */
export function registeringRole(person: Person): Role {
  return person.roles.has('staff') ? 'staff' : 'admin';
}
