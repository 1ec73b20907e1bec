// Checking a submitted registration form and turning it into the columns of a Lead row.
import { resolveTown, type OfficeConfig } from '../../office/config.ts';
import { normalizeCompanyName } from './company.ts';
import { checkCreditCode } from './creditCode.ts';
import { activityField, leadFormFields, leadKindFields, type LeadFieldDef, type LeadFormOptions } from './fields.ts';
import { isLeadKind, LEAD_KIND_LABELS, type LeadKind } from './kinds.ts';
import { normalizePhone } from './phone.ts';
import { givenCount } from './summary.ts';
import { isEmpty, matchOption, readField, type FieldReading, type LeadFieldValue, type LeadFormValue } from './values.ts';

/** Kind-specific values, keyed by field name (`hightech_field`, `talent_name`, ...); stored in Lead.details. */
export type LeadDetails = Record<string, LeadFieldValue>;

/** Form values keyed by field name, as they go back into a card form. */
export type LeadFormValues = Record<string, LeadFormValue>;

/** A validated registration: the user-entered columns of a Lead row (prisma/schema.prisma, model Lead). */
export interface LeadInput {
  kind: LeadKind;
  projectName: string;
  companyName: string | null;
  /** normalizeCompanyName(companyName), for duplicate checks. */
  companyNorm: string | null;
  /** 18 upper-case characters with a correct check character. */
  creditCode: string | null;
  industry: string | null;
  /** The canonical town name (aliases resolved). */
  town: string;
  sourceRegion: string | null;
  contactName: string | null;
  /** Canonical: `13812345678`, `0513-87654321`, `0513-87654321-123` or `400-123-4567`. */
  contactPhone: string | null;
  investmentWan: number | null;
  summary: string | null;
  needsFund: boolean;
  /**
   * 发明专利实审数 (tech and talent; 0 otherwise). 0 also when left blank: the column is NOT NULL and summed
   * for quotas, so cards and the edit form treat 0 as not given (givenCount in summary.ts).
   */
  inventionPatents: number;
  /** 实用新型专利授权数 (tech and talent; 0 otherwise); blank is 0, as for inventionPatents. */
  utilityModels: number;
  activityId: number | null;
  /** 信息提供人: a person's or a unit's name (validateLeadForm always sets it; other callers may leave it out). */
  referrer?: string | null;
  /** person | unit | enterprise | agent; set only with a referrer. */
  referrerType?: string | null;
  details: LeadDetails;
}

export type LeadValidation =
  | { ok: true; lead: LeadInput; values: LeadFormValues }
  | { ok: false; errors: Record<string, string>; values: LeadFormValues };

/** Fields stored in their own Lead columns rather than in `details`. */
const COLUMN_FIELDS = new Set([
  'category', 'project_name', 'company_name', 'credit_code', 'industry', 'town', 'source_region',
  'contact_name', 'contact_phone', 'investment_wan', 'needs_fund', 'summary',
  'invention_patents', 'utility_models', 'activity_id', 'referrer', 'referrer_type',
]);

/** Used when the caller passes no activity list: any positive id is accepted. */
const ACTIVITY_ID_FIELD: LeadFieldDef = {
  name: 'activity_id', label: '来源活动', type: 'integer', required: false, section: 'common', min: 1,
};

/**
 * Validates a registration form of one kind.
 *
 * - Values are read liberally (see readField): trimmed; numbers with separators, full-width digits, units;
 *   selects by value or label; multi-selects as string[] or one string separated by 、,；; checkers as
 *   booleans or 是/否/true/false.
 * - `town` accepts the office's town names and aliases and stores the canonical name.
 * - `category`, when sent, must name the same kind as the form; when left out it is the form's kind.
 * - Keys that are not fields of this kind's form are ignored.
 * - On failure, `errors` holds one Chinese message per field and `values` the trimmed entered values
 *   (selects mapped to their option value when recognised, control characters removed) to refill the form.
 *   On success `values` holds the same, for a draft.
 */
export function validateLeadForm(
  kind: LeadKind,
  rawValues: Record<string, unknown>,
  office: OfficeConfig,
  opts: LeadFormOptions = {},
): LeadValidation {
  const raw: Record<string, unknown> = rawValues && typeof rawValues === 'object' && !Array.isArray(rawValues) ? rawValues : {};
  const get = (name: string): unknown => (Object.hasOwn(raw, name) ? raw[name] : undefined);
  if (!isLeadKind(kind)) return { ok: false, errors: { category: '请选择项目类别' }, values: {} };

  const fields = leadFormFields(kind, office, opts);
  if (!fields.some((f) => f.name === 'activity_id')) {
    fields.push(opts.activities ? activityField(opts.activities) : ACTIVITY_ID_FIELD);
  }

  const errors: Record<string, string> = {};
  const values: LeadFormValues = {};
  const accepted: Record<string, LeadFieldValue> = {};
  for (const field of fields) {
    // The form's kind is authoritative; a form without the category select is a form of that kind.
    const rawValue = field.name === 'category' && isEmpty(get('category')) ? kind : get(field.name);
    const reading = check(field, readField(field, rawValue, resolverFor(field, office)), kind);
    if (reading.refill !== undefined) values[field.name] = reading.refill;
    if (reading.error) errors[field.name] = reading.error;
    else if (reading.value !== undefined) accepted[field.name] = reading.value;
  }
  // A type without a name says nothing about who brought the lead.
  if (accepted.referrer_type !== undefined && accepted.referrer === undefined && !errors.referrer) {
    errors.referrer = '选择了信息提供人类型，请填写信息提供人名称（或清空类型）';
  }
  if (Object.keys(errors).length > 0) return { ok: false, errors, values };

  const str = (name: string): string | null => (typeof accepted[name] === 'string' ? (accepted[name] as string) : null);
  const num = (name: string): number | null => (typeof accepted[name] === 'number' ? (accepted[name] as number) : null);
  const details: LeadDetails = {};
  for (const field of leadKindFields(kind)) {
    if (!COLUMN_FIELDS.has(field.name) && accepted[field.name] !== undefined) details[field.name] = accepted[field.name];
  }
  const companyName = str('company_name');
  const activityId = accepted.activity_id === undefined ? null : Number(accepted.activity_id);
  const lead: LeadInput = {
    kind,
    projectName: str('project_name') as string,
    companyName,
    companyNorm: companyName ? normalizeCompanyName(companyName) || null : null,
    creditCode: str('credit_code'),
    industry: str('industry'),
    town: str('town') as string,
    sourceRegion: str('source_region'),
    contactName: str('contact_name'),
    contactPhone: str('contact_phone'),
    investmentWan: num('investment_wan'),
    summary: str('summary'),
    needsFund: accepted.needs_fund === true,
    inventionPatents: num('invention_patents') ?? 0,
    utilityModels: num('utility_models') ?? 0,
    activityId,
    referrer: str('referrer'),
    referrerType: str('referrer') ? str('referrer_type') : null,
    details,
  };
  return { ok: true, lead, values };
}

function resolverFor(field: LeadFieldDef, office: OfficeConfig): ((input: string) => string | undefined) | undefined {
  if (field.name !== 'town') return undefined;
  return (input) => resolveTown(office, input) ?? matchOption(field.options ?? [], input);
}

/** Field-specific checks on top of the generic reading. */
function check(field: LeadFieldDef, reading: FieldReading, kind: LeadKind): FieldReading {
  if (reading.error || typeof reading.value !== 'string') return reading;
  switch (field.name) {
    case 'credit_code': {
      const result = checkCreditCode(reading.value);
      return result.ok ? { refill: result.code, value: result.code } : { ...reading, value: undefined, error: result.message };
    }
    case 'contact_phone': {
      const result = normalizePhone(reading.value);
      return result.ok ? { refill: result.phone, value: result.phone } : { ...reading, value: undefined, error: result.message };
    }
    case 'category':
      if (reading.value !== kind) {
        const chosen = isLeadKind(reading.value) ? LEAD_KIND_LABELS[reading.value] : reading.value;
        return {
          ...reading,
          value: undefined,
          error: `项目类别选了「${chosen}」，但这是${LEAD_KIND_LABELS[kind]}登记表：请改回${LEAD_KIND_LABELS[kind]}，或重新发起${chosen}登记`,
        };
      }
      return reading;
    default:
      return reading;
  }
}

/** What a stored lead looks like to leadFormValues: a LeadInput, or a Lead row (details is JSON). */
export type LeadFormSource = Omit<LeadInput, 'kind' | 'details' | 'companyNorm'> & { kind: string; details?: unknown };

/**
 * The form values that reproduce a stored lead, to open its form again (退回修改) or refill it.
 * Numbers become strings as typed in inputs; details are copied by field name.
 */
export function leadFormValues(lead: LeadFormSource): LeadFormValues {
  const values: LeadFormValues = { category: lead.kind, project_name: lead.projectName, town: lead.town, needs_fund: lead.needsFund };
  const put = (name: string, v: string | number | null | undefined) => {
    if (v !== null && v !== undefined && v !== '') values[name] = String(v);
  };
  put('company_name', lead.companyName);
  put('credit_code', lead.creditCode);
  put('industry', lead.industry);
  put('source_region', lead.sourceRegion);
  put('contact_name', lead.contactName);
  put('contact_phone', lead.contactPhone);
  put('investment_wan', lead.investmentWan);
  put('summary', lead.summary);
  put('activity_id', lead.activityId);
  put('referrer', lead.referrer);
  put('referrer_type', lead.referrerType);
  if (!isLeadKind(lead.kind)) return values;
  const fields = leadKindFields(lead.kind);
  if (fields.some((f) => f.name === 'invention_patents')) {
    // Stored as 0 when left blank: an empty field stays empty.
    put('invention_patents', givenCount(lead.inventionPatents));
    put('utility_models', givenCount(lead.utilityModels));
  }
  const details = lead.details && typeof lead.details === 'object' ? (lead.details as Record<string, unknown>) : {};
  for (const field of fields) {
    if (COLUMN_FIELDS.has(field.name) || !Object.hasOwn(details, field.name)) continue;
    const v = details[field.name];
    if (typeof v === 'boolean') values[field.name] = v;
    else if (Array.isArray(v)) values[field.name] = v.filter((x): x is string => typeof x === 'string');
    else if (typeof v === 'string' || typeof v === 'number') put(field.name, v);
  }
  return values;
}
