// 靶向推送 (seed 004: 靶向推送符合各地产业链和创新链需求的项目): when a lead is approved, chats subscribed to
// topic 'leads' for its industry chain (or for a park whose chains include it, or for every chain) get a short
// card about it: kind, name, industry, town, tier. Never the contact details.
import type { Tx } from '../../platform/db/client.ts';
import type { OfficeConfig } from '../../office/config.ts';
import type { CardJson } from '../../platform/lark/types.ts';
import { card, header, keyValues, markdown, greyText } from '../../platform/cards/kit.ts';
import { assertValidCard } from '../../platform/cards/validate.ts';
import { leadKindLabel } from '../leads/lead.ts';
import { tierLabel } from '../leads/scoring.ts';
import { cardContent, enqueue } from '../../platform/delivery/outbox.ts';
import type { Services } from '../../platform/bot/services.ts';

export const LEADS_TOPIC = 'leads';

/**
 * What a `leads` subscription may name: an industry chain of the office, or a park (its chains). Returns the
 * canonical filter to store, or undefined. An empty input means every chain ('').
 */
export function resolveLeadsFilter(office: OfficeConfig, input: string): string | undefined {
  const t = input.normalize('NFKC').replace(/\s+/g, '');
  if (t === '' || t === '全部' || t === '所有') return '';
  return office.industries.find((i) => i === t) ?? office.parks.find((p) => p.name === t)?.name;
}

/** The subscription filters a lead of this industry matches: '' (all), the chain, and the parks carrying it. */
export function leadsFiltersFor(office: OfficeConfig, industry: string | null | undefined): string[] {
  const filters = [''];
  if (industry) {
    filters.push(industry);
    for (const p of office.parks) if (p.chains.includes(industry)) filters.push(p.name);
  }
  return filters;
}

export interface PushedLead {
  code: string;
  kind: string;
  projectName: string;
  industry: string | null;
  town: string;
  tier: string | null;
}

export function leadPushCard(lead: PushedLead, because: string): CardJson {
  const tier = tierLabel(lead.tier);
  const c = card(
    header(`项目推送：${lead.projectName}`, tier === '重点类' ? 'red' : 'blue', tier ? `${tier}项目` : undefined),
    [
      keyValues([
        ['项目编号', lead.code],
        ['项目类别', leadKindLabel(lead.kind)],
        ['项目名称', lead.projectName],
        ['产业方向', lead.industry],
        ['所属镇区', lead.town],
        ['评级', tier || null],
      ]),
      markdown(greyText(`该项目已审批通过。本群订阅了${because}的项目推送；如需对接，请联系项目所属镇区。`), 'notation'),
    ],
    `项目推送：${lead.projectName}`,
  );
  assertValidCard(c);
  return c;
}

function because(filter: string, industry: string | null): string {
  if (filter === '') return '全部产业链';
  if (filter === industry) return `「${filter}」产业链`;
  return `「${filter}」园区方向`;
}

/**
 * Call in the transaction that approves the lead. Queues one card per matching chat (once per chat, even
 * when several of its subscriptions match; once per lead, even when called again); the lead's tier is the
 * one stored when it was registered or resubmitted (or on start, see rescoreIfChanged). Like the rest of the
 * approval, it does not wake the outbox: the caller does after its transaction commits. Returns the chats
 * it queued for.
 */
export async function onLeadApproved(tx: Tx, services: Services, leadId: number): Promise<string[]> {
  const lead = await tx.lead.findUnique({ where: { id: leadId } });
  if (!lead || lead.status !== 'approved') return [];
  const filters = leadsFiltersFor(services.office, lead.industry);
  const subs = await tx.subscription.findMany({ where: { topic: LEADS_TOPIC, filter: { in: filters } }, orderBy: { id: 'asc' } });
  const chats = new Map<string, string>();
  for (const s of subs) {
    const prev = chats.get(s.chatId);
    // Say the most specific reason: the chain, then a park, then "all".
    if (prev === undefined || (prev === '' && s.filter !== '') || (s.filter === lead.industry)) chats.set(s.chatId, s.filter);
  }
  if (chats.size === 0) return [];
  await enqueue(
    tx,
    [...chats].map(([chatId, filter]) => ({
      op: 'send' as const,
      receiveIdType: 'chat_id' as const,
      receiveId: chatId,
      msgType: 'interactive' as const,
      content: cardContent(leadPushCard(lead, because(filter, lead.industry))),
      uuid: `push:lead:${lead.id}:${chatId}`,
      refType: 'lead-push',
      refId: String(lead.id),
    })),
  );
  return [...chats.keys()];
}
