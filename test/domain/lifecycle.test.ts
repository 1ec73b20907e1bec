import { describe, expect, it } from 'vitest';
import { localMonth, monthReader, zonedInstant } from '../../src/platform/time.ts';
import {
  dayToDate, followUpOverdue, followUpPeriod, mayUpdateLifecycle, nextStage, parseStageCode, periodLabel, previousMonth, stageDataText,
  stageProgressLine, stageRefusal, validateStageForm, type StageRecord,
} from '../../src/features/lifecycle/lifecycle.ts';

const VALID_CODE = '91320682MA1W3T8K2K';
const approved = (stage: string | null = null) => ({ status: 'approved', stage });
const rec = (stage: string, day: string, data?: unknown): StageRecord => ({ stage, date: dayToDate(day), data });

describe('stages and milestones', () => {
  it('reads stages as users type them', () => {
    expect(parseStageCode('签约')).toBe('signed');
    expect(parseStageCode('落地')).toBe('landed');
    expect(parseStageCode('开工')).toBe('landed');
    expect(parseStageCode('落地（开工）')).toBe('landed');
    expect(parseStageCode('高企')).toBe('high_tech');
    expect(parseStageCode('科技型中小企业入库')).toBe('tech_sme');
    expect(parseStageCode('producing')).toBe('producing');
    expect(parseStageCode('立项')).toBeUndefined();
  });

  it('goes 签约 → 注册 → 落地 → 投产 and then stops', () => {
    expect(nextStage(null)).toBe('signed');
    expect(nextStage('signed')).toBe('registered');
    expect(nextStage('registered')).toBe('landed');
    expect(nextStage('landed')).toBe('producing');
    expect(nextStage('producing')).toBeUndefined();
  });

  it('refuses going backwards, skipping, repeating, milestones before 注册, and leads not approved', () => {
    const done = [rec('signed', '2023-03-01'), rec('registered', '2023-03-20')];
    expect(stageRefusal(approved('registered'), done, 'signed')).toBe('项目已到「注册」阶段，不能回到「签约」。');
    expect(stageRefusal(approved('landed'), [...done, rec('landed', '2023-04-01')], 'registered')).toBe('项目已到「落地（开工）」阶段，不能回到「注册」。');
    expect(stageRefusal(approved('registered'), done, 'registered')).toBe('「注册」已于 2023-03-20 登记，不能重复登记。');
    expect(stageRefusal(approved('registered'), [...done, rec('tech_sme', '2023-04-01')], 'tech_sme')).toBe('「科技型中小企业入库」已于 2023-04-01 登记，不能重复登记。');
    expect(stageRefusal(approved('registered'), [rec('registered', '2023-03-20')], 'signed')).toBe('项目已到「注册」阶段，不能回到「签约」。');
    expect(stageRefusal(approved('signed'), [rec('signed', '2023-03-01')], 'producing')).toBe('请先登记「注册」，再登记「投产」。');
    expect(stageRefusal(approved('signed'), [rec('signed', '2023-03-01')], 'high_tech')).toBe('企业完成「注册」后才能登记「高新技术企业认定」。');
    expect(stageRefusal({ status: 'pending', stage: null }, [], 'signed')).toBe('项目尚在审批中，审批通过后才能登记进度。');
    expect(stageRefusal({ status: 'rejected', stage: null }, [], 'signed')).toBe('项目已被驳回，不能登记进度。');
    expect(stageRefusal(approved(), [], 'signed')).toBeUndefined();
    expect(stageRefusal(approved('registered'), done, 'landed')).toBeUndefined();
    expect(stageRefusal(approved('registered'), done, 'tech_sme')).toBeUndefined();
    // The pre-签约 stages (default 接洽 → 在谈) may be skipped, never gone back to; 签约 may follow any of them.
    expect(stageRefusal(approved(), [], 'negotiating')).toBeUndefined();
    expect(stageRefusal(approved('contact'), [rec('contact', '2023-02-01')], 'signed')).toBeUndefined();
    expect(stageRefusal(approved('negotiating'), [rec('negotiating', '2023-02-01')], 'contact')).toBe('项目已到「在谈」阶段，不能回到「接洽」。');
    expect(stageRefusal(approved('negotiating'), [rec('negotiating', '2023-02-01')], 'registered')).toBe('请先登记「签约」，再登记「注册」。');
    expect(stageRefusal(approved('signed'), [rec('signed', '2023-03-01')], 'negotiating')).toBe('项目已到「签约」阶段，不能回到「在谈」。');
    const renamed = [{ code: 'visit', label: '走访' }];
    expect(stageRefusal(approved(), [], 'visit', renamed)).toBeUndefined();
    expect(stageRefusal(approved(), [], 'negotiating', renamed)).toBe('没有这个进度阶段。');
    expect(stageProgressLine([rec('visit', '2023-02-01')], renamed)).toBe('走访 ✓ → 签约 → 注册 → 落地（开工） → 投产');
  });

  it('lets the owner, reviewers and admins update, and nobody else', () => {
    const lead = { submitterId: 'ou_owner' };
    expect(mayUpdateLifecycle({ openId: 'ou_owner', roles: new Set(['staff']) }, lead)).toBe(true);
    expect(mayUpdateLifecycle({ openId: 'ou_rev', roles: new Set(['reviewer']) }, lead)).toBe(true);
    expect(mayUpdateLifecycle({ openId: 'ou_adm', roles: new Set(['admin']) }, lead)).toBe(true);
    expect(mayUpdateLifecycle({ openId: 'ou_other', roles: new Set(['staff']) }, lead)).toBe(false);
    expect(mayUpdateLifecycle({ openId: 'ou_leader', roles: new Set(['leader']) }, lead)).toBe(false);
  });
});

describe('the update forms', () => {
  const ctx = { today: '2023-06-30', done: [] as StageRecord[] };

  it('reads 签约: date and agreed investment in 万元', () => {
    const r = validateStageForm('signed', { date: '2023-03-01 +0800', investment_wan: '5,000万元' }, ctx);
    expect(r).toEqual({ ok: true, update: { stage: 'signed', label: '签约', date: new Date('2023-03-01T00:00:00Z'), data: { investment_wan: 5000 } } });
  });

  it('needs every required field, in Chinese', () => {
    const r = validateStageForm('landed', { carrier: '  ' }, ctx);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toEqual({ carrier: '请填写落地载体', address: '请填写地址', date: '请填写开工日期' });
  });

  it('checks the credit code at 注册 and keeps it upper-case', () => {
    const bad = validateStageForm('registered', { credit_code: '91320682MA1W3T8K2A', date: '2023-03-20' }, ctx);
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.errors.credit_code).toBe('统一社会信用代码校验位不正确：请核对每一位是否抄错');
    const good = validateStageForm('registered', { credit_code: VALID_CODE.toLowerCase(), date: '2023年3月20日' }, ctx);
    expect(good.ok && good.update.data).toEqual({ credit_code: VALID_CODE });
  });

  it('refuses dates in the future, before the previous stage, or not existing', () => {
    const done = [rec('signed', '2023-03-01'), rec('registered', '2023-03-20')];
    const future = validateStageForm('landed', { carrier: '氢能孵化器', address: '1 号楼', date: '2023-07-01' }, { today: '2023-06-30', done });
    expect(!future.ok && future.errors.date).toBe('开工日期不能晚于今天（2023-06-30）');
    const early = validateStageForm('landed', { carrier: '氢能孵化器', address: '1 号楼', date: '2023-03-19' }, { today: '2023-06-30', done });
    expect(!early.ok && early.errors.date).toBe('开工日期不能早于注册日期（2023-03-20）');
    const milestone = validateStageForm('tech_sme', { date: '2023-03-10' }, { today: '2023-06-30', done });
    expect(!milestone.ok && milestone.errors.date).toBe('入库日期不能早于注册日期（2023-03-20）');
    const bogus = validateStageForm('producing', { date: '2023-02-30' }, ctx);
    expect(!bogus.ok && bogus.errors.date).toBe('投产日期格式不正确，请按 2026-03-01 填写');
  });

  it('reads 协议投资额 as registration reads 计划投资额: 亿, full-width digits, thousands separators', () => {
    const amount = (typed: string) => {
      const r = validateStageForm('signed', { date: '2023-03-01', investment_wan: typed }, ctx);
      return r.ok ? r.update.data.investment_wan : r.errors.investment_wan;
    };
    expect(amount('1.5亿')).toBe(15000);
    expect(amount('1.5 亿元')).toBe(15000);
    expect(amount('８００万')).toBe(800);
    expect(amount('1,200')).toBe(1200);
    expect(amount('5000元')).toBe('协议投资额（万元）应为数字，单位万元，如 5000');
    expect(amount('2000亿')).toBe('协议投资额（万元）超过 10,000,000 万元，请确认单位是万元');
  });

  it('refuses a non-positive or absurd investment', () => {
    const zero = validateStageForm('signed', { date: '2023-03-01', investment_wan: '0' }, ctx);
    expect(!zero.ok && zero.errors.investment_wan).toBe('协议投资额（万元）应大于 0');
    const text = validateStageForm('signed', { date: '2023-03-01', investment_wan: '五千' }, ctx);
    expect(!text.ok && text.errors.investment_wan).toBe('协议投资额（万元）应为数字，单位万元，如 5000');
  });

  it('shows the progress line and what each update recorded', () => {
    expect(stageProgressLine([rec('signed', '2023-03-01'), rec('registered', '2023-03-20')])).toBe('接洽 → 在谈 → 签约 ✓ → 注册 ✓ → 落地（开工） → 投产');
    expect(stageDataText('signed', { investment_wan: 5000 })).toBe('协议投资额 5,000 万元');
    expect(stageDataText('landed', { carrier: '氢能孵化器', address: '1 号楼' })).toBe('落地载体 氢能孵化器，地址 1 号楼');
  });
});

describe('一月一报 periods', () => {
  it('asks about the month that just ended, on the office clock', () => {
    // 1 December 00:30 in Shanghai: November has ended.
    expect(followUpPeriod(new Date('2023-11-30T16:30:00Z'), 'Asia/Shanghai')).toBe('2023-11');
    // 30 November 23:30 in Shanghai: still November, so October.
    expect(followUpPeriod(new Date('2023-11-30T15:30:00Z'), 'Asia/Shanghai')).toBe('2023-10');
    // 1 January asks about December of the year before.
    expect(followUpPeriod(new Date('2024-01-01T01:41:00Z'), 'Asia/Shanghai')).toBe('2023-12');
    expect(previousMonth('2024-01')).toBe('2023-12');
    expect(previousMonth('2026-12')).toBe('2026-11');
    expect(periodLabel('2023-12')).toBe('2023年12月');
  });

  it('reads the month a project was approved in on the office clock, as localMonth does, around every month boundary', () => {
    for (const tz of ['Asia/Shanghai', 'America/Los_Angeles', 'Pacific/Kiritimati', 'Asia/Kolkata', 'UTC']) {
      const monthOf = monthReader(tz);
      for (let m = 0; m < 30; m++) {
        const start = zonedInstant(2023 + Math.floor(m / 12), (m % 12) + 1, 1, tz).getTime();
        for (const t of [start - 1, start, start + 1, start + 13 * 3_600_000, start - 15 * 3_600_000]) {
          expect(monthOf(new Date(t)), `${tz} ${new Date(t).toISOString()}`).toBe(localMonth(new Date(t), tz));
        }
      }
    }
  });

  it('is overdue 7 days after sending while unanswered', () => {
    const sent = new Date('2023-12-01T01:41:00Z');
    expect(followUpOverdue(sent, null, new Date('2023-12-08T01:40:59Z'))).toBe(false);
    expect(followUpOverdue(sent, null, new Date('2023-12-08T01:41:00Z'))).toBe(true);
    expect(followUpOverdue(sent, new Date('2023-12-02T00:00:00Z'), new Date('2023-12-20T00:00:00Z'))).toBe(false);
  });
});
