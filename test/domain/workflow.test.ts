import { describe, expect, it } from 'vitest';
import { officeSchema, type LeadKind, type OfficeConfig } from '../../src/office/config.ts';
import {
  canAct,
  canWithdraw,
  decide,
  dueReminders,
  planSteps,
  progressLine,
  remindStep,
  restaff,
  resubmit,
  leadStatusText,
  submit,
  type Actor,
  type DecideInput,
  type DecideResult,
  type Effect,
  type Holders,
  type LeadFacts,
  type Role,
  type StepState,
  type Transition,
  type WorkflowAction,
  type WorkflowState,
} from '../../src/features/approval/workflow.ts';

// prereview for tech & talent, major from 10000 万元, remind after 24 h, 09–18; one expert decides 预审 and the
// 领导小组 decides by 会签 (the panel and the meeting rules are tested in test/domain/panel.test.ts).
const office = officeSchema.parse({ panel: { prereview: false, major: false }, major: { decision: 'unanimous' } });
const T0 = new Date('2026-03-02T01:00:00Z'); // Monday 09:00 in Asia/Shanghai
const later = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

const holders: Holders = {
  staff: ['ou_staff'],
  expert: ['ou_exp1', 'ou_exp2'],
  reviewer: ['ou_rev1', 'ou_rev2'],
  approver: ['ou_app1'],
  leader: ['ou_l1', 'ou_l2', 'ou_l3'],
  admin: ['ou_admin'],
};
const NAMES: Record<string, string> = { ou_rev1: '张三', ou_rev2: '李四', ou_rev3: '王五', ou_app1: '赵六' };
const nameOf = (id: string) => NAMES[id];

function person(id: string): Actor {
  const roles = (Object.keys(holders) as Role[]).filter((r) => holders[r]?.includes(id));
  return { id, roles };
}
const staff = person('ou_staff');

let nextId = 1;
/** Stands in for the persistence layer: gives new steps their row ids. */
function persist(t: Transition): WorkflowState {
  for (const s of t.next.steps) if (s.id === null) s.id = nextId++;
  return t.next;
}

function newLead(kind: LeadKind, investmentWan: number | null = 500, submitterId = 'ou_staff'): LeadFacts {
  return { id: 1, kind, investmentWan, major: false, status: 'pending', round: 1, submitterId, version: 0 };
}

function start(kind: LeadKind, investmentWan: number | null = 500, opts: { holders?: Holders; office?: OfficeConfig } = {}) {
  const t = submit(newLead(kind, investmentWan), opts.office ?? office, opts.holders ?? holders, T0);
  return { state: persist(t), effects: t.effects };
}

function act(state: WorkflowState, who: string | Actor, action: WorkflowAction, input: Partial<DecideInput> = {}, at = later(10)): DecideResult {
  const actor = typeof who === 'string' ? person(who) : who;
  return decide(state, actor, action, { holders, nameOf, ...input }, at);
}

/** Runs an action that must succeed and returns the persisted next state with the effects. */
function ok(state: WorkflowState, who: string | Actor, action: WorkflowAction, input: Partial<DecideInput> = {}, at = later(10)) {
  const r = act(state, who, action, input, at);
  if (!r.ok) throw new Error(`expected ${action} by ${typeof who === 'string' ? who : who.id} to succeed: ${r.reason}`);
  return { state: persist(r), effects: r.effects };
}

function refused(r: DecideResult): string {
  if (r.ok) throw new Error('expected a refusal');
  return r.reason;
}

const ofType = <T extends Effect['type']>(effects: Effect[], type: T) =>
  effects.filter((e): e is Extract<Effect, { type: T }> => e.type === type);
const step = (state: WorkflowState, kind: StepState['step']) => state.steps.find((s) => s.step === kind)!;
const label = (state: WorkflowState) => leadStatusText(state.lead, state.steps);

describe('round planning', () => {
  it('plans prereview → review → signoff for a tech lead and starts prereview with every expert', () => {
    const { state, effects } = start('tech');
    expect(planSteps(state.lead, office).map((p) => `${p.step}/${p.role}/${p.mode}`)).toEqual([
      'prereview/expert/any',
      'review/reviewer/any',
      'signoff/approver/any',
    ]);
    expect(effects[0]).toEqual({ type: 'lead_version', expected: 0, next: 1 });
    expect(ofType(effects, 'step_created').map((e) => e.step)).toEqual(['prereview', 'review', 'signoff']);
    const started = ofType(effects, 'step_started');
    expect(started).toHaveLength(1);
    expect(started[0]).toMatchObject({ step: 'prereview', role: 'expert', mode: 'any', assignees: ['ou_exp1', 'ou_exp2'], at: T0 });
    expect(ofType(effects, 'send_step_cards')[0]).toMatchObject({ step: 'prereview', userIds: ['ou_exp1', 'ou_exp2'], reason: 'started' });
    expect(label(state)).toBe('待预审');
    expect(progressLine(state.steps)).toBe('预审 … → 初审 → 审签');
  });

  it('starts a kind without prereview at review', () => {
    const { state, effects } = start('service');
    expect(state.steps.map((s) => s.step)).toEqual(['review', 'signoff']);
    expect(ofType(effects, 'step_started')[0]).toMatchObject({ step: 'review', assignees: ['ou_rev1', 'ou_rev2'] });
    expect(label(state)).toBe('待初审');
  });

  it('keeps a step with no holder pending and tells the admins, until someone gets the role', () => {
    const noExperts: Holders = { ...holders, expert: [] };
    const { state, effects } = start('talent', 500, { holders: noExperts });
    expect(step(state, 'prereview').status).toBe('pending');
    expect(ofType(effects, 'notify_admins_no_assignee')).toEqual([
      { type: 'notify_admins_no_assignee', stepId: null, round: 1, step: 'prereview', role: 'expert' },
    ]);
    expect(ofType(effects, 'send_step_cards')).toHaveLength(0);

    const still = restaff(state, noExperts, later(60), 'ou_admin');
    expect(still.effects.map((e) => e.type)).toEqual(['notify_admins_no_assignee']);

    const granted: Holders = { ...holders, expert: ['ou_exp9'] };
    const fixed = restaff(state, granted, later(60), 'ou_admin');
    expect(fixed.effects.map((e) => e.type)).toEqual(['lead_version', 'assignees_added', 'send_step_cards', 'audit']);
    expect(ofType(fixed.effects, 'audit')[0]).toEqual({
      type: 'audit', actorId: 'ou_admin', action: 'restaff', role: 'admin', comment: null,
      stepId: step(state, 'prereview').id, round: 1, step: 'prereview', data: { added: 'ou_exp9' },
    });
    expect(ofType(fixed.effects, 'assignees_added')[0].userIds).toEqual(['ou_exp9']);
    const r = decide(fixed.next, { id: 'ou_exp9', roles: ['expert'] }, 'approve', { holders: granted }, later(70));
    expect(r.ok).toBe(true);
  });

  it('never makes the submitter an assignee of his own lead', () => {
    const both: Holders = { ...holders, reviewer: ['ou_staff', 'ou_rev1'] };
    const { effects } = start('service', 500, { holders: both });
    expect(ofType(effects, 'step_started')[0].assignees).toEqual(['ou_rev1']);
  });
});

describe('decisions', () => {
  it('runs prereview → review → signoff → approved', () => {
    let { state } = start('tech');
    const submitted = structuredClone(state);

    const pre = ok(state, 'ou_exp2', 'approve', { comment: '技术路线可行' });
    expect(submitted).toEqual(state); // the input was not changed
    expect(ofType(pre.effects, 'assignee_decided')[0]).toMatchObject({ userId: 'ou_exp2', decision: 'approve', comment: '技术路线可行' });
    expect(ofType(pre.effects, 'step_decided')[0]).toMatchObject({ step: 'prereview', outcome: 'approved', by: 'ou_exp2' });
    expect(ofType(pre.effects, 'update_step_cards').map((e) => e.step)).toEqual(['prereview']);
    expect(ofType(pre.effects, 'notify_submitter')[0]).toMatchObject({ userId: 'ou_staff', event: 'step_approved', step: 'prereview' });
    expect(ofType(pre.effects, 'step_started')[0]).toMatchObject({ step: 'review', assignees: ['ou_rev1', 'ou_rev2'] });
    expect(ofType(pre.effects, 'audit')[0]).toMatchObject({ actorId: 'ou_exp2', action: 'approve', role: 'expert', comment: '技术路线可行' });
    expect(canAct(step(pre.state, 'prereview'), 'ou_exp1')).toBe(false);
    expect(label(pre.state)).toBe('待初审');
    state = pre.state;

    state = ok(state, 'ou_rev1', 'approve').state;
    expect(label(state)).toBe('待审签');
    expect(progressLine(state.steps)).toBe('预审 ✓ → 初审 ✓ → 审签 …');

    const fin = ok(state, 'ou_app1', 'approve', {}, later(30));
    expect(ofType(fin.effects, 'lead_status')).toEqual([
      { type: 'lead_status', from: 'pending', to: 'approved', round: 1, approvedAt: later(30) },
    ]);
    expect(ofType(fin.effects, 'notify_submitter')[0]).toMatchObject({ event: 'approved', step: 'signoff', by: 'ou_app1' });
    expect(ofType(fin.effects, 'step_started')).toHaveLength(0);
    expect(label(fin.state)).toBe('已通过');
    expect(progressLine(fin.state.steps)).toBe('预审 ✓ → 初审 ✓ → 审签 ✓');
  });

  it('needs a comment to reject, and a rejection is final', () => {
    const { state } = start('service');
    expect(refused(act(state, 'ou_rev1', 'reject'))).toBe('驳回须填写理由');
    expect(refused(act(state, 'ou_rev1', 'reject', { comment: '   ' }))).toBe('驳回须填写理由');

    const r = ok(state, 'ou_rev1', 'reject', { comment: '不符合产业方向' }, later(20));
    expect(ofType(r.effects, 'step_decided')[0]).toMatchObject({ step: 'review', outcome: 'rejected' });
    expect(ofType(r.effects, 'step_cancelled')).toMatchObject([{ step: 'signoff', from: 'waiting' }]);
    expect(ofType(r.effects, 'lead_status')[0]).toEqual({ type: 'lead_status', from: 'pending', to: 'rejected', round: 1, closedAt: later(20) });
    expect(ofType(r.effects, 'notify_submitter')[0]).toMatchObject({ event: 'rejected', comment: '不符合产业方向', by: 'ou_rev1' });
    expect(label(r.state)).toBe('已驳回');
    expect(progressLine(r.state.steps)).toBe('初审 ✗ → 审签');

    expect(refused(act(r.state, 'ou_app1', 'approve'))).toBe('该项目已被驳回，审批已结束');
    expect(refused(resubmit(r.state, staff, office, holders, later(30)))).toBe('该项目已被驳回，审批已结束');
    expect(refused(act(r.state, staff, 'withdraw'))).toBe('该项目已被驳回，审批已结束');
  });

  it('returns a lead for changes and starts a new round at the first step on resubmission', () => {
    let { state } = start('tech');
    state = ok(state, 'ou_exp1', 'approve').state;
    expect(refused(act(state, 'ou_rev2', 'return'))).toBe('退回修改须填写修改意见');
    const ret = ok(state, 'ou_rev2', 'return', { comment: '请补充团队情况' });
    expect(ofType(ret.effects, 'lead_status')[0]).toMatchObject({ from: 'pending', to: 'returned', round: 1 });
    expect(ofType(ret.effects, 'notify_submitter')[0]).toMatchObject({ event: 'returned', comment: '请补充团队情况' });
    expect(label(ret.state)).toBe('退回修改');
    expect(progressLine(ret.state.steps)).toBe('预审 ✓ → 初审 ↩ → 审签');
    const oldReviewId = step(ret.state, 'review').id!;

    expect(refused(resubmit(ret.state, person('ou_rev1'), office, holders, later(60)))).toBe('只有项目登记人可以重新提交');
    const again = resubmit(ret.state, staff, office, holders, later(60));
    if (!again.ok) throw new Error(again.reason);
    expect(ofType(again.effects, 'lead_status')[0]).toEqual({ type: 'lead_status', from: 'returned', to: 'pending', round: 2 });
    expect(ofType(again.effects, 'step_created').map((e) => `${e.round}:${e.step}`)).toEqual(['2:prereview', '2:review', '2:signoff']);
    expect(ofType(again.effects, 'step_started')[0]).toMatchObject({ round: 2, step: 'prereview', assignees: ['ou_exp1', 'ou_exp2'] });
    expect(ofType(again.effects, 'audit')[0]).toMatchObject({ action: 'resubmit', actorId: 'ou_staff' });
    const round2 = persist(again);
    expect(label(round2)).toBe('待预审');
    // A button on the round-1 card no longer works.
    expect(refused(act(round2, 'ou_rev1', 'approve', { stepId: oldReviewId }))).toBe('该审批卡片已失效，请以最新卡片为准');
  });

  it('lets the submitter withdraw before anyone has acted, and not after', () => {
    const { state } = start('service');
    expect(refused(act(state, 'ou_rev1', 'withdraw'))).toBe('只有项目登记人可以撤回');

    const w = ok(state, staff, 'withdraw');
    expect(ofType(w.effects, 'step_cancelled').map((e) => `${e.step}:${e.from}`)).toEqual(['review:pending', 'signoff:waiting']);
    expect(ofType(w.effects, 'notify_assignees')[0]).toMatchObject({ step: 'review', userIds: ['ou_rev1', 'ou_rev2'], event: 'withdrawn' });
    expect(ofType(w.effects, 'update_step_cards').map((e) => e.step)).toEqual(['review']);
    expect(ofType(w.effects, 'lead_status')[0]).toMatchObject({ from: 'pending', to: 'withdrawn' });
    expect(label(w.state)).toBe('已撤回');
    expect(refused(act(w.state, 'ou_rev1', 'approve'))).toBe('该项目已由登记人撤回');
    // The submitter himself is told in the second person.
    expect(refused(act(w.state, staff, 'withdraw'))).toBe('您已撤回该项目');
    expect(refused(act(w.state, staff, 'remind'))).toBe('您已撤回该项目');
    expect(refused(act(w.state, 'ou_admin', 'remind'))).toBe('该项目已由登记人撤回');
    expect(canWithdraw(state)).toBe(true);
    expect(canWithdraw(w.state)).toBe(false);
    expect(resubmit(w.state, staff, office, holders, later(60)).ok).toBe(true);

    const acted = ok(state, 'ou_rev1', 'approve').state;
    expect(canWithdraw(acted)).toBe(false);
    expect(refused(act(acted, staff, 'withdraw'))).toBe('审批人已处理该项目，无法撤回');
  });

  it('transfers a step to another holder of the same role only', () => {
    const { state } = start('service');
    const withRev3: Holders = { ...holders, reviewer: ['ou_rev1', 'ou_rev2', 'ou_rev3'] };
    const transfer = (to: string, from = 'ou_rev1') => decide(state, person(from), 'transfer', { holders: withRev3, nameOf, to }, later(5));

    expect(refused(transfer('ou_app1'))).toBe('对方不是初审人员，不能转交');
    expect(refused(transfer('ou_rev1'))).toBe('不能转交给自己');
    expect(refused(transfer('ou_rev2'))).toBe('对方已是该环节的审批人');
    expect(refused(transfer('ou_staff'))).toBe('不能转交给项目登记人');

    const t = transfer('ou_rev3');
    if (!t.ok) throw new Error(t.reason);
    expect(ofType(t.effects, 'assignee_transferred')[0]).toMatchObject({ step: 'review', from: 'ou_rev1', to: 'ou_rev3' });
    expect(ofType(t.effects, 'send_step_cards')[0]).toMatchObject({ userIds: ['ou_rev3'], reason: 'transferred' });
    expect(ofType(t.effects, 'update_step_cards')).toHaveLength(1);
    expect(ofType(t.effects, 'audit')[0]).toMatchObject({ action: 'transfer', role: 'reviewer', data: { to: 'ou_rev3' } });
    const after = persist(t);
    const review = step(after, 'review');
    expect(canAct(review, 'ou_rev1')).toBe(false);
    expect(canAct(review, 'ou_rev3')).toBe(true);

    expect(refused(act(after, 'ou_rev1', 'approve'))).toBe('您已将该环节转交给 王五');
    const rev3: Actor = { id: 'ou_rev3', roles: ['reviewer'] };
    const r = decide(after, rev3, 'approve', { holders: withRev3 }, later(15));
    expect(r.ok).toBe(true);
  });

  it('needs every leader to approve a major lead, and one rejection rejects it', () => {
    const { state, effects } = start('platform', 20000);
    expect(ofType(effects, 'lead_major')).toMatchObject([{ reason: 'amount', by: null }]);
    expect(state.steps.map((s) => s.step)).toEqual(['review', 'signoff', 'leadership']);
    let s = ok(state, 'ou_rev1', 'approve').state;
    s = ok(s, 'ou_app1', 'approve').state;
    expect(label(s)).toBe('待领导小组审议');
    expect(step(s, 'leadership').assignees.map((a) => a.userId)).toEqual(['ou_l1', 'ou_l2', 'ou_l3']);

    const one = ok(s, 'ou_l1', 'approve');
    expect(ofType(one.effects, 'step_decided')).toHaveLength(0);
    expect(ofType(one.effects, 'update_step_cards')).toHaveLength(1);
    expect(progressLine(one.state.steps)).toBe('初审 ✓ → 审签 ✓ → 领导小组 … 1/3');
    expect(refused(act(one.state, 'ou_l1', 'approve'))).toBe('您已同意，等待其他成员审议');

    const two = ok(one.state, 'ou_l2', 'approve').state;
    expect(two.lead.status).toBe('pending');
    const all = ok(two, 'ou_l3', 'approve');
    expect(ofType(all.effects, 'step_decided')[0]).toMatchObject({ step: 'leadership', outcome: 'approved', by: 'ou_l3' });
    expect(label(all.state)).toBe('已通过');
    expect(refused(act(all.state, 'ou_l2', 'approve', { stepId: step(all.state, 'leadership').id! }))).toBe('该环节已会签通过');

    const no = ok(one.state, 'ou_l2', 'reject', { comment: '投资风险过高' });
    expect(ofType(no.effects, 'lead_status')[0]).toMatchObject({ to: 'rejected' });
    expect(progressLine(no.state.steps)).toBe('初审 ✓ → 审签 ✓ → 领导小组 ✗');
    expect(refused(act(no.state, 'ou_l3', 'approve', { stepId: step(no.state, 'leadership').id! }))).toBe('该环节已由 ou_l2 处理（驳回）');

    const back = ok(one.state, 'ou_l3', 'return', { comment: '请补充尽调报告' });
    expect(back.state.lead.status).toBe('returned');
  });

  it('adds the leadership step when a reviewer flags 一事一议', () => {
    const { state } = start('tech', 300);
    let s = ok(state, 'ou_exp1', 'approve').state;
    expect(refused(act(state, 'ou_exp1', 'approve', { major: true }))).toBe('只有初审环节可以标记一事一议');

    const flagged = ok(s, 'ou_rev2', 'approve', { major: true });
    expect(ofType(flagged.effects, 'lead_major')).toMatchObject([{ reason: 'flag', by: 'ou_rev2' }]);
    expect(ofType(flagged.effects, 'step_created')).toMatchObject([{ step: 'leadership', role: 'leader', mode: 'all', position: 4 }]);
    expect(ofType(flagged.effects, 'step_started')[0]).toMatchObject({ step: 'signoff' });
    expect(ofType(flagged.effects, 'audit')[0]).toMatchObject({ data: { major: true } });
    s = flagged.state;
    expect(s.lead.major).toBe(true);
    expect(progressLine(s.steps)).toBe('预审 ✓ → 初审 ✓ → 审签 … → 领导小组');

    const signed = ok(s, 'ou_app1', 'approve');
    expect(signed.state.lead.status).toBe('pending');
    expect(ofType(signed.effects, 'step_started')[0]).toMatchObject({ step: 'leadership', assignees: ['ou_l1', 'ou_l2', 'ou_l3'] });
  });

  it('refuses people who are not an active assignee, admins included', () => {
    const { state } = start('service');
    expect(refused(act(state, 'ou_app1', 'approve'))).toBe('您不是该环节的审批人');
    expect(refused(act(state, 'ou_admin', 'approve'))).toBe('您不是该环节的审批人');
    expect(refused(act(state, staff, 'approve'))).toBe('您不是该环节的审批人');
    const revoked: Actor = { id: 'ou_rev1', roles: ['staff'] };
    expect(refused(act(state, revoked, 'approve'))).toBe('您已不再担任初审人员，无法处理该环节');
    const signoffId = step(state, 'signoff').id!;
    expect(refused(act(state, 'ou_app1', 'approve', { stepId: signoffId }))).toBe('该环节尚未开始，请等待前一环节完成');
  });

  it('refuses a second decision on a settled step and names who decided', () => {
    const { state } = start('service');
    const reviewId = step(state, 'review').id!;
    const s = ok(state, 'ou_rev1', 'approve').state;
    const r = act(s, 'ou_rev2', 'reject', { stepId: reviewId, comment: '重复' });
    expect(r).toEqual({ ok: false, code: 'step_settled', reason: '该环节已由 张三 处理（同意）', decidedBy: 'ou_rev1' });
    expect(refused(act(s, 'ou_rev1', 'approve', { stepId: reviewId }))).toBe('您已处理该环节（同意）');
    expect(refused(decide(s, person('ou_rev2'), 'approve', { holders, stepId: reviewId }, later(11)))).toBe('该环节已由 ou_rev1 处理（同意）');
  });

  it('lets the submitter or an admin remind the pending step, at most once an hour', () => {
    const { state } = start('service');
    expect(refused(act(state, 'ou_app1', 'remind'))).toBe('只有项目登记人或管理员可以催办');
    const r = ok(state, staff, 'remind', {}, later(5));
    expect(ofType(r.effects, 'step_reminded')[0]).toMatchObject({ step: 'review', previous: null, at: later(5) });
    expect(ofType(r.effects, 'send_step_cards')[0]).toMatchObject({ userIds: ['ou_rev1', 'ou_rev2'], reason: 'remind' });
    expect(refused(act(r.state, person('ou_admin'), 'remind', {}, later(30)))).toBe('该环节 1 小时内已催办过，请稍后再试');
    expect(act(r.state, person('ou_admin'), 'remind', {}, later(70)).ok).toBe(true);
  });

  it('settles a 会签 step when a leader who had not voted loses the role', () => {
    let s = start('fund', 50000).state;
    s = ok(s, 'ou_rev1', 'approve').state;
    s = ok(s, 'ou_app1', 'approve').state;
    s = ok(s, 'ou_l1', 'approve', {}, later(40)).state;
    s = ok(s, 'ou_l2', 'approve', {}, later(50)).state;
    const t = restaff(s, { ...holders, leader: ['ou_l1', 'ou_l2'] }, later(90), 'ou_admin');
    expect(ofType(t.effects, 'assignees_removed')[0].userIds).toEqual(['ou_l3']);
    expect(ofType(t.effects, 'step_decided')[0]).toMatchObject({ step: 'leadership', outcome: 'approved', by: 'ou_l2' });
    expect(t.next.lead.status).toBe('approved');
    expect(ofType(t.effects, 'audit')).toMatchObject([{ actorId: 'ou_admin', action: 'restaff', step: 'leadership', data: { removed: 'ou_l3', settled: true } }]);
  });
});

describe('双层签批: different people sign the layers', () => {
  // 张三 holds both reviewer and approver; 赵六 is the other approver.
  const both: Holders = { ...holders, reviewer: ['ou_rev1', 'ou_rev2'], approver: ['ou_rev1', 'ou_app1'] };
  const actAs = (state: WorkflowState, id: string, action: WorkflowAction, input: Partial<DecideInput> = {}) =>
    decide(state, { id, roles: (Object.keys(both) as Role[]).filter((r) => both[r]?.includes(id)) }, action, { holders: both, nameOf, ...input }, later(10));

  it('leaves whoever signed 初审 out of 审签', () => {
    const state = persist(submit(newLead('service'), office, both, T0));
    const r = actAs(state, 'ou_rev1', 'approve');
    if (!r.ok) throw new Error(r.reason);
    expect(ofType(r.effects, 'step_started')[0]).toMatchObject({ step: 'signoff', assignees: ['ou_app1'] });
    const after = persist(r);
    expect(canAct(step(after, 'signoff'), 'ou_rev1')).toBe(false);
    expect(refused(actAs(after, 'ou_rev1', 'approve'))).toBe('您不是该环节的审批人');
    // Nor may the step be handed to him, nor does re-staffing bring him in.
    expect(refused(actAs(after, 'ou_app1', 'transfer', { to: 'ou_rev1' }))).toBe('对方已处理本轮前面的环节，不能再审批该环节');
    const gone = restaff(after, { ...both, approver: ['ou_rev1'] }, later(20), 'ou_admin');
    expect(ofType(gone.effects, 'assignees_removed')[0].userIds).toEqual(['ou_app1']);
    expect(ofType(gone.effects, 'assignees_added')).toEqual([]);
    expect(ofType(gone.effects, 'notify_admins_no_assignee')).toMatchObject([{ step: 'signoff', role: 'approver' }]);
  });

  it('alerts the admins when the only approver signed 初审, and a new round forgets the old decisions', () => {
    const only: Holders = { ...both, approver: ['ou_rev1'] };
    const state = persist(submit(newLead('service'), office, only, T0));
    const r = decide(state, { id: 'ou_rev1', roles: ['reviewer', 'approver'] }, 'approve', { holders: only }, later(10));
    if (!r.ok) throw new Error(r.reason);
    expect(ofType(r.effects, 'step_started')[0]).toMatchObject({ step: 'signoff', assignees: [] });
    expect(ofType(r.effects, 'notify_admins_no_assignee')).toMatchObject([{ step: 'signoff', role: 'approver' }]);
    expect(ofType(r.effects, 'send_step_cards').filter((e) => e.step === 'signoff')).toEqual([]);

    // 退回修改 and resubmission: round 2 starts clean, 张三 is a reviewer again.
    const returned = persist(decide(state, { id: 'ou_rev1', roles: ['reviewer'] }, 'return', { holders: only, comment: '补充材料' }, later(10)) as Transition);
    const again = resubmit(returned, staff, office, only, later(30));
    if (!again.ok) throw new Error(again.reason);
    expect(ofType(again.effects, 'step_started')[0]).toMatchObject({ round: 2, step: 'review', assignees: ['ou_rev1', 'ou_rev2'] });
  });

  it('keeps a leader who also signed 审签 in the 领导小组 会签', () => {
    const board: Holders = { ...holders, approver: ['ou_l1'], leader: ['ou_l1', 'ou_l2'] };
    let s = persist(submit(newLead('platform', 20000), office, board, T0));
    const ask = (id: string) => decide(s, { id, roles: (Object.keys(board) as Role[]).filter((r) => board[r]?.includes(id)) }, 'approve', { holders: board }, later(10));
    let r = ask('ou_rev1');
    if (!r.ok) throw new Error(r.reason);
    s = persist(r);
    r = ask('ou_l1');
    if (!r.ok) throw new Error(r.reason);
    expect(ofType(r.effects, 'step_started')[0]).toMatchObject({ step: 'leadership', assignees: ['ou_l1', 'ou_l2'] });
  });
});

describe('progressLine', () => {
  it('marks each step by its state', () => {
    const row = (step: StepState['step'], status: string, position: number) => ({ step, status, position });
    expect(progressLine([row('review', 'approved', 2), row('prereview', 'approved', 1), row('signoff', 'pending', 3), row('leadership', 'waiting', 4)])).toBe(
      '预审 ✓ → 初审 ✓ → 审签 … → 领导小组',
    );
    expect(progressLine([row('review', 'returned', 1), row('signoff', 'cancelled', 2)])).toBe('初审 ↩ → 审签');
    expect(progressLine([row('review', 'approved', 1), row('signoff', 'rejected', 2)])).toBe('初审 ✓ → 审签 ✗');
  });
});

describe('dueReminders', () => {
  const tz = 'Asia/Shanghai';
  const pending = (startedAt: Date, lastRemindedAt: Date | null = null) => ({ id: 7, status: 'pending', startedAt, lastRemindedAt });
  const started = new Date('2026-03-02T01:00:00Z'); // Mon 09:00 local

  it('reminds an overdue step once per local day, in work hours only', () => {
    const step = pending(started);
    expect(dueReminders([step], new Date('2026-03-02T09:00:00Z'), office, tz)).toEqual([]); // 17:00 local, 8 h waiting
    expect(dueReminders([step], new Date('2026-03-03T02:00:00Z'), office, tz)).toEqual([step]); // Tue 10:00 local
    const reminded = pending(started, new Date('2026-03-03T02:00:00Z'));
    expect(dueReminders([reminded], new Date('2026-03-03T08:00:00Z'), office, tz)).toEqual([]); // 16:00, same day
    expect(dueReminders([reminded], new Date('2026-03-04T01:30:00Z'), office, tz)).toEqual([reminded]); // Wed 09:30
    expect(dueReminders([{ ...step, status: 'approved' }], new Date('2026-03-03T02:00:00Z'), office, tz)).toEqual([]);
  });

  it('sends none at night', () => {
    const step = pending(started);
    expect(dueReminders([step], new Date('2026-03-03T12:00:00Z'), office, tz)).toEqual([]); // 20:00 local
    expect(dueReminders([step], new Date('2026-03-03T10:00:00Z'), office, tz)).toEqual([]); // 18:00 local, closed
    expect(dueReminders([step], new Date('2026-03-03T00:59:00Z'), office, tz)).toEqual([]); // 08:59 local
    expect(dueReminders([step], new Date('2026-03-03T01:00:00Z'), office, tz)).toEqual([step]); // 09:00 local
  });

  it('uses the local day, not the UTC day', () => {
    // 催办 at 00:30 local on Wed 4 March is still Tue 3 March in UTC; at 09:30 local it is the same local day.
    const lateNight = pending(started, new Date('2026-03-03T16:30:00Z'));
    expect(dueReminders([lateNight], new Date('2026-03-04T01:30:00Z'), office, tz)).toEqual([]);
    // Los Angeles (UTC-8): reminded Tue 09:30 local; 17:30 local the same Tuesday is already Wednesday in UTC.
    const la = 'America/Los_Angeles';
    const west = pending(new Date('2026-03-02T17:00:00Z'), new Date('2026-03-03T17:30:00Z'));
    expect(dueReminders([west], new Date('2026-03-04T01:30:00Z'), office, la)).toEqual([]);
    expect(dueReminders([west], new Date('2026-03-04T17:30:00Z'), office, la)).toEqual([west]); // Wed 09:30 local
  });

  it('sends none outside office.approval.workDays (Monday to Friday by default)', () => {
    const step = pending(started);
    const saturday = new Date('2026-03-07T02:00:00Z'); // Sat 10:00 local
    const sunday = new Date('2026-03-08T02:00:00Z'); // Sun 10:00 local
    const monday = new Date('2026-03-09T02:00:00Z'); // Mon 10:00 local
    expect(office.approval.workDays).toEqual([1, 2, 3, 4, 5]);
    expect(dueReminders([step], saturday, office, tz)).toEqual([]);
    expect(dueReminders([step], sunday, office, tz)).toEqual([]);
    expect(dueReminders([step], monday, office, tz)).toEqual([step]);
    // Saturday 01:00 local is still Friday in UTC: the local weekday counts.
    expect(dueReminders([step], new Date('2026-03-06T17:00:00Z'), { ...office, approval: { ...office.approval, workHours: { start: 0, end: 24 } } }, tz)).toEqual([]);
    // An office that works Saturdays says so.
    const sixDays = officeSchema.parse({ approval: { workDays: [1, 2, 3, 4, 5, 6] } });
    expect(dueReminders([step], saturday, sixDays, tz)).toEqual([step]);
    expect(dueReminders([step], sunday, sixDays, tz)).toEqual([]);
    expect(() => officeSchema.parse({ approval: { workDays: [0] } })).toThrow();
  });

  it('sends none on the office’s 法定节假日, and sends on its 调休上班日', () => {
    const step = pending(started);
    const national = officeSchema.parse({ approval: { holidays: ['2026-10-01', '2026-10-02'], makeupWorkdays: ['2026-10-10'] } });
    const thursday = new Date('2026-10-01T02:00:00Z'); // Thu 1 October 10:00 local: 国庆
    const saturday = new Date('2026-10-10T02:00:00Z'); // Sat 10 October 10:00 local: 调休上班
    const sunday = new Date('2026-10-11T02:00:00Z');
    const monday = new Date('2026-10-12T02:00:00Z');
    expect(dueReminders([step], thursday, national, tz)).toEqual([]);
    expect(dueReminders([step], saturday, national, tz)).toEqual([step]);
    expect(dueReminders([step], sunday, national, tz)).toEqual([]);
    expect(dueReminders([step], monday, national, tz)).toEqual([step]);
    // The local date counts: 00:30 on 1 October local is still 30 September in UTC.
    const allDay = { ...national, approval: { ...national.approval, workHours: { start: 0, end: 24 } } };
    expect(dueReminders([step], new Date('2026-09-30T16:30:00Z'), allDay, tz)).toEqual([]); // 1 Oct 00:30 local
    expect(dueReminders([step], new Date('2026-09-30T15:30:00Z'), allDay, tz)).toEqual([step]); // 30 Sep 23:30 local
    // Without the lists the weekdays decide.
    expect(dueReminders([step], thursday, office, tz)).toEqual([step]);
    expect(dueReminders([step], saturday, office, tz)).toEqual([]);
  });

  it('reminds the assignees, or the admins when the step has nobody', () => {
    const { state } = start('service');
    const review = step(state, 'review');
    const fx = remindStep(review, later(1500));
    expect(fx.map((e) => e.type)).toEqual(['step_reminded', 'send_step_cards']);
    expect(fx[1]).toMatchObject({ userIds: ['ou_rev1', 'ou_rev2'], reason: 'remind' });
    const empty = remindStep({ ...review, assignees: [] }, later(1500));
    expect(empty.map((e) => e.type)).toEqual(['step_reminded', 'notify_admins_no_assignee']);
  });
});
