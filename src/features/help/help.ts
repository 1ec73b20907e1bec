// /help (帮助): the commands this person may run, grouped by the role that opens them.
import { z } from 'zod';
import { MENU_ACTION, type Bot, type CommandDef } from '../../platform/bot/router.ts';
import { cardFailure, ERRORS } from '../../platform/errors.ts';

/** A menu card button: the command to run and, for a lead's buttons, the lead's code. */
const MenuValue = z.object({ command: z.string().max(40), args: z.string().regex(/^KZ-\d{4}-\d{1,6}$/).optional() });
import { menuMessage } from '../../platform/lark/intake.ts';
import type { Role } from '../../platform/people.ts';
import { ROLE_LABELS } from '../approval/workflow.ts';
import { renderTemplate, md } from '../../platform/cards/template.ts';

/**
 * How a non-admin reads a command: its Chinese word and the Chinese part of its arguments
 * (`/lead <项目编号>` → 项目 <项目编号>; `/register [tech|talent|…]` → 登记), no English keys.
 */
export function chineseUsage(c: CommandDef): string {
  const args = c.usage.replace(/^\/\S+\s*/, '').replace(/\[[^\]]*[A-Za-z][^\]]*\]/g, '').replace(/<[^>]*[A-Za-z][^>]*>/g, '').trim();
  return [c.words[0] ?? c.name, args].filter(Boolean).join(' ');
}

/** The commands the menu card and the bot's custom menu offer, in this order (README: 机器人菜单). */
export const MENU_COMMANDS = ['register', 'my', 'pending', 'help'];

export function registerHelp(bot: Bot): void {
  bot.setMenu(MENU_COMMANDS);
  // A menu card's button runs its command for the clicker, as if he had typed it; answers go to his chat with the bot.
  bot.action(MENU_ACTION, MenuValue, async (ctx) => {
    const command = bot.commands.find((c) => c.name === ctx.value.command);
    // A lead's buttons in a list (查看, 登记进展) name its code.
    const code = ctx.value.args;
    if (!command) return cardFailure(ERRORS.CARD_EXPIRED);
    await bot.handleMessage(menuMessage(`menu:${ctx.event.eventId}`, ctx.person.openId, code ? `${command.name} ${code}` : command.name));
    return {};
  });
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
      // English keys (/register tech) only for admins, who also read the README and logs.
      const admin = ctx.person.roles.has('admin');
      const line = (c: (typeof mine)[number]) => (admin
        ? `- **${md(c.usage)}**（${c.words.map(md).join(' / ')}）：${md(c.summary)}`
        : `- **${md(chineseUsage(c))}**：${md(c.summary)}`);
      const sections = [`**所有人可用**\n${everyone.map(line).join('\n')}`];
      for (const [role, list] of byRole) sections.push(`**${role}**\n${list.map(line).join('\n')}`);
      const roles = [...ctx.person.roles].map((r) => ROLE_LABELS[r]).join('、') || '未分配角色（如需登记或审批项目，请联系管理员开通）';
      const footer = admin
        ? '在单聊中直接发送指令；在群聊中请先 @科招助手。英文指令与中文指令等效，例如 /register 与「登记」。'
        : '在单聊中直接发送指令（指令和内容之间可不加空格，如「登记科创」「项目0001」）；在群聊中请先 @科招助手。也可以直接粘贴企业信息，机器人会帮您填好登记表。';
      await ctx.reply(renderTemplate('help', { roles, sections: sections.join('\n\n'), footer }));
    },
  });
}
