// /subscribe (订阅), /unsubscribe (取消订阅) and /digest (报告), for admins. A subscription belongs to the chat
// the command is sent in (an admin runs it in the target group); /digest sends this period's digest to the
// chat now, whatever the run ledger says.
import { resolveLeadsFilter } from '../push/push.ts';
import type { Bot, MessageContext } from '../../platform/bot/router.ts';
import { resolveTown } from '../../office/config.ts';
import { chatSubscriptions, subscribe, unsubscribe, SUBSCRIPTION_TOPICS, type SubscriptionTopic } from './store.ts';
import { DIGEST_KINDS, DIGEST_LABELS, type DigestKind } from './digest.ts';
import { renderDigest } from './jobs.ts';
import { userText } from '../../platform/lark/text.ts';

export const TOPIC_LABELS: Readonly<Record<SubscriptionTopic, string>> = {
  weekly: DIGEST_LABELS.weekly,
  bimonthly: DIGEST_LABELS.bimonthly,
  monthly: DIGEST_LABELS.monthly,
  alerts: '任务进度预警',
  leads: '新项目推送',
};

const TOPIC_WORDS: Readonly<Record<SubscriptionTopic, readonly string[]>> = {
  weekly: ['weekly', '周例会', '周报', '周例会简报'],
  bimonthly: ['bimonthly', '双月例会', '双月报', '双月例会简报'],
  monthly: ['monthly', '一月一报', '月报', '月度报告'],
  alerts: ['alerts', 'alert', '预警', '任务预警', '进度预警', '任务进度预警'],
  leads: ['leads', '新项目', '项目推送', '新项目推送'],
};

/** A topic from its English or Chinese name. */
export function parseTopic(word: string | undefined): SubscriptionTopic | undefined {
  if (!word) return undefined;
  const w = word.normalize('NFKC').trim().toLowerCase();
  return SUBSCRIPTION_TOPICS.find((t) => TOPIC_WORDS[t].includes(w));
}

const topicList = SUBSCRIPTION_TOPICS.map((t) => `${t}（${TOPIC_LABELS[t]}）`).join('、');

/** The usage, naming the chat it was asked in (a group, or a private chat with the bot). */
function subscribeUsage(ctx: MessageContext): string {
  const p2p = ctx.event.chatType === 'p2p';
  return [
    p2p ? '用法（在私聊中订阅，推送发给您本人；要推送到群，请在该群里发送）：' : '用法（在要接收推送的群里发送）：',
    '/subscribe weekly|bimonthly|monthly　订阅周例会简报、双月例会简报或一月一报',
    '/subscribe alerts [镇区]　订阅任务进度预警（可只看一个镇区）',
    '/subscribe leads [产业方向]　订阅新项目推送（可只看一个产业方向）',
    `/subscribe　查看${place(ctx).chat}的订阅`,
    '/unsubscribe <主题> [筛选]　取消订阅',
  ].join('\n');
}

const DIGEST_USAGE = '用法：/digest weekly|bimonthly|monthly　立即把本期周例会简报、双月例会简报或一月一报发到本群。';

function subscriptionName(topic: string, filter: string): string {
  const label = TOPIC_LABELS[topic as SubscriptionTopic] ?? topic;
  return filter ? `${label}（${filter}）` : label;
}

/** The filter as stored, or an error to show. */
function parseFilter(ctx: MessageContext, topic: SubscriptionTopic, words: string[]): { filter: string } | { error: string } {
  const input = words.join(' ').trim();
  if (!input) return { filter: '' };
  const { office } = ctx.services;
  if (topic === 'alerts') {
    const town = resolveTown(office, input);
    return town ? { filter: town } : { error: `未知镇区「${input}」。可选镇区：${office.towns.map((t) => t.name).join('、')}` };
  }
  if (topic === 'leads') {
    // An industry chain, or a park (which stands for the chains it hosts).
    const filter = resolveLeadsFilter(office, input);
    return filter !== undefined
      ? { filter }
      : { error: `未知产业方向或园区「${input}」。可选产业方向：${office.industries.join('、')}；可选园区：${office.parks.map((p) => p.name).join('、')}` };
  }
  return { error: `「${TOPIC_LABELS[topic]}」不支持筛选条件，请发送 /subscribe ${topic}` };
}

/** How replies name the chat a subscription belongs to: a group, or the person's own (p2p) chat with the bot. */
function place(ctx: MessageContext): { chat: string; who: string } {
  return ctx.event.chatType === 'p2p' ? { chat: '本会话', who: '您' } : { chat: '本群', who: '本群' };
}

/** What happens after subscribing: digests and alerts follow their schedule, 新项目推送 follows each approval. */
function subscribedText(ctx: MessageContext, topic: SubscriptionTopic, name: string, filter: string): string {
  const { who } = place(ctx);
  if (topic === 'leads') {
    const which = filter ? `「${filter}」相关的` : '';
    return `已订阅「${name}」：今后每有${which}项目审批通过，${who}都会随即收到推送。`;
  }
  const now = (DIGEST_KINDS as readonly string[]).includes(topic) ? `发送 /digest ${topic} 可立即查看本期内容。` : '';
  return `已订阅「${name}」：${who}将按计划收到推送。${now}`;
}

function words(ctx: MessageContext): string[] {
  const keys = new Set(ctx.event.mentions.map((m) => m.key));
  return ctx.args.filter((a) => !keys.has(a));
}

async function listSubscriptions(ctx: MessageContext): Promise<void> {
  const subs = await chatSubscriptions(ctx.services.db, ctx.event.chatId);
  const { chat } = place(ctx);
  if (subs.length === 0) {
    await ctx.reply(`${chat}尚未订阅任何推送。\n\n${subscribeUsage(ctx)}`);
    return;
  }
  const lines = subs.map((s) => `- ${subscriptionName(s.topic, s.filter)}`);
  await ctx.reply(`${chat}已订阅 ${subs.length} 项：\n${lines.join('\n')}\n\n取消订阅请发送 /unsubscribe <主题>，主题：${topicList}`);
}

export function registerDigests(bot: Bot): void {
  bot.command({
    name: 'subscribe',
    words: ['订阅'],
    summary: '让本群接收周例会简报、双月例会简报、一月一报、任务进度预警或新项目推送；不带参数时查看本群订阅',
    usage: '/subscribe [weekly|bimonthly|monthly|alerts|leads] [筛选]',
    roles: ['admin'],
    async run(ctx) {
      const [word, ...rest] = words(ctx);
      if (!word) return listSubscriptions(ctx);
      const topic = parseTopic(word);
      if (!topic) {
        await ctx.reply(`未知订阅主题「${userText(word)}」。可选主题：${topicList}\n\n${subscribeUsage(ctx)}`);
        return;
      }
      const parsed = parseFilter(ctx, topic, rest);
      if ('error' in parsed) {
        await ctx.reply(parsed.error);
        return;
      }
      const name = subscriptionName(topic, parsed.filter);
      const added = await subscribe(ctx.services.db, { chatId: ctx.event.chatId, topic, filter: parsed.filter, createdBy: ctx.person.openId });
      if (!added) {
        await ctx.reply(`${place(ctx).chat}已订阅「${name}」，无需重复订阅。`);
        return;
      }
      await ctx.reply(subscribedText(ctx, topic, name, parsed.filter));
    },
  });

  bot.command({
    name: 'unsubscribe',
    words: ['取消订阅', '退订'],
    summary: '取消本群的一项订阅',
    usage: '/unsubscribe <weekly|bimonthly|monthly|alerts|leads> [筛选]',
    roles: ['admin'],
    async run(ctx) {
      const [word, ...rest] = words(ctx);
      if (!word) {
        await ctx.reply(subscribeUsage(ctx));
        return;
      }
      const topic = parseTopic(word);
      if (!topic) {
        await ctx.reply(`未知订阅主题「${userText(word)}」。可选主题：${topicList}`);
        return;
      }
      let filter: string | undefined;
      if (rest.length > 0) {
        const parsed = parseFilter(ctx, topic, rest);
        if ('error' in parsed) {
          await ctx.reply(parsed.error);
          return;
        }
        filter = parsed.filter;
      }
      const name = subscriptionName(topic, filter ?? '');
      const removed = await unsubscribe(ctx.services.db, ctx.event.chatId, topic, filter);
      await ctx.reply(removed > 0 ? `已取消订阅「${name}」${removed > 1 ? `（共 ${removed} 项）` : ''}。` : `${place(ctx).chat}没有订阅「${name}」。`);
    },
  });

  bot.command({
    name: 'digest',
    words: ['报告', '简报'],
    summary: '立即把本期周例会简报、双月例会简报或一月一报发到本群',
    usage: '/digest weekly|bimonthly|monthly',
    roles: ['admin'],
    async run(ctx) {
      const [word] = words(ctx);
      const topic = parseTopic(word);
      if (!topic || !(DIGEST_KINDS as readonly string[]).includes(topic)) {
        await ctx.reply(word ? `未知报告「${word}」。${DIGEST_USAGE}` : DIGEST_USAGE);
        return;
      }
      const { card } = await renderDigest(ctx.services, topic as DigestKind, ctx.services.clock());
      await ctx.reply(card);
    },
  });
}
