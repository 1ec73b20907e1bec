import { describe, expect, it } from 'vitest';
import { defaultOffice, officeSchema } from '../../src/office/config.ts';
import {
  checkCreditCode, creditCodeCheckChar, formatLeadCode, reachesMajorThreshold, LEAD_KIND_DESCRIPTIONS, LEAD_KIND_LABELS, LEAD_KINDS,
  hideContacts, leadFormFields, leadFormValues, leadSummaryRows, normalizeCompanyName, normalizePhone, parseLeadCode, parseLeadKind,
  validateLeadForm, type LeadInput, type LeadValidation,
} from '../../src/features/leads/lead.ts';

const office = defaultOffice();

function expectOk(result: LeadValidation): LeadInput {
  if (!result.ok) throw new Error(`expected a valid form, got ${JSON.stringify(result.errors)}`);
  return result.lead;
}
function expectErrors(result: LeadValidation) {
  if (result.ok) throw new Error('expected field errors, got a valid form');
  return result;
}

describe('kinds', () => {
  it('has the five kinds of the 2023 plan with Chinese labels and descriptions', () => {
    expect(LEAD_KINDS.map((k) => LEAD_KIND_LABELS[k])).toEqual(['科创类', '人才类', '平台类', '服务类', '基金类']);
    expect(LEAD_KIND_DESCRIPTIONS.tech).toContain('三年内满足高新技术企业申报条件');
    expect(LEAD_KIND_DESCRIPTIONS.fund).toContain('创投机构');
  });

  it('reads a kind typed as code, label or short label', () => {
    expect(parseLeadKind('tech')).toBe('tech');
    expect(parseLeadKind(' 人才类 ')).toBe('talent');
    expect(parseLeadKind('平台')).toBe('platform');
    expect(parseLeadKind('ＦＵＮＤ')).toBe('fund');
    expect(parseLeadKind('产业类')).toBeUndefined();
  });
});

describe('form fields as data', () => {
  const common = [
    'category', 'project_name', 'company_name', 'credit_code', 'industry', 'town', 'source_region',
    'contact_name', 'contact_phone', 'investment_wan', 'needs_fund', 'referrer', 'referrer_type', 'summary',
  ];

  it('gives every kind the common fields and its own fields, by their public names', () => {
    const names = (kind: (typeof LEAD_KINDS)[number]) => leadFormFields(kind, office).map((f) => f.name);
    // 项目评价: the same optional fields at the end of every kind's form, for the 综合评价模型.
    const evaluation = ['team_strength', 'market_outlook', 'industry_position', 'business_model', 'output_wan', 'tax_wan', 'rnd_wan', 'jobs', 'land_mu'];
    expect(names('tech')).toEqual([...common, 'hightech_field', 'stage', 'years_to_high_tech', 'invention_patents', 'utility_models', 'space_sqm', ...evaluation]);
    expect(names('talent')).toEqual([...common, 'talent_name', 'talent_title', 'core_technology', 'founding_locally', 'invention_patents', 'utility_models', 'space_sqm', ...evaluation]);
    expect(names('platform')).toEqual([...common, 'partner_institution', 'partner_type', 'platform_type', 'planned_staff', 'space_sqm', ...evaluation]);
    expect(names('service')).toEqual([...common, 'service_type', ...evaluation]);
    expect(names('fund')).toEqual([...common, 'fund_manager', 'fund_size_wan', 'focus_industries', 'fund_stage', 'planned_setup_date', ...evaluation]);
  });

  it('takes the projected contribution as optional numbers in 万元 / 人 / 亩, stored in details, refusing bad ones in Chinese', () => {
    const ok = validateLeadForm('service', { project_name: '检测平台', town: '丁堰镇', service_type: '法律', output_wan: '1.2亿', tax_wan: '800万元', jobs: '35人', land_mu: '12.5亩', market_outlook: '广阔' }, office);
    expect(ok.ok && ok.lead.details).toEqual({ service_type: '法律', output_wan: 12000, tax_wan: 800, jobs: 35, land_mu: 12.5, market_outlook: '广阔' });
    const bad = validateLeadForm('service', { project_name: '检测平台', town: '丁堰镇', service_type: '法律', tax_wan: '-5', jobs: '3.5', rnd_wan: '很多' }, office);
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.errors).toEqual({ tax_wan: '预计年税收不能为负数', jobs: '预计就业人数须为整数', rnd_wan: '预计年研发投入请填写数字，如 1200' });
  });

  it('describes each field with label, type, requirement and limits', () => {
    const fields = leadFormFields('tech', office);
    const byName = Object.fromEntries(fields.map((f) => [f.name, f]));
    expect(byName.project_name).toMatchObject({ label: '项目名称', type: 'text', required: true, maxLength: 100 });
    expect(byName.credit_code).toMatchObject({ label: '统一社会信用代码', required: false });
    expect(byName.investment_wan).toMatchObject({ label: '计划投资额', type: 'number', unit: '万元', min: 0 });
    expect(byName.needs_fund).toMatchObject({ label: '落地即带投资需求', type: 'checker' });
    expect(byName.summary).toMatchObject({ type: 'textarea' });
    expect(byName.years_to_high_tech).toMatchObject({ type: 'integer', min: 1, max: 3 });
    expect(byName.hightech_field.options?.map((o) => o.label)).toEqual([
      '电子信息', '生物与新医药', '航空航天', '新材料', '高技术服务', '新能源与节能', '资源与环境', '先进制造与自动化',
    ]);
    expect(byName.category.options).toContainEqual({ value: 'tech', label: '科创类' });
    for (const f of fields) expect(f.label).toMatch(/[\u4e00-\u9fff]/);
  });

  it('takes industry, town and activity options from what is passed in', () => {
    const custom = officeSchema.parse({
      towns: [{ name: '甲镇' }, { name: '乙街道', aliases: ['乙'] }],
      industries: ['集成电路', '生物医药'],
    });
    const fields = leadFormFields('fund', custom, { activities: [{ id: 13, name: '如皋市科技·人才洽谈会' }] });
    const byName = Object.fromEntries(fields.map((f) => [f.name, f]));
    expect(byName.industry.options?.map((o) => o.value)).toEqual(['集成电路', '生物医药']);
    expect(byName.focus_industries.options?.map((o) => o.value)).toEqual(['集成电路', '生物医药']);
    expect(byName.town.options?.map((o) => o.value)).toEqual(['甲镇', '乙街道']);
    expect(byName.activity_id.options).toEqual([{ value: '13', label: '如皋市科技·人才洽谈会' }]);
    expect(leadFormFields('fund', custom).some((f) => f.name === 'activity_id')).toBe(false);
  });
});

describe('validateLeadForm: one realistic registration per kind', () => {
  it('科创类', () => {
    const lead = expectOk(validateLeadForm('tech', {
      category: 'tech',
      project_name: '  氢燃料电池膜电极产业化项目 ',
      company_name: '苏州（如皋）氢能科技有限公司',
      credit_code: '914403001922038216',
      industry: '氢能',
      town: '开发区',
      source_region: '苏州',
      contact_name: '张伟',
      contact_phone: '138 1234 5678',
      investment_wan: '1,200',
      summary: '团队来自同济大学，\n已完成膜电极中试。',
      needs_fund: true,
      hightech_field: '新能源与节能',
      stage: '中试',
      years_to_high_tech: '2',
      invention_patents: '5',
      utility_models: '12件',
      referrer: '苏州氢能协会',
      referrer_type: '单位',
    }, office));
    expect(lead).toEqual({
      kind: 'tech',
      projectName: '氢燃料电池膜电极产业化项目',
      companyName: '苏州（如皋）氢能科技有限公司',
      companyNorm: '苏州如皋氢能科技',
      creditCode: '914403001922038216',
      industry: '氢能',
      town: '开发区',
      sourceRegion: '苏州',
      contactName: '张伟',
      contactPhone: '13812345678',
      investmentWan: 1200,
      summary: '团队来自同济大学，\n已完成膜电极中试。',
      needsFund: true,
      inventionPatents: 5,
      utilityModels: 12,
      activityId: null,
      referrer: '苏州氢能协会',
      referrerType: 'unit',
      details: { hightech_field: '新能源与节能', stage: '中试', years_to_high_tech: 2 },
    });
  });

  it('人才类', () => {
    const lead = expectOk(validateLeadForm('talent', {
      project_name: '基因编辑育种技术创业项目',
      town: '磨头镇',
      industry: '合成生物学',
      talent_name: '李明',
      talent_title: '海外高层次人才',
      core_technology: 'CRISPR 基因编辑与表达',
      founding_locally: true,
      invention_patents: '３',
      contact_phone: '0513-87654321',
    }, office));
    expect(lead).toMatchObject({
      kind: 'talent', projectName: '基因编辑育种技术创业项目', town: '磨头镇', inventionPatents: 3, utilityModels: 0,
      contactPhone: '0513-87654321', needsFund: false,
      details: { talent_name: '李明', talent_title: '海外高层次人才', core_technology: 'CRISPR 基因编辑与表达', founding_locally: true },
    });
  });

  it('平台类', () => {
    const lead = expectOk(validateLeadForm('platform', {
      project_name: '如皋精密光学联合研究院',
      town: '高新区',
      industry: '精密光学制造',
      partner_institution: '南京大学',
      partner_type: '高校',
      platform_type: '新型研发机构',
      planned_staff: '30人',
      investment_wan: '5000万元',
    }, office));
    expect(lead).toMatchObject({
      kind: 'platform', investmentWan: 5000, inventionPatents: 0,
      details: { partner_institution: '南京大学', partner_type: '高校', platform_type: '新型研发机构', planned_staff: 30 },
    });
  });

  it('服务类, registered under a town alias', () => {
    const lead = expectOk(validateLeadForm('service', {
      project_name: '长三角知识产权法律服务中心',
      company_name: '上海某某律师事务所如皋分所',
      town: '城北街道',
      service_type: '法律',
    }, office));
    expect(lead.town).toBe('开发区');
    expect(lead.details).toEqual({ service_type: '法律' });
  });

  it('基金类 with a multi-select, an amount in 亿 and a date from the date picker', () => {
    const lead = expectOk(validateLeadForm('fund', {
      project_name: '如皋氢能产业创投基金',
      company_name: '如皋氢能创业投资合伙企业（有限合伙）',
      town: '长江镇（如皋港工业园区）',
      fund_manager: '元禾原点',
      fund_size_wan: '5亿',
      focus_industries: ['氢能', '储能节能'],
      fund_stage: 'vc',
      planned_setup_date: '2026-06-30 +0800',
    }, office));
    expect(lead.town).toBe('长江镇');
    expect(lead.companyNorm).toBe('如皋氢能创业投资合伙企业');
    expect(lead.details).toEqual({
      fund_manager: '元禾原点', fund_size_wan: 50000, focus_industries: ['氢能', '储能节能'], fund_stage: 'VC',
      planned_setup_date: '2026-06-30',
    });
  });
});

describe('validateLeadForm: field errors keep what was entered', () => {
  const entered = {
    project_name: '激光雷达芯片项目',
    company_name: '南通光感科技有限公司',
    credit_code: '914403001922038216',
    town: '高新区',
    industry: '汽车及核心零部件',
    contact_name: '王芳',
    contact_phone: '13912345678',
    investment_wan: '800',
    hightech_field: '电子信息',
    needs_fund: false,
  };

  it('a bad phone number is an error on contact_phone only', () => {
    const r = expectErrors(validateLeadForm('tech', { ...entered, contact_phone: '1391234567' }, office));
    expect(r.errors).toEqual({ contact_phone: '联系电话格式不正确：请填写手机号或座机号' });
    expect(r.values).toEqual({ ...entered, category: 'tech', contact_phone: '1391234567' });
  });

  it('a credit code with a wrong check character is an error on credit_code', () => {
    const r = expectErrors(validateLeadForm('tech', { ...entered, credit_code: '914403001922038217' }, office));
    expect(r.errors).toEqual({ credit_code: '统一社会信用代码校验位不正确：请核对每一位是否抄错' });
    expect(r.values.credit_code).toBe('914403001922038217');
    expect(r.values.project_name).toBe('激光雷达芯片项目');
  });

  it('a missing project name asks for it', () => {
    const { project_name: _omitted, ...rest } = entered;
    const r = expectErrors(validateLeadForm('tech', { ...rest, project_name: '   ' }, office));
    expect(r.errors).toEqual({ project_name: '请填写项目名称' });
    expect(r.values).toEqual({ ...rest, category: 'tech' });
  });

  it('reports every bad field at once', () => {
    const r = expectErrors(validateLeadForm('tech', {
      ...entered, project_name: '', credit_code: '91440300192203821', contact_phone: '87654321', town: '火星镇',
    }, office));
    expect(r.errors).toEqual({
      project_name: '请填写项目名称',
      credit_code: '统一社会信用代码应为 18 位（当前 17 位）',
      contact_phone: '联系电话格式不正确：座机号请加区号，如 0513-87654321',
      town: '所属镇区「火星镇」不在可选范围内',
    });
    expect(r.values.town).toBe('火星镇');
    expect(r.values.contact_name).toBe('王芳');
  });

  it('asks for the required fields of the kind', () => {
    expect(expectErrors(validateLeadForm('talent', { project_name: '人才项目', town: '白蒲镇' }, office)).errors)
      .toEqual({ talent_name: '请填写人才姓名' });
    expect(expectErrors(validateLeadForm('platform', { project_name: '平台', town: '白蒲镇' }, office)).errors)
      .toEqual({ partner_institution: '请填写合作单位', platform_type: '请选择平台类型' });
    expect(expectErrors(validateLeadForm('tech', { project_name: '科创项目' }, office)).errors)
      .toEqual({ town: '请选择所属镇区', hightech_field: '请选择高新技术领域' });
  });

  it('refuses a category that does not match the form', () => {
    const r = expectErrors(validateLeadForm('tech', { ...entered, category: '人才类' }, office));
    expect(r.errors.category).toBe('项目类别选了「人才类」，但这是科创类登记表：请改回科创类，或重新发起人才类登记');
    expect(r.values.category).toBe('talent');
  });

  it('ignores keys that are not fields of the form', () => {
    const lead = expectOk(validateLeadForm('tech', { ...entered, talent_name: '张三', submitter: 'ou_x', __proto__x: 1 }, office));
    expect(lead.details).toEqual({ hightech_field: '电子信息' });
    const r = expectErrors(validateLeadForm('tech', { ...entered, talent_name: '张三', contact_phone: 'x' }, office));
    expect(Object.keys(r.values)).not.toContain('talent_name');
  });
});

describe('validateLeadForm: text hygiene', () => {
  const base = { town: '九华镇', hightech_field: '新材料' };

  it('caps lengths with a Chinese message and counts characters, not bytes', () => {
    expect(expectOk(validateLeadForm('tech', { ...base, project_name: '研'.repeat(100) }, office)).projectName).toHaveLength(100);
    const r = expectErrors(validateLeadForm('tech', { ...base, project_name: '研'.repeat(101) }, office));
    expect(r.errors.project_name).toBe('项目名称不能超过 100 个字（当前 101 个字）');
    expect(r.values.project_name).toBe('研'.repeat(101));
    const emojiName = `${'🚀'.repeat(50)}氢能${'🚀'.repeat(48)}`;
    expect(expectOk(validateLeadForm('tech', { ...base, project_name: emojiName }, office)).projectName).toBe(emojiName);
  });

  it('keeps an over-long summary for editing but not beyond twice the limit', () => {
    const r = expectErrors(validateLeadForm('tech', { ...base, project_name: '项目', summary: '字'.repeat(10_000) }, office));
    expect(r.errors.summary).toBe('项目简介不能超过 2000 个字（当前 10000 个字）');
    expect(r.values.summary).toBe('字'.repeat(4000));
  });

  it('refuses control characters and refills the form without them', () => {
    const r = expectErrors(validateLeadForm('tech', { ...base, project_name: '储能\u0000电池\u001b项目', contact_name: '赵\u202e六' }, office));
    expect(r.errors.project_name).toBe('项目名称含有不可见的控制字符，已在表单中删除，请核对后重新提交');
    expect(r.errors.contact_name).toBe('联系人含有不可见的控制字符，已在表单中删除，请核对后重新提交');
    expect(r.values.project_name).toBe('储能电池项目');
    const again = expectOk(validateLeadForm('tech', { ...base, ...r.values }, office));
    expect(again.projectName).toBe('储能电池项目');
  });

  it('keeps line breaks in the summary and collapses them in one-line fields', () => {
    const lead = expectOk(validateLeadForm('tech', {
      ...base, project_name: '钠离子\n电池   项目', summary: '第一段\r\n\r\n第二段\t说明  \n',
    }, office));
    expect(lead.projectName).toBe('钠离子 电池 项目');
    expect(lead.summary).toBe('第一段\n\n第二段\t说明');
  });

  it('refuses names made only of emoji, punctuation or spaces', () => {
    for (const name of ['🎉🎉🎉', '！？……', '👍 ～ 👍']) {
      const r = expectErrors(validateLeadForm('tech', { ...base, project_name: name }, office));
      expect(r.errors.project_name).toBe('项目名称需包含文字');
    }
    expect(expectErrors(validateLeadForm('tech', { ...base, project_name: '\u3000 \t' }, office)).errors.project_name)
      .toBe('请填写项目名称');
    expect(expectErrors(validateLeadForm('tech', { ...base, project_name: '项目', company_name: '（）' }, office)).errors.company_name)
      .toBe('企业名称需包含文字');
  });

  it('refuses values of the wrong shape instead of crashing', () => {
    const r = expectErrors(validateLeadForm('tech', { ...base, project_name: { a: 1 }, investment_wan: ['1', '2'], needs_fund: 'maybe' }, office));
    expect(r.errors).toEqual({ project_name: '项目名称格式不正确', investment_wan: '计划投资额格式不正确', needs_fund: '落地即带投资需求请选择是或否' });
  });
});

describe('validateLeadForm: numbers, selects, checkers', () => {
  const base = { project_name: '项目', town: '吴窑镇', hightech_field: '电子信息' };
  const amount = (v: unknown) => validateLeadForm('tech', { ...base, investment_wan: v }, office);

  it('reads amounts in 万元 the way people write them', () => {
    expect(expectOk(amount('1,000')).investmentWan).toBe(1000);
    expect(expectOk(amount('1，000')).investmentWan).toBe(1000);
    expect(expectOk(amount('１２３')).investmentWan).toBe(123);
    expect(expectOk(amount('100万')).investmentWan).toBe(100);
    expect(expectOk(amount('2.5 亿元')).investmentWan).toBe(25000);
    expect(expectOk(amount('0')).investmentWan).toBe(0);
    expect(expectOk(amount(350.5)).investmentWan).toBe(350.5);
    expect(expectOk(amount('')).investmentWan).toBeNull();
  });

  it('refuses amounts that are not a number of 万元', () => {
    expect(expectErrors(amount('五百')).errors.investment_wan).toBe('计划投资额请填写数字，如 1200');
    expect(expectErrors(amount('1,00')).errors.investment_wan).toBe('计划投资额请填写数字，如 1200');
    expect(expectErrors(amount('-5')).errors.investment_wan).toBe('计划投资额不能为负数');
    expect(expectErrors(amount('3000000元')).errors.investment_wan).toBe('计划投资额以万元为单位：请填写万元数，如 1200');
    expect(expectErrors(amount('30000000')).errors.investment_wan).toBe('计划投资额不能超过 10,000,000 万元，请确认单位为万元');
  });

  it('checks integers and their ranges', () => {
    const tech = (extra: Record<string, unknown>) => validateLeadForm('tech', { ...base, ...extra }, office);
    expect(expectErrors(tech({ invention_patents: '2.5' })).errors.invention_patents).toBe('发明专利实审数须为整数');
    expect(expectOk(tech({ invention_patents: '2.0' })).inventionPatents).toBe(2);
    expect(expectErrors(tech({ years_to_high_tech: '4' })).errors.years_to_high_tech).toBe('预计满足高企申报条件年限不能超过 3 年');
    expect(expectErrors(tech({ years_to_high_tech: '0' })).errors.years_to_high_tech).toBe('预计满足高企申报条件年限不能小于 1 年');
  });

  it('resolves town aliases to the canonical name, in either bracket width', () => {
    const town = (t: string) => expectOk(validateLeadForm('tech', { ...base, town: t }, office)).town;
    expect(town('如皋港工业园区')).toBe('长江镇');
    expect(town('长江镇(如皋港工业园区)')).toBe('长江镇');
    expect(town('高新区（如城街道、城南街道）')).toBe('高新区');
    expect(town('城南街道')).toBe('高新区');
  });

  it('checks selects against their options', () => {
    const r = expectErrors(validateLeadForm('tech', { ...base, industry: '区块链', stage: '量产' }, office));
    expect(r.errors).toEqual({ industry: '产业方向「区块链」不在可选范围内', stage: '项目阶段「量产」不在可选范围内' });
  });

  it('reads multi-selects as a list or as one string, and names unknown items', () => {
    const fund = (focus: unknown) => validateLeadForm('fund', { project_name: '基金', town: '丁堰镇', fund_manager: '某创投', focus_industries: focus }, office);
    expect(expectOk(fund('氢能、大健康，氢能')).details.focus_industries).toEqual(['氢能', '大健康']);
    expect(expectOk(fund([])).details.focus_industries).toBeUndefined();
    const r = expectErrors(fund(['氢能', '元宇宙']));
    expect(r.errors.focus_industries).toBe('重点投向中「元宇宙」不在可选范围内');
    expect(r.values.focus_industries).toEqual(['氢能', '元宇宙']);
  });

  it('reads checkers as booleans or 是/否, and an unticked checker as no', () => {
    const talent = (v: unknown) => validateLeadForm('talent', { project_name: '人才项目', town: '石庄镇', talent_name: '陈', founding_locally: v }, office);
    expect(expectOk(talent(true)).details.founding_locally).toBe(true);
    expect(expectOk(talent('是')).details.founding_locally).toBe(true);
    expect(expectOk(talent('false')).details.founding_locally).toBe(false);
    expect(expectOk(talent(undefined)).details.founding_locally).toBe(false);
    expect(expectOk(talent(undefined)).needsFund).toBe(false);
  });

  it('checks dates', () => {
    const fund = (d: string) => validateLeadForm('fund', { project_name: '基金', town: '丁堰镇', fund_manager: '某创投', planned_setup_date: d }, office);
    expect(expectOk(fund('2026年3月1日')).details.planned_setup_date).toBe('2026-03-01');
    expect(expectErrors(fund('2026-02-30')).errors.planned_setup_date).toBe('预计设立日期日期不存在：2026-02-30');
    expect(expectErrors(fund('下个月')).errors.planned_setup_date).toBe('预计设立日期格式不正确，请按 2026-03-01 填写');
  });

  it('takes the source activity from the list passed in, or any id when none is passed', () => {
    const activities = [{ id: 13, name: '如皋市科技·人才洽谈会' }];
    expect(expectOk(validateLeadForm('tech', { ...base, activity_id: '13' }, office, { activities })).activityId).toBe(13);
    expect(expectErrors(validateLeadForm('tech', { ...base, activity_id: '14' }, office, { activities })).errors.activity_id)
      .toBe('来源活动「14」不在可选范围内');
    expect(expectOk(validateLeadForm('tech', { ...base, activity_id: '7' }, office)).activityId).toBe(7);
    expect(expectErrors(validateLeadForm('tech', { ...base, activity_id: '0' }, office)).errors.activity_id).toBe('来源活动不能小于 1');
  });
});

describe('统一社会信用代码', () => {
  it('accepts real published codes', () => {
    for (const code of [
      '914403001922038216', // 华为技术有限公司
      '9144030071526726XG', // 腾讯科技（深圳）有限公司
      '91440300708461136T', // 深圳市腾讯计算机系统有限公司
      '91330100799655058B', // 阿里巴巴（中国）有限公司
      '91110108551385082Q', // 小米科技有限责任公司
    ]) {
      expect(checkCreditCode(code)).toEqual({ ok: true, code });
    }
  });

  it('computes the check character of a hand-worked example', () => {
    // 91320682MA1XXXXXX, character values (0–9, A=10 … H=17, J=18 … N=22, P=23 … R=25, T=26, U=27, W=28 … Y=30):
    //   9 1 3 2 0 6 8 2 M=21 A=10 1 X=29 X X X X X
    // weights 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28
    //   9+3+27+54+0+156+128+34+420+290+25+377+232+696+290+870+812 = 4423
    //   4423 mod 31 = 21 (31 × 142 = 4402); 31 − 21 = 10 → "A"
    expect(creditCodeCheckChar('91320682MA1XXXXXX')).toBe('A');
    expect(checkCreditCode('91320682MA1XXXXXXA').ok).toBe(true);
  });

  it('rejects every single-character change of a valid code', () => {
    const valid = '914403001922038216';
    const charset = '0123456789ABCDEFGHJKLMNPQRTUWXY';
    for (let i = 0; i < 18; i++) {
      for (const c of charset) {
        if (c === valid[i]) continue;
        const changed = valid.slice(0, i) + c + valid.slice(i + 1);
        expect(checkCreditCode(changed).ok, changed).toBe(false);
      }
    }
  });

  it('reads lower case, full width and spaces, and stores upper case', () => {
    expect(checkCreditCode(' 9144 0300 7152 6726 xg ')).toEqual({ ok: true, code: '9144030071526726XG' });
    expect(checkCreditCode('９１４４０３００１９２２０３８２１６')).toEqual({ ok: true, code: '914403001922038216' });
    const lead = expectOk(validateLeadForm('service', { project_name: '服务', town: '江安镇', service_type: '法律', credit_code: '9144030071526726xg' }, office));
    expect(lead.creditCode).toBe('9144030071526726XG');
  });

  it('names what is wrong with a malformed code', () => {
    expect(checkCreditCode('9144030019220382')).toEqual({ ok: false, message: '统一社会信用代码应为 18 位（当前 16 位）' });
    expect(checkCreditCode('91440300I922O38216')).toEqual({
      ok: false, message: '统一社会信用代码含有不允许的字符「I」「O」：只能是数字和大写字母（不含 I、O、S、V、Z）',
    });
    const withCheck = (first17: string) => first17 + creditCodeCheckChar(first17);
    expect(checkCreditCode(withCheck('01440300192203821'))).toEqual({ ok: false, message: '统一社会信用代码第 1 位（登记管理部门代码）不正确' });
    expect(checkCreditCode(withCheck('9A440300192203821'))).toEqual({ ok: false, message: '统一社会信用代码第 2 位（机构类别代码）不正确' });
    expect(checkCreditCode(withCheck('9100A300192203821'))).toEqual({ ok: false, message: '统一社会信用代码第 3–8 位应为登记机关的行政区划代码' });
  });
});

describe('联系电话', () => {
  it('accepts mobiles and landlines in common spellings and stores one form', () => {
    const cases: [string, string][] = [
      ['13812345678', '13812345678'],
      ['+86 138-1234-5678', '13812345678'],
      ['0086 19912345678', '19912345678'],
      ['0513-87654321', '0513-87654321'],
      ['051387654321', '0513-87654321'],
      ['(0513)87654321', '0513-87654321'],
      ['０５１３－８７６５４３２１', '0513-87654321'],
      ['0513-87654321-8001', '0513-87654321-8001'],
      ['0513-87654321转8001', '0513-87654321-8001'],
      ['021 6123 4567', '021-61234567'],
      ['010-62751234', '010-62751234'],
      ['0513-8765432', '0513-8765432'],
      ['400-820-8820', '400-820-8820'],
    ];
    for (const [typed, stored] of cases) expect(normalizePhone(typed), typed).toEqual({ ok: true, phone: stored });
  });

  it('refuses numbers that are neither', () => {
    for (const typed of ['12345', '1381234567', '23812345678', '138123456789', '0513-0765432', 'abc', '12812345678']) {
      expect(normalizePhone(typed), typed).toEqual({ ok: false, message: '联系电话格式不正确：请填写手机号或座机号' });
    }
    expect(normalizePhone('87654321')).toEqual({ ok: false, message: '联系电话格式不正确：座机号请加区号，如 0513-87654321' });
  });
});

describe('normalizeCompanyName', () => {
  it('treats bracket widths, spaces and legal-form words as the same company', () => {
    expect(normalizeCompanyName('苏州（如皋）氢能科技有限公司')).toBe('苏州如皋氢能科技');
    expect(normalizeCompanyName('苏州(如皋)氢能科技 有限责任公司')).toBe(normalizeCompanyName('苏州（如皋）氢能科技有限公司'));
    expect(normalizeCompanyName('腾讯科技（深圳）有限公司')).toBe(normalizeCompanyName('腾讯科技(深圳)有限公司'));
    expect(normalizeCompanyName('江苏某某集团股份有限公司')).toBe('江苏某某');
    expect(normalizeCompanyName('ＡＢＣ光电科技股份有限公司')).toBe('abc光电科技');
    expect(normalizeCompanyName('abc 光电科技·有限公司')).toBe('abc光电科技');
    expect(normalizeCompanyName('【南通】智能装备有限责任')).toBe('南通智能装备');
  });

  it('keeps different companies apart and never empties a name', () => {
    expect(normalizeCompanyName('华为技术有限公司')).not.toBe(normalizeCompanyName('华为科技有限公司'));
    expect(normalizeCompanyName('某某有限公司如皋分公司')).not.toBe(normalizeCompanyName('某某有限公司'));
    expect(normalizeCompanyName('集团有限公司')).toBe('集团');
  });

  it('is what validateLeadForm stores as companyNorm', () => {
    const a = expectOk(validateLeadForm('service', { project_name: '甲', town: '东陈镇', service_type: '财会审计', company_name: '苏州(如皋)氢能科技 有限责任公司' }, office));
    expect(a.companyNorm).toBe('苏州如皋氢能科技');
    const b = expectOk(validateLeadForm('service', { project_name: '乙', town: '东陈镇', service_type: '财会审计' }, office));
    expect(b.companyNorm).toBeNull();
  });
});

describe('lead codes', () => {
  it('formats KZ-<year>-<4 digits> and reads it back', () => {
    expect(formatLeadCode(2026, 1)).toBe('KZ-2026-0001');
    expect(formatLeadCode(2026, 370)).toBe('KZ-2026-0370');
    expect(formatLeadCode(2026, 12345)).toBe('KZ-2026-12345');
    expect(parseLeadCode(formatLeadCode(2027, 42))).toEqual({ year: 2027, seq: 42 });
  });

  it('reads codes as users type them and refuses others', () => {
    expect(parseLeadCode(' kz-2026-1 ')).toEqual({ year: 2026, seq: 1 });
    expect(parseLeadCode('KZ 2026 0015')).toEqual({ year: 2026, seq: 15 });
    expect(parseLeadCode('ＫＺ－２０２６－０００３')).toEqual({ year: 2026, seq: 3 });
    for (const bad of ['KZ-2026-0000', 'AB-2026-0001', 'KZ-26-0001', 'KZ-2026-', '2026-0001']) expect(parseLeadCode(bad), bad).toBeUndefined();
    expect(() => formatLeadCode(2026, 0)).toThrow(RangeError);
  });
});

describe('reachesMajorThreshold', () => {
  it('compares planned investment with the office threshold', () => {
    expect(reachesMajorThreshold({ investmentWan: 10000 }, office)).toBe(true);
    expect(reachesMajorThreshold({ investmentWan: 9999.5 }, office)).toBe(false);
    expect(reachesMajorThreshold({ investmentWan: null }, office)).toBe(false);
    const strict = officeSchema.parse({ approval: { majorThresholdWan: 3000 } });
    expect(reachesMajorThreshold({ investmentWan: 3000 }, strict)).toBe(true);
  });
});

describe('leadSummaryRows', () => {
  it('describes a lead in Chinese rows for cards', () => {
    const lead = expectOk(validateLeadForm('tech', {
      project_name: '车规级激光雷达', company_name: '南通光感科技有限公司', industry: '汽车及核心零部件', town: '经济技术开发区',
      source_region: '上海', investment_wan: '1200', needs_fund: '是', hightech_field: '电子信息', stage: '产业化',
      years_to_high_tech: '2', invention_patents: '3', contact_name: '王芳', contact_phone: '13912345678', summary: '简介',
    }, office));
    expect(leadSummaryRows(lead)).toEqual([
      ['项目类别', '科创类'],
      ['企业名称', '南通光感科技有限公司'],
      ['产业方向', '汽车及核心零部件'],
      ['所属镇区', '开发区'],
      ['来源地', '上海'],
      ['计划投资额', '1,200 万元'],
      ['落地即带投资需求', '是'],
      ['高新技术领域', '电子信息'],
      ['项目阶段', '产业化'],
      ['预计满足高企申报条件年限', '2 年'],
      ['发明专利实审数', '3 件'],
      // 实用新型授权数 was left blank: not shown (it used to read "0 件").
    ]);
    expect(leadSummaryRows(lead, { includeContact: true, includeSummary: true }).slice(-3)).toEqual([
      ['联系人', '王芳'], ['联系电话', '13912345678'], ['项目简介', '简介'],
    ]);
  });

  it('shows fund details with amounts and lists, from a stored row whose details are JSON', () => {
    const row = {
      kind: 'fund', town: '高新区', industry: null, investmentWan: null, needsFund: false,
      details: JSON.parse('{"fund_manager":"元禾原点","fund_size_wan":50000,"focus_industries":["氢能","合成生物学"],"fund_stage":"VC"}'),
    };
    expect(leadSummaryRows(row)).toEqual([
      ['项目类别', '基金类'], ['所属镇区', '高新区'], ['基金管理人', '元禾原点'], ['基金规模', '50,000 万元'],
      ['重点投向', '氢能、合成生物学'], ['投资阶段', 'VC'],
    ]);
  });
});

describe('blank optional counts', () => {
  it('a blank 实用新型授权数 is not shown and not put back into the form; a given count is', () => {
    const lead = expectOk(validateLeadForm('tech', {
      project_name: '空白专利数', town: '丁堰镇', hightech_field: '新材料', invention_patents: '2', utility_models: '  ',
    }, office));
    // The column is NOT NULL and summed for quotas: blank is stored as 0, which counts as not given.
    expect([lead.inventionPatents, lead.utilityModels]).toEqual([2, 0]);
    const rows = leadSummaryRows(lead);
    expect(rows).toContainEqual(['发明专利实审数', '2 件']);
    expect(rows.map(([label]) => label)).not.toContain('实用新型授权数');
    const values = leadFormValues(lead);
    expect(values.invention_patents).toBe('2');
    expect(Object.hasOwn(values, 'utility_models')).toBe(false);
    expect(expectOk(validateLeadForm('tech', values, office))).toEqual(lead);
  });
});

describe('hideContacts', () => {
  it('hides phone numbers, e-mail addresses and ID numbers in free text, full-width too, and keeps the rest', () => {
    const text = '联系王总 138 1234 5678 或 0513-87654321，邮箱 wang.z@example.com.cn；身份证 32068219900101123X；客服 400-123-4567；手机＋86 １３９１２３４５６７８。';
    const shown = hideContacts(text);
    for (const secret of ['1234 5678', '87654321', 'example.com', '32068219900101123X', '123-4567', '１３９']) expect(shown).not.toContain(secret);
    expect(shown).toBe('联系王总 （联系方式已隐藏） 或 （联系方式已隐藏），邮箱 （联系方式已隐藏）；身份证 （联系方式已隐藏）；客服 （联系方式已隐藏）；手机（联系方式已隐藏）。');
  });

  it('leaves amounts, years, codes and ordinary numbers alone', () => {
    const text = '计划投资 1200 万元，2026 年投产，年产 50000 套，KZ-2026-0001，统一社会信用代码 91320682MA1XYW1234。';
    expect(hideContacts(text)).toBe(text);
  });
});

describe('leadFormValues', () => {
  it('reopens a stored lead with the same values', () => {
    const activities = [{ id: 2, name: '如皋-苏州科技人才项目恳谈会' }];
    const first = expectOk(validateLeadForm('talent', {
      project_name: '固态锂电池项目', company_name: '如皋锂能科技有限公司', town: '搬经镇', industry: '储能节能',
      investment_wan: '1,500.5', needs_fund: true, talent_name: '周强', talent_title: '省级人才', founding_locally: true,
      invention_patents: '4', utility_models: '9', activity_id: '2', contact_phone: '0513 8765 4321',
    }, office, { activities }));
    const values = leadFormValues(first);
    expect(values).toMatchObject({ category: 'talent', investment_wan: '1500.5', activity_id: '2', founding_locally: true, invention_patents: '4' });
    expect(expectOk(validateLeadForm('talent', values, office, { activities }))).toEqual(first);
  });
});
