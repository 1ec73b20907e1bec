// Demo data for the sandbox (`npm run demo:seed`): the 如皋 2023 plan's quota table (附件2) and activity
// calendar (附件3) for the current year, the demo people with their roles, the demo group's digest
// subscriptions, and a few dozen leads in every state, written the way the bot writes them: the lead
// through createLead, its approval through the workflow (src/features/approval/workflow.ts) and applyEffects, so
// ApprovalStep, StepAssignee and AuditEvent rows are exactly what real decisions leave. No messages are
// sent (the chats of a fresh sandbox start empty); /pending, /quota and the digests read the rows.
//
// 附件4's carriers (载体库) are added too.
// Idempotent: quotas, activities, carriers, people, grants and subscriptions are only added where absent; a lead is
// skipped when its submitter already has a lead of that project name.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { OfficeConfig } from '../office/config.ts';
import { TX_OPTIONS, type Db, type Tx } from '../platform/db/client.ts';
import { applyEffects, loadHolders, loadWorkflow } from '../features/approval/store.ts';
import { subscribe } from '../features/digests/store.ts';
import { createLead } from '../features/leads/store.ts';
import { scoreAndStore } from '../features/leads/scores.ts';
import { parseActivityTable } from '../features/activities/activity.ts';
import { inferChains, parseCarrierRows } from '../features/carriers/carrier.ts';
import { readTable } from '../platform/imports/table.ts';
import { reachesMajorThreshold, validateLeadForm, type LeadKind } from '../features/leads/lead.ts';
import { parseQuotaTable, quotaRecords } from '../features/quotas/quota.ts';
import { localParts } from '../platform/time.ts';
import { currentStep, decide, recordMeeting, submit, submitSheet, type Holders, type Role, type StepKind } from '../features/approval/workflow.ts';
import { DEMO_GROUP, DEMO_PEOPLE, DEMO_TOWN_STAFF, ensureDemoPeople } from './people.ts';

const DATA_DIR = fileURLToPath(new URL('./data/', import.meta.url));
export const QUOTA_FILE = 'rugao-2023-quota.csv';
export const ACTIVITY_FILE = 'rugao-2023-activities.csv';
export const CARRIER_FILE = 'rugao-2023-carriers.csv';

const DAY = 24 * 60 * 60 * 1000;
// A demo lead's whole history is one transaction: the platform's limits, with a longer timeout.
const SEED_TX_OPTIONS = { ...TX_OPTIONS, timeout: 30_000 };

/** Where a demo lead's approval stops. */
export type DemoOutcome = 'at_prereview' | 'at_review' | 'at_signoff' | 'at_leadership' | 'approved' | 'returned' | 'rejected';

export interface DemoLead {
  /** Canonical town; its demo staff member submits the lead. */
  town: string;
  kind: LeadKind;
  /** Registration form values (field name → value), as a user would enter them. */
  form: Record<string, unknown>;
  outcome: DemoOutcome;
  /** Submitted this many days before now (squeezed into the current year when it is young). */
  daysAgo: number;
  /** 来源活动: the activity's 序号 in 附件3. */
  activitySeq?: number;
  comment?: string;
}

const lead = (town: string, kind: LeadKind, outcome: DemoOutcome, daysAgo: number, form: Record<string, unknown>, extra: Partial<DemoLead> = {}): DemoLead => ({
  town, kind, outcome, daysAgo, form, ...extra,
});

/** The demo leads: seven towns, five kinds, every approval state. */
export const DEMO_LEADS: readonly DemoLead[] = [
  // 丁堰镇
  lead('丁堰镇', 'tech', 'approved', 120, { project_name: '高精度光学镜片研发及产业化项目', team_strength: '省市级人才或博士领衔', market_outlook: '较好', industry_position: '省内领先', business_model: '初步形成', output_wan: 8000, tax_wan: 500, rnd_wan: 600, jobs: 90, land_mu: 30, company_name: '如皋明镜光学科技有限公司', industry: '精密光学制造', source_region: '上海', investment_wan: 3200, hightech_field: '先进制造与自动化', stage: '产业化', invention_patents: 3, utility_models: 6, summary: '非球面光学镜片精密模压技术，团队来自上海光机所。', referrer: '上海如皋商会', referrer_type: 'unit' }, { activitySeq: 5 }),
  lead('丁堰镇', 'tech', 'approved', 75, { project_name: '新能源汽车电驱壳体精密加工项目', company_name: '江苏丁堰汽配科技有限公司', industry: '汽车及核心零部件', source_region: '苏州', investment_wan: 2800, hightech_field: '先进制造与自动化', invention_patents: 2, utility_models: 4 }),
  lead('丁堰镇', 'service', 'at_review', 3, { project_name: '科技成果转移服务中心', company_name: '南通科联技术转移有限公司', industry: '其他', source_region: '南通', investment_wan: 300, service_type: '技术交易' }),
  lead('丁堰镇', 'talent', 'at_prereview', 2, { project_name: '张博士团队生物基材料项目', company_name: '如皋绿源生物材料有限公司', industry: '合成生物学', source_region: '杭州', investment_wan: 1500, talent_name: '张明远', talent_title: '省级人才', founding_locally: true, invention_patents: 2, utility_models: 1 }),
  lead('丁堰镇', 'tech', 'at_signoff', 9, { project_name: '储能电池热管理系统项目', company_name: '江苏恒温储能科技有限公司', industry: '储能节能', source_region: '深圳', investment_wan: 5000, hightech_field: '新能源与节能', invention_patents: 4, utility_models: 5 }, { activitySeq: 11 }),
  lead('丁堰镇', 'tech', 'returned', 20, { project_name: '智能检测设备项目', company_name: '如皋慧测仪器有限公司', industry: '高端装备制造', investment_wan: 1200, hightech_field: '先进制造与自动化', invention_patents: 1, utility_models: 2 }, { comment: '请补充企业注册信息和投资计划明细。' }),
  // 东陈镇
  lead('东陈镇', 'tech', 'approved', 150, { project_name: '医用敷料新材料项目', company_name: '江苏东陈医材科技有限公司', industry: '大健康', source_region: '上海', investment_wan: 2000, hightech_field: '生物与新医药', invention_patents: 2, utility_models: 3 }),
  lead('东陈镇', 'service', 'approved', 60, { project_name: '检验检测公共服务平台', team_strength: '省市级人才或博士领衔', market_outlook: '较好', industry_position: '省内领先', business_model: '初步形成', output_wan: 3000, tax_wan: 250, rnd_wan: 300, jobs: 60, company_name: '南通精检技术服务有限公司', industry: '其他', investment_wan: 800, service_type: '技术评估检测' }),
  lead('东陈镇', 'tech', 'rejected', 40, { project_name: '农产品深加工数字化项目', company_name: '如皋东陈智农科技有限公司', industry: '其他', investment_wan: 900, hightech_field: '电子信息', utility_models: 1 }, { comment: '项目技术含量不足，不符合科技招商项目认定条件。' }),
  lead('东陈镇', 'talent', 'at_review', 5, { project_name: '陈教授团队功能膜材料项目', company_name: '如皋膜科新材料有限公司', industry: '前沿新材料', source_region: '南京', investment_wan: 1800, talent_name: '陈立群', talent_title: '国家级人才', invention_patents: 3, utility_models: 2 }),
  // 白蒲镇
  lead('白蒲镇', 'tech', 'approved', 95, { project_name: '黄酒酿造菌种改良项目', company_name: '如皋白蒲酿造生物科技有限公司', industry: '合成生物学', investment_wan: 1600, hightech_field: '生物与新医药', invention_patents: 3, utility_models: 2 }),
  lead('白蒲镇', 'service', 'approved', 4, { project_name: '长三角知识产权服务站', company_name: '江苏知汇知识产权代理有限公司', industry: '其他', source_region: '上海', investment_wan: 200, service_type: '法律' }),
  lead('白蒲镇', 'tech', 'at_signoff', 4, { project_name: '智能纺织装备项目', company_name: '如皋白蒲纺机科技有限公司', industry: '高端装备制造', investment_wan: 2500, hightech_field: '先进制造与自动化', invention_patents: 2, utility_models: 5 }),
  lead('白蒲镇', 'tech', 'returned', 12, { project_name: '功能性食品配料项目', company_name: '如皋康源食品科技有限公司', industry: '大健康', investment_wan: 700, hightech_field: '生物与新医药', invention_patents: 1, utility_models: 1 }, { comment: '项目简介过于简单，请补充技术来源和团队情况。' }),
  // 磨头镇
  lead('磨头镇', 'tech', 'approved', 200, { project_name: '合成生物学中试基地项目', company_name: '如皋合成未来生物科技有限公司', industry: '合成生物学', source_region: '天津', investment_wan: 8000, hightech_field: '生物与新医药', stage: '中试', invention_patents: 6, utility_models: 4, referrer: '如皋微创发酵科技有限公司', referrer_type: 'enterprise' }, { activitySeq: 6 }),
  lead('磨头镇', 'platform', 'approved', 140, { project_name: '江南大学合成生物联合研究院', team_strength: '省市级人才或博士领衔', market_outlook: '较好', industry_position: '省内领先', business_model: '初步形成', output_wan: 5000, tax_wan: 300, rnd_wan: 1200, jobs: 80, company_name: '如皋江大合成生物研究院', industry: '合成生物学', investment_wan: 3000, partner_institution: '江南大学', partner_type: '高校', platform_type: '产业技术研究院', planned_staff: 40 }),
  lead('磨头镇', 'tech', 'at_leadership', 6, { project_name: '酶制剂绿色制造项目', company_name: '江苏磨头酶工科技有限公司', industry: '合成生物学', investment_wan: 12000, hightech_field: '生物与新医药', invention_patents: 5, utility_models: 3 }),
  lead('磨头镇', 'talent', 'approved', 50, { project_name: '李博士团队微生物发酵项目', company_name: '如皋微创发酵科技有限公司', industry: '合成生物学', source_region: '美国', investment_wan: 1000, talent_name: '李文博', talent_title: '海外高层次人才', invention_patents: 2, utility_models: 1, referrer: '周建华', referrer_type: 'person' }),
  lead('磨头镇', 'tech', 'at_review', 1, { project_name: '生物基可降解包装项目', company_name: '如皋绿装新材料有限公司', industry: '前沿新材料', investment_wan: 1300, hightech_field: '新材料', invention_patents: 1, utility_models: 3 }),
  // 长江镇
  lead('长江镇', 'tech', 'approved', 180, { project_name: '高性能碳纤维复合材料项目', company_name: '江苏长江碳材科技有限公司', industry: '前沿新材料', source_region: '上海', investment_wan: 15000, hightech_field: '新材料', invention_patents: 8, utility_models: 10 }),
  lead('长江镇', 'tech', 'approved', 100, { project_name: '船用氢燃料动力系统项目', company_name: '如皋港氢动力科技有限公司', industry: '氢能', investment_wan: 6000, hightech_field: '新能源与节能', invention_patents: 4, utility_models: 6 }),
  lead('长江镇', 'fund', 'approved', 80, { project_name: '长江新材料产业基金', team_strength: '省市级人才或博士领衔', industry_position: '国内领先', tax_wan: 300, jobs: 15, company_name: '如皋长江新材料创业投资合伙企业（有限合伙）', industry: '前沿新材料', fund_manager: '上海鼎新创业投资管理有限公司', fund_size_wan: 50000, focus_industries: ['前沿新材料', '高端装备制造'], fund_stage: 'VC' }),
  lead('长江镇', 'platform', 'at_signoff', 8, { project_name: '电子化学品研发平台', company_name: '如皋港电子化学品研究院', industry: '光电及泛半导体', investment_wan: 2200, partner_institution: '中国科学院上海有机化学研究所', partner_type: '科研院所', platform_type: '新型研发机构' }, { activitySeq: 18 }),
  lead('长江镇', 'tech', 'rejected', 25, { project_name: '海工装备智能焊接项目', company_name: '如皋海工智能装备有限公司', industry: '高端装备制造', investment_wan: 900, hightech_field: '先进制造与自动化', utility_models: 2 }, { comment: '与已登记项目重复，请勿重复申报。' }),
  // 开发区
  lead('开发区', 'tech', 'approved', 160, { project_name: '氢燃料电池膜电极产业化项目', team_strength: '国家级人才领衔', market_outlook: '广阔', industry_position: '国内领先', business_model: '已验证（有订单或营收）', output_wan: 60000, tax_wan: 3000, rnd_wan: 2500, jobs: 260, land_mu: 50, company_name: '江苏氢芯能源科技有限公司', industry: '氢能', source_region: '上海', investment_wan: 9000, hightech_field: '新能源与节能', stage: '产业化', invention_patents: 7, utility_models: 5, referrer: '上海如皋商会', referrer_type: 'unit' }, { activitySeq: 12 }),
  lead('开发区', 'tech', 'approved', 45, { project_name: '车规级功率模块封装项目', company_name: '如皋芯驰半导体有限公司', industry: '汽车及核心零部件', source_region: '深圳', investment_wan: 4500, hightech_field: '电子信息', invention_patents: 3, utility_models: 4 }),
  lead('开发区', 'platform', 'approved', 110, { project_name: '氢能产业创新中心', company_name: '如皋氢能技术创新中心', industry: '氢能', investment_wan: 5000, partner_institution: '同济大学', partner_type: '高校', platform_type: '技术创新中心', planned_staff: 60 }),
  lead('开发区', 'talent', 'at_leadership', 10, { project_name: '王院士团队固态储能项目', team_strength: '国家级人才领衔', market_outlook: '广阔', industry_position: '国内领先', business_model: '已验证（有订单或营收）', output_wan: 50000, tax_wan: 2500, rnd_wan: 3000, jobs: 200, company_name: '如皋固能科技有限公司', industry: '储能节能', source_region: '北京', investment_wan: 20000, talent_name: '王建国', talent_title: '国家级人才', founding_locally: true, invention_patents: 5, utility_models: 2 }),
  lead('开发区', 'service', 'at_review', 2, { project_name: '智能网联测试服务项目', company_name: '江苏智联检测技术有限公司', industry: '汽车及核心零部件', investment_wan: 1500, service_type: '技术评估检测' }),
  lead('开发区', 'fund', 'at_review', 7, { project_name: '氢能产业天使基金', company_name: '如皋氢能天使创业投资合伙企业（有限合伙）', industry: '氢能', fund_manager: '苏州元禾原点创业投资管理有限公司', fund_size_wan: 20000, focus_industries: ['氢能', '储能节能'], fund_stage: '天使' }),
  // 高新区
  lead('高新区', 'tech', 'approved', 130, { project_name: '超精密光学加工装备项目', team_strength: '国家级人才领衔', market_outlook: '广阔', industry_position: '国内领先', business_model: '已验证（有订单或营收）', output_wan: 30000, tax_wan: 1800, rnd_wan: 1500, jobs: 150, land_mu: 0, company_name: '如皋精光装备科技有限公司', industry: '精密光学制造', investment_wan: 7000, hightech_field: '先进制造与自动化', invention_patents: 5, utility_models: 8 }, { activitySeq: 9 }),
  lead('高新区', 'tech', 'approved', 90, { project_name: 'Micro LED 显示芯片项目', team_strength: '省市级人才或博士领衔', market_outlook: '较好', industry_position: '省内领先', business_model: '初步形成', output_wan: 20000, tax_wan: 1200, rnd_wan: 1500, jobs: 180, land_mu: 40, company_name: '江苏微显光电科技有限公司', industry: '光电及泛半导体', source_region: '厦门', investment_wan: 11000, hightech_field: '电子信息', invention_patents: 9, utility_models: 6 }),
  lead('高新区', 'platform', 'approved', 65, { project_name: '南京大学光电研究院如皋分院', company_name: '南大（如皋）光电研究院', industry: '光电及泛半导体', investment_wan: 4000, partner_institution: '南京大学', partner_type: '高校', platform_type: '产业技术研究院', planned_staff: 50 }),
  lead('高新区', 'service', 'approved', 14, { project_name: '科技企业孵化器运营服务', company_name: '如皋启航孵化器管理有限公司', industry: '其他', investment_wan: 500, service_type: '载体运营' }),
  lead('高新区', 'talent', 'at_signoff', 3, { project_name: '刘博士团队光刻胶材料项目', company_name: '如皋光材科技有限公司', industry: '光电及泛半导体', source_region: '新加坡', investment_wan: 2600, talent_name: '刘思远', talent_title: '省级人才', invention_patents: 3, utility_models: 2 }),
  lead('高新区', 'tech', 'returned', 6, { project_name: '天然产物绿色提取项目', company_name: '如皋植源生物科技有限公司', industry: '合成生物学', investment_wan: 1100, hightech_field: '生物与新医药', invention_patents: 1, utility_models: 2 }, { comment: '请核实投资额并补充联系人信息。' }),
];

export interface DemoSeedOptions {
  office: OfficeConfig;
  /** The office time zone (BOT_TIMEZONE). */
  tz: string;
  now: Date;
}

export interface DemoSeedResult {
  year: number;
  quotasAdded: number;
  activitiesAdded: number;
  /** 附件4's carriers (载体库), for the current year. */
  carriersAdded: number;
  /** Digest subscriptions of the demo group. */
  subscriptionsAdded: number;
  leadsAdded: number;
  leadsKept: number;
}

/** The outcome's stop: the step kind a lead stays pending at, if any. */
const STOP_AT: Partial<Record<DemoOutcome, StepKind>> = {
  at_prereview: 'prereview',
  at_review: 'review',
  at_signoff: 'signoff',
  at_leadership: 'leadership',
};

function submitterOf(town: string): string {
  const staff = [...DEMO_PEOPLE, ...DEMO_TOWN_STAFF].find((p) => p.role === 'staff' && p.town === town);
  if (!staff) throw new Error(`demo seed: no demo staff member for ${town}`);
  return staff.openId;
}

function rolesOf(holders: Holders, openId: string): Role[] {
  return (Object.keys(holders) as Role[]).filter((r) => holders[r]?.includes(openId));
}

/** Adds the quota table of the current year where absent. */
async function seedQuotas(db: Db, office: OfficeConfig, year: number): Promise<number> {
  const parsed = await parseQuotaTable(await readFile(DATA_DIR + QUOTA_FILE), QUOTA_FILE, office);
  if (!parsed.ok) throw new Error(`demo seed: ${QUOTA_FILE}: ${parsed.errors.join('; ')}`);
  let added = 0;
  for (const r of quotaRecords(year, parsed.rows)) {
    const where = { year_town_metric: { year: r.year, town: r.town, metric: r.metric } };
    if (await db.quota.findUnique({ where })) continue;
    await db.quota.create({ data: r });
    added += 1;
  }
  return added;
}

/** Adds the activity calendar of the current year where absent; returns 序号 → id. */
async function seedActivities(db: Db, year: number): Promise<{ added: number; ids: Map<number, number> }> {
  const parsed = await parseActivityTable(await readFile(DATA_DIR + ACTIVITY_FILE), ACTIVITY_FILE, year);
  if (!parsed.ok) throw new Error(`demo seed: ${ACTIVITY_FILE}: ${parsed.errors.join('; ')}`);
  let added = 0;
  for (const a of parsed.activities) {
    const where = { year_seq: { year, seq: a.seq } };
    if (await db.activity.findUnique({ where })) continue;
    await db.activity.create({
      data: { year, seq: a.seq, name: a.name, timeText: a.timeText, month: a.month ?? null, date: a.date ?? null, allYear: a.allYear, organizer: a.organizer ?? null },
    });
    added += 1;
  }
  const rows = await db.activity.findMany({ where: { year }, select: { id: true, seq: true } });
  return { added, ids: new Map(rows.map((r) => [r.seq, r.id])) };
}

/** Adds 附件4's 25 carriers (载体汇总表) where absent, dated the current year so /quota shows their targets line. */
async function seedCarriers(db: Db, office: OfficeConfig, year: number): Promise<number> {
  const table = await readTable(await readFile(DATA_DIR + CARRIER_FILE), CARRIER_FILE);
  const parsed = table.ok ? parseCarrierRows(table.rows, office) : table;
  if (!parsed.ok) throw new Error(`demo seed: ${CARRIER_FILE}: ${parsed.errors.join('; ')}`);
  let added = 0;
  for (const c of parsed.carriers) {
    if (await db.carrier.findUnique({ where: { name: c.name } })) continue;
    await db.carrier.create({
      data: {
        name: c.name, town: c.town, year, buildMode: c.buildMode ?? null, direction: c.direction ?? null, level: c.level ?? null,
        chains: c.chains ?? inferChains(office, c),
      },
    });
    added += 1;
  }
  return added;
}

/** Registers one lead and takes its approval as far as `spec.outcome` says, at times in the past. */
async function seedLead(tx: Tx, spec: DemoLead, opts: DemoSeedOptions, year: number, activityIds: Map<number, number>, yearStart: number): Promise<void> {
  const { office, now } = opts;
  const submitterId = submitterOf(spec.town);
  const form = { ...spec.form, town: spec.town, ...(spec.activitySeq && activityIds.has(spec.activitySeq) ? { activity_id: String(activityIds.get(spec.activitySeq)) } : {}) };
  const checked = validateLeadForm(spec.kind, form, office, { activities: [...activityIds.entries()].map(([seq, id]) => ({ id, name: String(seq) })) });
  if (!checked.ok) throw new Error(`demo seed: ${String(spec.form.project_name)}: ${Object.values(checked.errors).join('; ')}`);

  // Times: submitted `daysAgo` before now, squeezed into this year; decisions spaced up to 1.5 days apart.
  const room = Math.max(0, now.getTime() - yearStart);
  const submitted = now.getTime() - Math.min(spec.daysAgo * DAY, room * Math.min(1, spec.daysAgo / 330));
  const gap = Math.min(1.5 * DAY, (now.getTime() - submitted) / 6);
  let at = new Date(submitted);

  const row = await createLead(tx, { lead: checked.lead, submitterId, year, major: reachesMajorThreshold(checked.lead, office), role: 'staff', now: at });
  // Scored as the bot scores a registration, so a running service shows the 评级 without a restart.
  await scoreAndStore(tx, row.id, office);
  const holders = await loadHolders(tx, []);
  const opened = (await loadWorkflow(tx, row.id))!;
  // createLead already recorded the 'submit' audit event, as in the bot (see src/features/approval/start.ts).
  const effects = submit(opened.state.lead, office, holders, at).effects.filter((e) => !(e.type === 'audit' && e.action === 'submit'));
  await applyEffects(tx, row.id, effects, at);

  const stopAt = STOP_AT[spec.outcome];
  for (let decisions = 0; decisions < 10; decisions++) {
    const { state } = (await loadWorkflow(tx, row.id))!;
    const step = currentStep(state);
    if (!step) return;
    const voter = step.assignees.find((a) => a.active && !a.decision);
    if (!voter) throw new Error(`demo seed: nobody can decide ${step.step} of ${row.code}`);
    // A lead waiting at 领导小组 keeps one leader's vote, so the other still has it pending.
    const votes = step.assignees.filter((a) => a.decision).length;
    if (step.step === stopAt && !(step.step === 'leadership' && step.mode === 'all' && votes === 0)) return;
    const action = spec.outcome === 'returned' && step.step === 'review' ? 'return' : spec.outcome === 'rejected' && step.step === 'signoff' ? 'reject' : 'approve';
    at = new Date(at.getTime() + gap);
    const actor = { id: voter.userId, roles: rolesOf(holders, voter.userId) };
    const stepId = step.id ?? undefined;
    // A panel's expert files a passing sheet; a meeting step is passed by the recorded meeting.
    const result = step.mode === 'panel'
      ? submitSheet(state, actor, { holders, stepId, pass: true, total: 80, comment: '技术路线清晰，建议引进', result: { outcome: 'approved', text: `均分 80 ≥ ${office.panel.threshold}，通过` } }, at)
      : step.mode === 'meeting'
        ? recordMeeting(state, actor, { holders, stepId, outcome: 'pass', summary: '领导小组会议：通过' }, at)
        : decide(state, actor, action, { holders, stepId, comment: action === 'approve' ? undefined : spec.comment }, at);
    if (!result.ok) throw new Error(`demo seed: ${row.code} ${step.step} ${action}: ${result.reason}`);
    await applyEffects(tx, row.id, result.effects, at);
  }
}

/** Fills the database with the demo data; safe to run again. */
export async function seedDemo(db: Db, opts: DemoSeedOptions): Promise<DemoSeedResult> {
  const year = localParts(opts.now, opts.tz).year;
  // 2 January UTC lies within this year in every time zone.
  const yearStart = Date.UTC(year, 0, 2);
  await ensureDemoPeople(db, [...DEMO_PEOPLE, ...DEMO_TOWN_STAFF]);
  const quotasAdded = await seedQuotas(db, opts.office, year);
  const { added: activitiesAdded, ids } = await seedActivities(db, year);
  const carriersAdded = await seedCarriers(db, opts.office, year);
  // The group receives the scheduled digests (周例会 / 双月例会 / 一月一报) like an office's work group would.
  let subscriptionsAdded = 0;
  for (const topic of ['weekly', 'bimonthly', 'monthly'] as const) {
    if (await subscribe(db, { chatId: DEMO_GROUP.chatId, topic, filter: '', createdBy: 'ou_demoadmin' })) subscriptionsAdded += 1;
  }
  let leadsAdded = 0;
  let leadsKept = 0;
  // Oldest first, so codes follow submission order as they would in real use.
  const specs = [...DEMO_LEADS].sort((a, b) => b.daysAgo - a.daysAgo);
  for (const spec of specs) {
    const submitterId = submitterOf(spec.town);
    const exists = await db.lead.findFirst({ where: { submitterId, projectName: String(spec.form.project_name) }, select: { id: true } });
    if (exists) {
      leadsKept += 1;
      continue;
    }
    await db.$transaction((tx) => seedLead(tx, spec, opts, year, ids, yearStart), SEED_TX_OPTIONS);
    leadsAdded += 1;
  }
  return { year, quotasAdded, activitiesAdded, carriersAdded, subscriptionsAdded, leadsAdded, leadsKept };
}
