// A pasted lead: the paragraph town staff receive in WeChat groups ("今天对接了苏州某某科技有限公司，做氢燃料电池
// 膜电极，计划投资2亿元，拟落户丁堰镇，联系人王总 13812345678，信用代码 9132…") read into registration form
// values. Pure code, no I/O. What is read from a keyword rather than a label, or fails its check, is listed
// in `uncertain` so the form can ask the person to check it; nothing here is stored.
import type { OfficeConfig } from '../../office/config.ts';
import { checkCreditCode } from './creditCode.ts';
import { LEAD_KIND_LABELS, type LeadKind } from './kinds.ts';
import { normalizePhone } from './phone.ts';
import { MAX_WAN } from './fields.ts';
import type { LeadFormValues } from './validate.ts';

export interface PastedLead {
  /** The kind the text suggests, or undefined when nothing points to one. */
  kind?: LeadKind;
  /** Form values read from the text (field name → value as the form takes it). */
  values: LeadFormValues;
  /** Field name → why the person should check it (a guess, a failed check). */
  uncertain: Record<string, string>;
  /** How many form fields were read (the summary, which keeps the whole text, not counted). */
  found: number;
}

const CN_DIGITS: Record<string, number> = { 零: 0, 〇: 0, 一: 1, 二: 2, 两: 2, 三: 3, 四: 4, 五: 5, 六: 6, 七: 7, 八: 8, 九: 9 };

/** `1.5`, `15,000`, `三`, `十二`, `二十`: a number as written, or NaN. */
function numberOf(s: string): number {
  const t = s.replace(/[,，]/g, '');
  if (/^\d+(?:\.\d+)?$/.test(t)) return Number(t);
  // Chinese numerals up to 99 (amounts are written 三亿, 五千万, 二十亿).
  const m = /^([一二两三四五六七八九])?(十)?([一二三四五六七八九])?$/.exec(t);
  if (!m || t === '') return NaN;
  if (!m[2]) return m[1] ? CN_DIGITS[m[1]] : NaN;
  return (m[1] ? CN_DIGITS[m[1]] : 1) * 10 + (m[3] ? CN_DIGITS[m[3]] : 0);
}

const UNIT_WAN: Array<[RegExp, number]> = [
  [/^(?:万)?美元/, NaN],
  [/^(?:个)?亿(?:元|人民币)?/, 10_000],
  [/^千万(?:元)?/, 1_000],
  [/^百万(?:元)?/, 100],
  [/^万(?:元|人民币)?/, 1],
];

/** An amount followed by its unit, in 万元 (亿 / 千万 / 百万 / 万 → 万元); undefined when not such an amount. */
export function amountInWan(num: string, unit: string): number | undefined {
  const n = numberOf(num);
  if (!Number.isFinite(n)) return undefined;
  for (const [re, factor] of UNIT_WAN) {
    if (re.test(unit)) {
      if (!Number.isFinite(factor)) return undefined;
      const wan = Math.round(n * factor * 10_000) / 10_000;
      return wan > 0 && wan <= MAX_WAN ? wan : undefined;
    }
  }
  return undefined;
}

const NUM = '(\\d+(?:[.,]\\d+)*|[一二两三四五六七八九十]{1,3})';
const UNIT = '((?:个)?亿(?:元|人民币)?|千万元?|百万元?|万(?:元|人民币)?|(?:万)?美元)';
const INVEST_WORDS = '(?:计划总投资|总投资额?|计划投资额?|拟投资|投资总额|投资额|投资规模|项目投资|总投入|拟投入|计划投入|投资|投入)';
const INVEST = new RegExp(`${INVEST_WORDS}(?:约|大约|达|为|约为|不低于|超过|预计|[:：\\s])*${NUM}\\s*${UNIT}`);
const FUND_SIZE = new RegExp(`(?:基金规模|规模|募资|募集)(?:约|大约|达|为|约为|[:：\\s])*${NUM}\\s*${UNIT}`);
const ANY_AMOUNT = new RegExp(`${NUM}\\s*${UNIT}`, 'g');
/** Amounts that are not the investment: registered capital, revenue, output, tax. */
const NOT_INVEST = /(?:注册资本|注册资金|营收|营业收入|销售额|年产值|产值|纳税|税收|年销售|估值|融资)(?:约|达|为|[:：\s])*$/;

const COMPANY_SUFFIX = '(?:股份有限公司|有限责任公司|有限公司|（有限合伙）|\\(有限合伙\\)|集团公司|集团|研究院|研究所|事务所|合伙企业)';
const COMPANY = new RegExp(`([\\u4e00-\\u9fa5A-Za-z0-9（）()·]{2,40}?${COMPANY_SUFFIX})`, 'g');
const COMPANY_LABEL = /(?:企业名称|公司名称|企业全称|公司全称|单位名称|企业|公司|主体)\s*[:：]\s*([^\s,，;；。\n]{2,60})/;
/** Words before a company name that belong to the sentence, not the name. */
const LEAD_IN = /^.*(?:合作企业|合作方|对接了|对接|拜访了|拜访|洽谈了|洽谈|走访了|走访|来自|介绍了|介绍|推荐了|推荐|接待了|接待|联系了|联系上|认识了|据悉|其中|一家|这家|该企业|企业为|公司为|名为|叫做|叫|是|与|和|跟|由|为|在|了|：|:)/;
const ORG_PREFIX = /^(?:今天|昨天|近日|日前|上午|下午|本周|上周|刚刚|刚才|我们|我镇|我区|我|经|通过|在|是)+/;

const CITIES = [
  '北京', '上海', '天津', '重庆', '深圳', '广州', '杭州', '苏州', '南京', '无锡', '常州', '宁波', '合肥', '武汉', '成都',
  '西安', '厦门', '青岛', '济南', '东莞', '佛山', '长沙', '郑州', '昆山', '南通', '扬州', '泰州', '嘉兴', '绍兴', '香港',
  '台湾', '新加坡', '美国', '德国', '日本', '韩国', '英国', '以色列', '加拿大', '澳大利亚',
];

/** Words that point to an industry chain (when the office has that chain), beyond the chain's own name. */
const CHAIN_WORDS: Record<string, string[]> = {
  氢能: ['氢燃料', '燃料电池', '制氢', '储氢', '加氢', '氢气', '膜电极', '电解槽'],
  光电及泛半导体: ['半导体', '芯片', '集成电路', '光电', 'LED', '晶圆', '封装测试', '封测', '激光', '碳化硅', '功率器件', '氮化镓'],
  精密光学制造: ['光学', '镜头', '透镜', '光学元件', '棱镜', '镀膜'],
  合成生物学: ['合成生物', '生物制造', '发酵', '酶制剂', '生物基'],
  大健康: ['医疗器械', '医疗', '医药', '健康', '康养', '药', '诊断', '养老'],
  储能节能: ['储能', '节能', '锂电', '电池', '钠离子', '热泵', '余热'],
  汽车及核心零部件: ['汽车', '零部件', '新能源车', '电驱', '底盘', '车灯', '整车', '智能驾驶'],
  前沿新材料: ['新材料', '石墨烯', '碳纤维', '复合材料', '高分子', '材料'],
  高端装备制造: ['装备', '机器人', '数控', '机床', '智能制造', '自动化设备', '精密制造', '航空'],
};

/** Words that suggest each kind, strongest first within each list. */
const KIND_WORDS: Array<[LeadKind, RegExp]> = [
  ['fund', /基金|创投|资本管理|私募|GP|LP|投资机构|股权投资/],
  ['platform', /新型研发机构|研究院|研发平台|创新中心|重点实验室|院士工作站|技术转移中心|成果转化中心|共建|校企合作|(?:大学|学院|科学院).{0,10}(?:合作|共建|联合)/],
  ['talent', /博士|教授|院士|人才|海归|领军|青年学者|留学|研究员|团队带头人|专家/],
  ['service', /咨询|检测|认证|服务机构|事务所|会计|律师|审计|知识产权代理|技术交易|孵化器运营|载体运营/],
  ['tech', /科技|技术|专利|研发|高新|智能|新材料|芯片|电池/],
];
const KIND_LABEL = /(?:项目类别|项目类型|类别|类型)\s*[:：]\s*(科创|人才|平台|服务|基金)类?/;

const PHONE = /(?:\+?86[\s-]?)?1[3-9]\d(?:[\s-]?\d{4}){2}|0\d{2,3}[\s-]?\d{7,8}(?:[-转]\d{1,6})?|[48]00[\s-]?\d{3}[\s-]?\d{4}/g;
const CONTACT_LABEL = /(?:联系人|对接人|负责人|联络人)\s*[:：]?\s*([\u4e00-\u9fa5]{1,4}?(?:总|经理|先生|女士|老师|博士|教授|主任|董事长|部长)|[\u4e00-\u9fa5]{2,3})(?=[\s,，;；。:：（(电手0-9]|$)/;
const CONTACT_TITLE = /([\u4e00-\u9fa5]{1,2}(?:总|经理|先生|女士|老师|博士|教授|主任|董事长|部长))[\s,，:：（(]*(?:电话|手机|联系方式)?[\s:：]*$/;
const PROJECT_LABEL = /(?:项目名称|项目名)\s*[:：]\s*([^\n,，;；。]{2,80})/;
const PROJECT_GUESS = /([\u4e00-\u9fa5A-Za-z0-9]{2,30}项目)/;
const TALENT = /([\u4e00-\u9fa5]{1,3}(?:博士|教授|院士|研究员))/;
const PARTNER = /([\u4e00-\u9fa5]{2,20}(?:大学|学院|科学院|研究院|研究所))/;

const SUMMARY_MAX = 2000;

function clean(text: string): string {
  return text.normalize('NFKC').replace(/[\u0000-\u0009\u000B-\u001F\u007F-\u009F\u200B-\u200F\uFEFF]/g, '').replace(/\r\n?/g, '\n');
}

/** The company name in `text`: a labelled one first, else the first name ending in a company suffix. */
function companyOf(text: string): { name: string; labelled: boolean } | undefined {
  const labelled = COMPANY_LABEL.exec(text);
  if (labelled && new RegExp(`${COMPANY_SUFFIX}$`).test(labelled[1])) return { name: labelled[1], labelled: true };
  // A company first: 「…与下原镇共建大健康研究院，合作企业某某有限公司」 names the company second.
  const all = [...text.matchAll(COMPANY)];
  const ordered = [...all.filter((m) => /公司|合伙/.test(m[1])), ...all.filter((m) => !/公司|合伙/.test(m[1]))];
  for (const m of ordered) {
    let name = m[1].replace(LEAD_IN, '').replace(ORG_PREFIX, '');
    // A name must have something before its suffix (not just 有限公司).
    if (name.replace(new RegExp(`${COMPANY_SUFFIX}$`), '').length < 2) continue;
    if (/大学|学院$/.test(name) && !/公司$/.test(name)) continue;
    name = name.replace(/^[（()）]+/, '');
    return { name, labelled: false };
  }
  return undefined;
}

function creditCodeOf(text: string): { code: string; ok: boolean } | undefined {
  const upper = text.toUpperCase();
  const m = /(?<![0-9A-Z])([0-9A-Z]{18})(?![0-9A-Z])/.exec(upper);
  if (!m) return undefined;
  // 18 characters that are all digits and look like a phone or an amount are not a credit code: one of the
  // first two must be the authority / kind code and positions 3–8 a region.
  if (!/^[1-9ANY][1-9]\d{6}/.test(m[1])) return undefined;
  const checked = checkCreditCode(m[1]);
  return { code: m[1], ok: checked.ok };
}

function phonesOf(text: string): Array<{ phone: string; index: number }> {
  const out: Array<{ phone: string; index: number }> = [];
  for (const m of text.matchAll(PHONE)) {
    // Not inside a longer digit run (a credit code, an amount).
    const before = text[m.index - 1] ?? '';
    const after = text[m.index + m[0].length] ?? '';
    if (/[0-9A-Za-z]/.test(before) || /[0-9A-Za-z]/.test(after)) continue;
    const checked = normalizePhone(m[0]);
    if (checked.ok) out.push({ phone: checked.phone, index: m.index });
  }
  return out;
}

function amountOf(text: string, kind: LeadKind | undefined): { wan: number; sure: boolean } | undefined {
  const labelled = (kind === 'fund' ? FUND_SIZE.exec(text) : undefined) ?? INVEST.exec(text);
  if (labelled) {
    const wan = amountInWan(labelled[1], labelled[2]);
    if (wan !== undefined) return { wan, sure: true };
  }
  for (const m of text.matchAll(ANY_AMOUNT)) {
    if (NOT_INVEST.test(text.slice(Math.max(0, m.index - 8), m.index))) continue;
    const wan = amountInWan(m[1], m[2]);
    if (wan !== undefined) return { wan, sure: false };
  }
  return undefined;
}

function townOf(text: string, office: OfficeConfig): string | undefined {
  let best: { town: string; index: number } | undefined;
  for (const t of office.towns) {
    const names = [t.name, ...t.aliases];
    // 丁堰 for 丁堰镇: the name without its 镇 / 街道 ending, when at least two characters are left.
    const short = t.name.replace(/(?:镇|街道|乡)$/, '');
    if (short !== t.name && short.length >= 2) names.push(short);
    for (const n of names) {
      const i = text.indexOf(n);
      if (i >= 0 && (!best || i < best.index)) best = { town: t.name, index: i };
    }
  }
  return best?.town;
}

function industryOf(text: string, office: OfficeConfig): { industry: string; sure: boolean; word?: string } | undefined {
  let best: { industry: string; sure: boolean; word?: string; index: number } | undefined;
  for (const ind of office.industries) {
    if (ind === '其他') continue;
    const i = text.indexOf(ind);
    if (i >= 0 && (!best || !best.sure || i < best.index)) best = { industry: ind, sure: true, index: i };
  }
  if (best) return best;
  for (const ind of office.industries) {
    for (const w of CHAIN_WORDS[ind] ?? []) {
      const i = text.indexOf(w);
      if (i >= 0 && (!best || i < best.index)) best = { industry: ind, sure: false, word: w, index: i };
    }
  }
  return best;
}

function kindOf(text: string): { kind: LeadKind; sure: boolean } {
  const labelled = KIND_LABEL.exec(text);
  if (labelled) {
    const kind = (Object.keys(LEAD_KIND_LABELS) as LeadKind[]).find((k) => LEAD_KIND_LABELS[k].startsWith(labelled[1]));
    if (kind) return { kind, sure: true };
  }
  for (const [kind, re] of KIND_WORDS) if (re.test(text)) return { kind, sure: false };
  // Most leads are 科创类: the form of that kind, marked as a guess.
  return { kind: 'tech', sure: false };
}

/**
 * Reads a pasted paragraph. `found` counts the form fields read; a caller should treat text with fewer
 * than two of company, credit code, phone and amount as not a lead.
 */
export function parsePastedLead(input: string, office: OfficeConfig): PastedLead {
  const text = clean(input);
  const values: LeadFormValues = {};
  const uncertain: Record<string, string> = {};

  const kind = kindOf(text);
  if (kind && !kind.sure) uncertain.category = `项目类别是根据文字推断的（${LEAD_KIND_LABELS[kind.kind]}），如不对请发送「登记」选择其他类别`;

  const company = companyOf(text);
  if (company) {
    values.company_name = company.name;
    if (!company.labelled) uncertain.company_name = '请核对企业全称';
  }

  const credit = creditCodeOf(text);
  if (credit) {
    values.credit_code = credit.code;
    if (!credit.ok) uncertain.credit_code = '校验位不符，可能抄错了，请核对';
  }

  const phones = phonesOf(text);
  if (phones.length > 0) {
    values.contact_phone = phones[0].phone;
    if (phones.length > 1) uncertain.contact_phone = `文中有 ${phones.length} 个号码，已填第一个，请核对`;
  }

  const contact = CONTACT_LABEL.exec(text)?.[1] ?? (phones[0] ? CONTACT_TITLE.exec(text.slice(Math.max(0, phones[0].index - 12), phones[0].index))?.[1] : undefined);
  if (contact) values.contact_name = contact;

  const amount = amountOf(text, kind?.kind);
  if (amount) {
    const field = kind?.kind === 'fund' ? 'fund_size_wan' : 'investment_wan';
    values[field] = String(amount.wan);
    if (!amount.sure) uncertain[field] = '金额不是紧跟「投资」等字样写的，请核对是否为计划投资额';
  }

  const town = townOf(text, office);
  if (town) values.town = town;

  const industry = industryOf(text, office);
  if (industry) {
    values.industry = industry.industry;
    if (!industry.sure) uncertain.industry = `产业方向是根据「${industry.word}」推断的，请核对`;
  }

  const project = PROJECT_LABEL.exec(text)?.[1]?.trim();
  const projectGuess = project ? undefined : PROJECT_GUESS.exec(text)?.[1]?.replace(LEAD_IN, '');
  if (project) values.project_name = project;
  else if (projectGuess && projectGuess.length > 3) {
    values.project_name = projectGuess;
    uncertain.project_name = '项目名称是从文字中摘取的，请核对';
  } else if (company) {
    values.project_name = `${company.name.replace(new RegExp(`${COMPANY_SUFFIX}$`), '')}项目`;
    uncertain.project_name = '项目名称按企业名称拟定，请修改为实际项目名称';
  }

  const region = CITIES.find((c) => company?.name.startsWith(c) || new RegExp(`(?:来自|总部(?:位于|设在|在)?|位于)${c}`).test(text));
  if (region) values.source_region = region;

  if (kind?.kind === 'talent') {
    const talent = TALENT.exec(text)?.[1]?.replace(LEAD_IN, '');
    if (talent) values.talent_name = talent;
  }
  if (kind?.kind === 'platform') {
    const partner = PARTNER.exec(text)?.[1]?.replace(LEAD_IN, '').replace(ORG_PREFIX, '');
    if (partner) values.partner_institution = partner;
  }
  if (kind?.kind === 'fund' && company) values.fund_manager = company.name;

  const found = Object.keys(values).length;
  values.summary = Array.from(text.trim()).slice(0, SUMMARY_MAX).join('');
  return { kind: kind?.kind, values, uncertain, found };
}

/** Whether a text reads as a pasted lead: at least two of company name, credit code, phone and amount. */
export function looksLikeLead(p: PastedLead): boolean {
  const v = p.values;
  const signals = [v.company_name, v.credit_code, v.contact_phone, v.investment_wan ?? v.fund_size_wan].filter((x) => x !== undefined).length;
  return signals >= 2;
}
