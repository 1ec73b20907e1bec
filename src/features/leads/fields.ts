// The registration form as data: one definition per field, shared by the card renderer (to build the form)
// and the validator (to check it). Field `name`s are the public contract of the form.
import type { OfficeConfig } from '../../office/config.ts';
import { LEAD_KINDS, LEAD_KIND_LABELS, type LeadKind } from './kinds.ts';

export type LeadFieldType = 'text' | 'textarea' | 'number' | 'integer' | 'select' | 'multi_select' | 'checker' | 'date';

export interface LeadFieldOption {
  /** What the form submits and what is stored. */
  value: string;
  /** What the user sees. */
  label: string;
}

export interface LeadFieldDef {
  name: string;
  label: string;
  type: LeadFieldType;
  required: boolean;
  /** `common` for fields every kind has, otherwise the kind the field belongs to. */
  section: 'common' | LeadKind;
  /** For select and multi_select. */
  options?: LeadFieldOption[];
  placeholder?: string;
  /** For text and textarea, counted in characters (code points). */
  maxLength?: number;
  /** For number and integer. */
  min?: number;
  max?: number;
  /** For number and integer: the unit the value is in (万元, 件, 人, 年); typing it after the number is accepted. */
  unit?: string;
  /** For names: the value must contain at least one letter or digit (not only emoji or punctuation). */
  needsText?: boolean;
  /** A short explanation a renderer may show under the field. */
  hint?: string;
}

/** 《国家重点支持的高新技术领域》 (2016): the eight areas. */
export const HIGH_TECH_FIELDS = [
  '电子信息', '生物与新医药', '航空航天', '新材料', '高技术服务', '新能源与节能', '资源与环境', '先进制造与自动化',
] as const;
export const TECH_STAGES = ['研发', '中试', '产业化'] as const;
export const TALENT_TITLES = ['国家级人才', '省级人才', '市级人才', '海外高层次人才', '其他'] as const;
export const PARTNER_TYPES = ['高校', '科研院所', '央企', '龙头企业', '其他'] as const;
export const PLATFORM_TYPES = ['新型研发机构', '技术创新中心', '重点实验室', '院士工作站', '产业技术研究院', '成果转移中心'] as const;
export const SERVICE_TYPES = ['科技咨询', '载体运营', '技术评估检测', '财会审计', '法律', '技术交易'] as const;
export const FUND_STAGES = ['天使', 'VC', 'PE'] as const;
/** Selects the 综合评价模型 reads (seeds 000, 002); their shares are in the office's `scoring.levels`. */
export const MARKET_OUTLOOKS = ['广阔', '较好', '一般'] as const;
export const INDUSTRY_POSITIONS = ['国际领先', '国内领先', '省内领先', '一般'] as const;
export const BUSINESS_MODELS = ['已验证（有订单或营收）', '初步形成', '尚在探索'] as const;
export const TEAM_STRENGTHS = ['国家级人才领衔', '省市级人才或博士领衔', '有专职研发团队', '尚在组建'] as const;

/** 信息提供人 kinds (seed 000: rewards for 「提供优质项目信息」的单位和个人; 以商引商 is a company bringing another). */
export const REFERRER_TYPES = ['person', 'unit', 'enterprise', 'agent'] as const;
export type ReferrerType = (typeof REFERRER_TYPES)[number];
export const REFERRER_TYPE_LABELS: Readonly<Record<ReferrerType, string>> = {
  person: '个人',
  unit: '单位',
  enterprise: '企业（以商引商）',
  agent: '中介机构',
};

/** The label of a stored referrer type; unknown or empty shown as given. */
export function referrerTypeLabel(type: string | null | undefined): string {
  return type && Object.hasOwn(REFERRER_TYPE_LABELS, type) ? REFERRER_TYPE_LABELS[type as ReferrerType] : (type ?? '');
}

/** Upper bound for amounts in 万元 (1,000 亿元): larger values are almost always 元 typed as 万元. */
export const MAX_WAN = 10_000_000;

/** An activity (活动安排表) that may have sourced the lead. */
export interface LeadActivityOption {
  id: number;
  name: string;
}

export interface LeadFormOptions {
  /**
   * The activities a lead may name as its source. When given and not empty, the form has an `activity_id`
   * select and the validator only accepts these ids; when left out, the validator accepts any positive id.
   */
  activities?: LeadActivityOption[];
}

const same = (values: readonly string[]): LeadFieldOption[] => values.map((v) => ({ value: v, label: v }));

function commonFields(kind: LeadKind, office: OfficeConfig): LeadFieldDef[] {
  return [
    {
      name: 'category', label: '项目类别', type: 'select', required: true, section: 'common',
      options: LEAD_KINDS.map((k) => ({ value: k, label: LEAD_KIND_LABELS[k] })),
      hint: `本表为${LEAD_KIND_LABELS[kind]}项目登记表`,
    },
    {
      name: 'project_name', label: '项目名称', type: 'text', required: true, section: 'common',
      maxLength: 100, needsText: true, placeholder: '如：氢燃料电池膜电极产业化项目',
    },
    {
      name: 'company_name', label: '企业名称', type: 'text', required: false, section: 'common',
      maxLength: 100, needsText: true, placeholder: '已注册或拟注册的企业全称',
    },
    {
      name: 'credit_code', label: '统一社会信用代码', type: 'text', required: false, section: 'common',
      maxLength: 30, placeholder: '18 位，已注册企业填写',
    },
    {
      name: 'industry', label: '产业方向', type: 'select', required: false, section: 'common',
      options: same(office.industries),
    },
    {
      name: 'town', label: '所属镇区', type: 'select', required: true, section: 'common',
      options: same(office.towns.map((t) => t.name)),
    },
    {
      name: 'source_region', label: '来源地', type: 'text', required: false, section: 'common',
      maxLength: 50, placeholder: '如：上海、苏州、深圳',
    },
    {
      name: 'contact_name', label: '联系人', type: 'text', required: false, section: 'common',
      maxLength: 30, needsText: true,
    },
    {
      name: 'contact_phone', label: '联系电话', type: 'text', required: false, section: 'common',
      maxLength: 30, placeholder: '手机号或座机号，如 0513-87654321',
    },
    {
      name: 'investment_wan', label: '计划投资额', type: 'number', required: false, section: 'common',
      min: 0, max: MAX_WAN, unit: '万元', placeholder: '单位：万元，如 1200',
    },
    {
      name: 'needs_fund', label: '落地即带投资需求', type: 'checker', required: false, section: 'common',
      hint: '项目落地时需要基金同步投资',
    },
    {
      name: 'referrer', label: '信息提供人', type: 'text', required: false, section: 'common',
      maxLength: 50, needsText: true, placeholder: '提供项目信息的个人或单位名称',
      hint: '用于统计和奖励提供优质项目信息的单位和个人',
    },
    {
      name: 'referrer_type', label: '信息提供人类型', type: 'select', required: false, section: 'common',
      options: REFERRER_TYPES.map((t) => ({ value: t, label: REFERRER_TYPE_LABELS[t] })),
    },
    {
      name: 'summary', label: '项目简介', type: 'textarea', required: false, section: 'common',
      maxLength: 2000, placeholder: '团队、技术、产品、市场、落地计划等',
    },
  ];
}

const inventionPatents = (kind: LeadKind): LeadFieldDef => ({
  name: 'invention_patents', label: '发明专利实审数', type: 'integer', required: false, section: kind,
  min: 0, max: 10_000, unit: '件',
});
const utilityModels = (kind: LeadKind): LeadFieldDef => ({
  name: 'utility_models', label: '实用新型授权数', type: 'integer', required: false, section: kind,
  min: 0, max: 10_000, unit: '件',
});
/** 需求面积: the space a project needs in a 载体, matched against carriers' free area (src/features/carriers). */
export const MAX_SPACE_SQM = 1_000_000;
const spaceNeeded = (kind: LeadKind): LeadFieldDef => ({
  name: 'space_sqm', label: '需求面积', type: 'number', required: false, section: kind,
  min: 0, max: MAX_SPACE_SQM, unit: '㎡', placeholder: '落地所需场地面积，单位：㎡', hint: '用于匹配有空余面积的科创载体',
});

/**
 * 项目评价 (every kind, all optional, stored in details): the projected contribution the seeds ask for
 * (000 预计指标贡献; 004 亩均效益) and the judgements the 综合评价模型 reads (市场前景, 行业地位, 商业模式, 团队).
 */
function evaluationFields(kind: LeadKind): LeadFieldDef[] {
  const amount = (name: string, label: string, hint?: string): LeadFieldDef => ({
    name, label, type: 'number', required: false, section: kind, min: 0, max: MAX_WAN, unit: '万元', placeholder: '单位：万元', ...(hint ? { hint } : {}),
  });
  return [
    { name: 'team_strength', label: '核心团队', type: 'select', required: false, section: kind, options: same(TEAM_STRENGTHS) },
    { name: 'market_outlook', label: '市场前景', type: 'select', required: false, section: kind, options: same(MARKET_OUTLOOKS) },
    { name: 'industry_position', label: '行业地位', type: 'select', required: false, section: kind, options: same(INDUSTRY_POSITIONS) },
    { name: 'business_model', label: '商业模式', type: 'select', required: false, section: kind, options: same(BUSINESS_MODELS) },
    amount('output_wan', '预计年产值', '达产后'),
    amount('tax_wan', '预计年税收'),
    amount('rnd_wan', '预计年研发投入'),
    { name: 'jobs', label: '预计就业人数', type: 'integer', required: false, section: kind, min: 0, max: 1_000_000, unit: '人' },
    {
      name: 'land_mu', label: '新增用地面积', type: 'number', required: false, section: kind, min: 0, max: 100_000, unit: '亩',
      hint: '入驻载体、不新增用地的填 0 或不填',
    },
  ];
}

function kindFields(kind: LeadKind, industries: readonly string[]): LeadFieldDef[] {
  return [...ownFields(kind, industries), ...evaluationFields(kind)];
}

function ownFields(kind: LeadKind, industries: readonly string[]): LeadFieldDef[] {
  switch (kind) {
    case 'tech':
      return [
        {
          name: 'hightech_field', label: '高新技术领域', type: 'select', required: true, section: kind,
          options: same(HIGH_TECH_FIELDS), hint: '《国家重点支持的高新技术领域》八大领域',
        },
        { name: 'stage', label: '项目阶段', type: 'select', required: false, section: kind, options: same(TECH_STAGES) },
        {
          name: 'years_to_high_tech', label: '预计满足高企申报条件年限', type: 'integer', required: false, section: kind,
          min: 1, max: 3, unit: '年', hint: '科创类项目一般应在三年内满足高新技术企业申报条件',
        },
        inventionPatents(kind),
        utilityModels(kind),
        spaceNeeded(kind),
      ];
    case 'talent':
      return [
        { name: 'talent_name', label: '人才姓名', type: 'text', required: true, section: kind, maxLength: 30, needsText: true },
        { name: 'talent_title', label: '人才层次', type: 'select', required: false, section: kind, options: same(TALENT_TITLES) },
        {
          name: 'core_technology', label: '核心技术', type: 'text', required: false, section: kind, maxLength: 200,
          placeholder: '与主营产品相关的核心技术或自主知识产权',
        },
        { name: 'founding_locally', label: '在本地创办企业', type: 'checker', required: false, section: kind },
        inventionPatents(kind),
        utilityModels(kind),
        spaceNeeded(kind),
      ];
    case 'platform':
      return [
        {
          name: 'partner_institution', label: '合作单位', type: 'text', required: true, section: kind, maxLength: 100,
          needsText: true, placeholder: '如：南京大学',
        },
        { name: 'partner_type', label: '合作单位类型', type: 'select', required: false, section: kind, options: same(PARTNER_TYPES) },
        { name: 'platform_type', label: '平台类型', type: 'select', required: true, section: kind, options: same(PLATFORM_TYPES) },
        {
          name: 'planned_staff', label: '计划人员规模', type: 'integer', required: false, section: kind,
          min: 0, max: 100_000, unit: '人',
        },
        spaceNeeded(kind),
      ];
    case 'service':
      return [
        { name: 'service_type', label: '服务类型', type: 'select', required: true, section: kind, options: same(SERVICE_TYPES) },
      ];
    case 'fund':
      return [
        {
          name: 'fund_manager', label: '基金管理人', type: 'text', required: true, section: kind, maxLength: 100,
          needsText: true, placeholder: '创投机构名称',
        },
        {
          name: 'fund_size_wan', label: '基金规模', type: 'number', required: false, section: kind,
          min: 0, max: MAX_WAN, unit: '万元', placeholder: '单位：万元',
        },
        { name: 'focus_industries', label: '重点投向', type: 'multi_select', required: false, section: kind, options: same(industries) },
        { name: 'fund_stage', label: '投资阶段', type: 'select', required: false, section: kind, options: same(FUND_STAGES) },
        { name: 'planned_setup_date', label: '预计设立日期', type: 'date', required: false, section: kind },
      ];
  }
}

/** The kind-specific field definitions alone (labels and units do not depend on the office). */
export function leadKindFields(kind: LeadKind, industries: readonly string[] = []): LeadFieldDef[] {
  return kindFields(kind, industries);
}

export function activityField(activities: readonly LeadActivityOption[]): LeadFieldDef {
  return {
    name: 'activity_id', label: '来源活动', type: 'select', required: false, section: 'common',
    options: activities.map((a) => ({ value: String(a.id), label: a.name })),
    hint: '通过哪场招商活动对接到的项目',
  };
}

/**
 * Every field of the registration form for one kind, in display order: the common fields, the
 * kind-specific fields, then `activity_id` when activities are given.
 */
export function leadFormFields(kind: LeadKind, office: OfficeConfig, opts: LeadFormOptions = {}): LeadFieldDef[] {
  const fields = [...commonFields(kind, office), ...kindFields(kind, office.industries)];
  if (opts.activities && opts.activities.length > 0) fields.push(activityField(opts.activities));
  return fields;
}
