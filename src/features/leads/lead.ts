// Lead registration, pure domain: the five kinds, the registration form as data, its validation into
// Lead columns, company-name normalisation, 统一社会信用代码 and phone checks, lead codes, card summaries.
// No I/O. Implementation split over src/domain/lead/*.ts; import from here.
export { LEAD_KINDS, LEAD_KIND_LABELS, LEAD_KIND_DESCRIPTIONS, isLeadKind, leadKindLabel, parseLeadKind, type LeadKind } from './kinds.ts';
export {
  leadFormFields, leadKindFields, HIGH_TECH_FIELDS, TECH_STAGES, TALENT_TITLES, PARTNER_TYPES, PLATFORM_TYPES,
  SERVICE_TYPES, FUND_STAGES, MARKET_OUTLOOKS, INDUSTRY_POSITIONS, BUSINESS_MODELS, TEAM_STRENGTHS, MAX_WAN, REFERRER_TYPES, REFERRER_TYPE_LABELS, referrerTypeLabel, type ReferrerType,
  type LeadFieldType, type LeadFieldOption, type LeadFieldDef, type LeadActivityOption, type LeadFormOptions,
} from './fields.ts';
export { type LeadFormValue, type LeadFieldValue } from './values.ts';
export {
  validateLeadForm, leadFormValues,
  type LeadInput, type LeadDetails, type LeadFormValues, type LeadValidation, type LeadFormSource,
} from './validate.ts';
export { normalizeCompanyName } from './company.ts';
export { checkCreditCode, creditCodeCheckChar, CREDIT_CODE_CHARSET, type CreditCodeResult } from './creditCode.ts';
export { normalizePhone, PHONE_FORMAT_MESSAGE, type PhoneResult } from './phone.ts';
export { formatLeadCode, parseLeadCode, parseLeadCodeIn, type LeadCodeParts } from './code.ts';
export { formatNumber, formatWan } from './format.ts';
export {
  leadSummaryRows, reachesMajorThreshold, hideContacts, HIDDEN_CONTACT,
  type LeadSummarySource, type LeadSummaryOptions, type LeadSummaryRow,
} from './summary.ts';
