// /help (帮助): the commands this person may run, grouped by the role that opens them.
import type { Bot, CommandDef } from '../../platform/bot/router.ts';
import type { Role } from '../../platform/people.ts';
import { ROLE_LABELS } from '../approval/workflow.ts';
import { renderTemplate, md } from '../../platform/cards/template.ts';

export function registerHelp(bot: Bot): void {
  bot.command({
    name: 'help',
    words: ['帮助', '指令', '菜单'],
    summary: '查看您可以使用的指令',
    usage: '/help',
    async run(ctx) {
      // A command is grouped under its roles, or the roles it is listed for when run() refuses others itself.
      const rolesOf = (c: CommandDef): Role[] => (c.roles?.length ? c.roles : c.listedFor ?? []);
      const mine = bot.commandsFor(ctx.person).filter((c) => {
        const roles = rolesOf(c);
        return roles.length === 0 || roles.some((r) => ctx.person.roles.has(r));
      });
      const everyone = mine.filter((c) => rolesOf(c).length === 0);
      const byRole = new Map<string, typeof mine>();
      for (const c of mine.filter((c) => rolesOf(c).length > 0)) {
        const key = rolesOf(c).filter((r) => ctx.person.roles.has(r)).map((r) => ROLE_LABELS[r]).join('、');
        byRole.set(key, [...(byRole.get(key) ?? []), c]);
      }
      const line = (c: (typeof mine)[number]) => `- **${md(c.usage)}**（${c.words.map(md).join(' / ')}）：${md(c.summary)}`;
      const sections = [`**所有人可用**\n${everyone.map(line).join('\n')}`];
      for (const [role, list] of byRole) sections.push(`**${role}**\n${list.map(line).join('\n')}`);
      const roles = [...ctx.person.roles].map((r) => ROLE_LABELS[r]).join('、') || '未分配角色（如需登记或审批项目，请联系管理员开通）';
      await ctx.reply(renderTemplate('help', { roles, sections: sections.join('\n\n') }));
    },
  });
}
