// Lead registration (登记) on interactive cards, and looking at leads (我的项目 / 查询 / 项目).
// The conversation lives in ./register/flow.ts, the lists and the lead card in ./register/views.ts.
import type { Bot } from '../../platform/bot/router.ts';
import { DraftValue, EditValue, KindValue, onBack, onConfirm, onEdit, onKind, onPastedText, onSubmit, runRegister, SubmitValue } from './flow.ts';
import { onWaiting, runFind, runLead, runMy, WAITING_ACTION, WaitingValue } from './views.ts';

export function registerRegistration(bot: Bot): void {
  bot.command({
    name: 'register',
    words: ['登记', '登记项目'],
    summary: '登记一个科技招商项目（科创类、人才类、平台类、服务类、基金类）',
    usage: '/register [tech|talent|platform|service|fund]',
    // Not `roles`: run() tells everyone else why not and whom to ask (registrationRefusal).
    listedFor: ['staff', 'admin'],
    howTo: '发送「登记」，选择项目类别（科创类、人才类、平台类、服务类、基金类）后填写登记表并提交，提交后自动进入审批。也可以直接发送「登记科创」打开对应的登记表，或把收到的企业信息整段粘贴发给我，我会帮您填好登记表，您核对后再提交。',
    run: runRegister,
  });
  bot.command({
    name: 'my',
    words: ['我的项目', '我的', '我登记的项目'],
    summary: '查看我登记的项目及其状态和下一步',
    usage: '/my',
    run: runMy,
  });
  bot.command({
    name: 'find',
    words: ['查询'],
    summary: '按项目名称或企业名称查询项目',
    usage: '/find <关键词>',
    roles: ['staff', 'reviewer', 'approver', 'expert', 'leader', 'admin'],
    run: runFind,
  });
  bot.command({
    name: 'lead',
    words: ['项目', '查看项目'],
    summary: '查看一个项目的详情和审批进度',
    usage: '/lead <项目编号>',
    run: runLead,
  });
  bot.text(onPastedText);
  bot.action('register.kind', KindValue, onKind);
  bot.action('register.submit', SubmitValue, onSubmit);
  bot.action('register.confirm', DraftValue, onConfirm);
  bot.action('register.back', DraftValue, onBack);
  bot.action('register.edit', EditValue, onEdit);
  bot.action(WAITING_ACTION, WaitingValue, onWaiting);
}
