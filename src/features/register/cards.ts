// Cards of the registration feature besides the form: choosing the kind, a possible duplicate, the
// one lead, and lists of leads (我的项目 / 查询).
import { STATUS_COLORS, submitterButtons } from '../approval/cards.ts';
import type { CardJson } from '../../platform/lark/types.ts';
import {
  button, buttonRow, card, fitCard, header, hr, keyValues, listItem, markdown, redText, truncateList, moreItems,
  type CardElement, type HeaderColor, type KeyValue,
} from '../../platform/cards/kit.ts';
import { md } from '../../platform/cards/template.ts';
import { assertValidCard } from '../../platform/cards/validate.ts';
import {
  hideContacts, LEAD_KIND_DESCRIPTIONS, LEAD_KIND_LABELS, LEAD_KINDS, leadKindLabel, leadSummaryRows, type LeadInput,
} from '../leads/lead.ts';
import {
  isStepKind, isStepStatus, leadStatusText, PENDING_STEP_LABELS, progressLine,
} from '../approval/workflow.ts';
import { localDateTime } from '../../platform/time.ts';
import { nextStage, PROBLEM_RAISE_ACTION, STAGE_LABELS } from '../lifecycle/lifecycle.ts';
import type { LeadRow, LeadWithSteps } from '../leads/store.ts';

type Steps = LeadWithSteps['steps'];

/** The steps whose kind and status the workflow knows, typed as its unions (the leads store reads them as strings). */
const knownSteps = (steps: Steps) =>
  steps.flatMap(({ step, status, ...rest }) => (isStepKind(step) && isStepStatus(status) ? [{ ...rest, step, status }] : []));

/** 审批中 / 退回修改 / 已通过 / 已驳回 / 已撤回. */
export { leadStatusText };

/**
 * What happens next to a lead, in a few words: the pending approval step; 修改后重新提交 when returned or
 * withdrawn (the submitter may edit and resubmit); once approved, the next of 签约 → 注册 → 落地（开工）→ 投产,
 * and after 投产 the growth the office follows (科技型中小企业入库 → 高新技术企业认定). Rejected leads: 无.
 */
export function nextStepText(lead: { status: string; steps?: Steps; stage?: string | null }): string {
  switch (lead.status) {
    case 'pending': {
      const pending = knownSteps(lead.steps ?? []).find((s) => s.status === 'pending');
      return pending ? PENDING_STEP_LABELS[pending.step] : '等待审批';
    }
    case 'returned':
    case 'withdrawn':
      return '修改后重新提交';
    case 'approved': {
      if (lead.stage === 'producing') return '跟进投产后成长（科技型中小企业→高新技术企业）';
      const next = nextStage(lead.stage);
      return next ? `推进${STAGE_LABELS[next]}` : '跟进落地进展';
    }
    default:
      return '无';
  }
}

/** Under a lead shown in a group chat, where contact details are left out. */
export const CONTACTS_PRIVATE_NOTE = '联系人、联系电话等联系方式仅在与机器人的单聊中显示。';


// ---- choosing the kind -------------------------------------------------------------------------------

/** `openedBy`: the open_id of the person who asked for it; only he may choose. `note`: shown in red on top. */
export function kindChooserCard(openedBy: string, opts: { note?: string } = {}): CardJson {
  const { note } = opts;
  const lines = LEAD_KINDS.map((k) => `**${LEAD_KIND_LABELS[k]}**：${md(LEAD_KIND_DESCRIPTIONS[k])}`);
  const elements: CardElement[] = [];
  if (note) elements.push(markdown(redText(note)));
  elements.push(markdown('请选择要登记的项目类别：'), markdown(lines.join('\n'), 'notation'));
  elements.push(buttonRow(LEAD_KINDS.map((k) => button(LEAD_KIND_LABELS[k], { action: 'register.kind', kind: k, openedBy }, 'primary'))));
  elements.push(markdown('也可以直接发送「登记 科创」「/register fund」等打开对应登记表。', 'notation'));
  const c = card(header('登记项目', 'blue'), elements);
  assertValidCard(c);
  return c;
}

// ---- duplicates --------------------------------------------------------------------------------------

export interface DuplicateView {
  code: string;
  projectName: string;
  companyName: string | null;
  town: string;
  ownerName: string;
  status: string;
  /** Why it matched: 统一社会信用代码 and/or 企业名称. */
  reasons: string[];
}

/** A match the person may not see (another town's lead, by the visibility rule of /lead and /find): its code and town only. */
export interface HiddenDuplicateView {
  hidden: true;
  code: string;
  town: string;
}

export function duplicateCard(lead: LeadInput, duplicates: Array<DuplicateView | HiddenDuplicateView>, draftId: number, opts: { editing?: string } = {}): CardJson {
  const { editing } = opts;
  const elements: CardElement[] = [
    markdown(`您${editing ? `修改的项目 ${md(editing)}` : '登记的项目'}「${md(lead.projectName)}」可能与下列已登记项目重复：`),
  ];
  for (const d of duplicates) {
    if ('hidden' in d) {
      elements.push(keyValues([
        ['项目编号', d.code],
        ['所属镇区', d.town],
        ['说明', '其他镇区登记的项目，详情仅该镇区和审批人员可见'],
      ]));
      continue;
    }
    elements.push(keyValues([
      ['项目编号', d.code],
      ['项目名称', d.projectName],
      ['企业名称', d.companyName],
      ['所属镇区', d.town],
      ['登记人', d.ownerName],
      ['状态', d.status],
      ['相同的', d.reasons.join('、')],
    ]));
  }
  elements.push(hr());
  elements.push(markdown('如确认不是同一项目（或需要重复登记），请点「仍然提交」；否则点「返回修改」。在您确认之前不会保存。'));
  elements.push(buttonRow([
    button('仍然提交', { action: 'register.confirm', draftId }, 'primary_filled'),
    button('返回修改', { action: 'register.back', draftId }, 'default'),
  ]));
  const c = card(header('可能重复登记', 'orange'), elements);
  assertValidCard(c);
  return c;
}

// ---- one lead ----------------------------------------------------------------------------------------

export interface LeadCardInput {
  lead: LeadWithSteps;
  submitterName: string;
  tz: string;
  /** The latest 退回修改 comment, shown while the lead is returned. */
  returnComment?: string;
  /** Show 修改并重新提交 (the viewer is the submitter and the lead is returned or withdrawn). */
  canEdit: boolean;
  /** Show 催办 (the viewer is the submitter and the lead is in approval). */
  canRemind?: boolean;
  /** Show 撤回 too (as canRemind, and nobody has acted in this round yet). */
  canWithdraw?: boolean;
  /**
   * Shown in a group chat: the whole group reads it, so 联系人 / 联系电话 are left out and contact details in
   * 项目简介 are hidden, with a line saying they are shown in the private chat with the bot.
   */
  inGroup?: boolean;
  /** 落地载体, or the carriers the lead fits (markdown lines, src/features/carriers leadCarrierLines). */
  carrierLines?: string[];
}

export function leadCard(inp: LeadCardInput): CardJson {
  const { lead } = inp;
  const steps = knownSteps(lead.steps);
  const rows: KeyValue[] = [
    ['项目编号', lead.code],
    ['项目名称', lead.projectName],
    ['状态', leadStatusText(lead)],
  ];
  if (steps.length > 0) rows.push(['审批进度', progressLine(steps)]);
  rows.push(['下一步', nextStepText(lead)]);
  if (lead.round > 1) rows.push(['审批轮次', `第 ${lead.round} 轮`]);
  if (lead.major) rows.push(['重大项目', '是（一事一议）']);
  rows.push(['登记人', inp.submitterName], ['登记时间', localDateTime(lead.createdAt, inp.tz)]);
  const facts = inp.inGroup && lead.summary ? { ...lead, summary: hideContacts(lead.summary) } : lead;
  const elements: CardElement[] = [keyValues(rows), hr(), keyValues(leadSummaryRows(facts, { includeContact: !inp.inGroup, includeSummary: true }))];
  if (inp.carrierLines && inp.carrierLines.length > 0) elements.push(markdown(inp.carrierLines.join('\n')));
  if (inp.inGroup) elements.push(markdown(CONTACTS_PRIVATE_NOTE, 'notation'));
  if (lead.status === 'returned' && inp.returnComment) {
    elements.push(markdown(`**退回意见**：${md(inp.inGroup ? hideContacts(inp.returnComment) : inp.returnComment)}`));
  }
  if (inp.inGroup && (inp.canEdit || inp.canRemind)) {
    // Its form would show the lead's contact details to the group.
    const what = inp.canEdit ? '修改并重新提交' : inp.canWithdraw ? '撤回或催办' : '催办';
    elements.push(markdown(`如需${what}，请在与机器人的单聊中发送「项目 ${md(lead.code)}」。`, 'notation'));
  } else if (inp.canEdit) {
    elements.push(buttonRow([button('修改并重新提交', { action: 'register.edit', leadId: lead.id }, 'primary_filled')]));
  } else if (inp.canRemind) {
    elements.push(submitterButtons(lead.id, { withdraw: inp.canWithdraw ?? false }));
  }
  // Anyone who sees an approved lead may raise what needs coordinating (src/features/coordination).
  if (lead.status === 'approved') elements.push(buttonRow([button('提出问题', { action: PROBLEM_RAISE_ACTION, leadId: lead.id })]));
  const c = card(header(`${lead.code} · ${lead.projectName}`, STATUS_COLORS[lead.status] ?? 'blue', leadStatusText(lead)), elements);
  assertValidCard(c);
  return c;
}

// ---- lists -------------------------------------------------------------------------------------------

/** One line of a list: code, name, kind, status and next step (and the town when asked). */
export function leadLine(lead: LeadWithSteps, opts: { town?: boolean } = {}): string {
  const parts = [
    `**${md(lead.code)}** ${md(lead.projectName)}`,
    leadKindLabel(lead.kind),
    ...(opts.town ? [md(lead.town)] : []),
    leadStatusText(lead),
    `下一步：${nextStepText(lead)}`,
  ];
  return parts.join(' · ');
}

/**
 * A list card: `lines` (one per lead, `total` in all, of which `lines.length` were read) cut to fit 30 KB;
 * a cut list ends with "另有 N 项…". `empty` is shown when there is nothing.
 */
/** How many items of a lead list get their own buttons (a card has a limited number of elements). */
const LIST_BUTTON_ITEMS = 10;

export function leadListCard(
  title: string, lines: string[], total: number, empty: string, footer: string, actions: CardElement[][] = [], more: (n: number) => string = moreItems,
): CardJson {
  const unread = Math.max(0, total - lines.length);
  return fitCard((max) => {
    let shown = truncateList(lines, max, (n) => more(n + unread));
    if (unread > 0 && shown.length === lines.length) shown = [...shown, more(unread)];
    // The first items carry their buttons (查看, 登记进展, 待我审批); the rest of a long list is text.
    const withButtons = Math.min(LIST_BUTTON_ITEMS, shown.length, lines.length);
    const elements: CardElement[] = [];
    for (let i = 0; i < withButtons; i++) elements.push(actions[i]?.length ? listItem(shown[i], actions[i]) : markdown(shown[i]));
    const rest = shown.slice(withButtons);
    if (rest.length > 0 || shown.length === 0) elements.push(markdown(shown.length ? rest.join('\n') : empty));
    if (footer) elements.push(markdown(footer, 'notation'));
    return card(header(title, 'blue'), elements);
  });
}
