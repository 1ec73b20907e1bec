import { describe, expect, it } from 'vitest';
import { AESCipher } from '@larksuiteoapi/node-sdk';
import { normaliseEvent, splitCommand, verifyRequest } from '../../src/platform/lark/intake.ts';
import { botMenuEvent, cardEvent, encryptBody, signedHeaders, textEvent } from '../support/lark-sign.ts';

const secrets = { encryptKey: 'test-encrypt-key', verificationToken: 'test-verification-token' };
const now = () => Date.now();

describe('verifyRequest', () => {
  it('decrypts a body the same way as the SDK and accepts a correct signature', () => {
    const event = textEvent({ token: secrets.verificationToken, senderId: 'ou_a', chatId: 'oc_1', text: '/help' });
    const raw = encryptBody(secrets.encryptKey, event);
    // Independent check: the SDK's own cipher reads what our test helper wrote.
    expect(JSON.parse(new AESCipher(secrets.encryptKey).decrypt(JSON.parse(raw).encrypt))).toEqual(event);
    const r = verifyRequest(raw, signedHeaders(secrets.encryptKey, raw), secrets, now());
    expect(r).toMatchObject({ kind: 'event', eventType: 'im.message.receive_v1', eventId: (event.header as { event_id: string }).event_id });
  });

  it('refuses a forged signature, a wrong token and a stale timestamp', () => {
    const event = textEvent({ token: secrets.verificationToken, senderId: 'ou_a', chatId: 'oc_1', text: 'hi' });
    const raw = encryptBody(secrets.encryptKey, event);
    const forged = { ...signedHeaders(secrets.encryptKey, raw), 'x-lark-signature': 'f'.repeat(64) };
    expect(verifyRequest(raw, forged, secrets, now())).toEqual({ status: 401, reason: 'bad signature' });
    expect(verifyRequest(raw, signedHeaders('another-key', raw), secrets, now())).toEqual({ status: 401, reason: 'bad signature' });

    const wrongToken = encryptBody(secrets.encryptKey, textEvent({ token: 'nope', senderId: 'ou_a', chatId: 'oc_1', text: 'hi' }));
    expect(verifyRequest(wrongToken, signedHeaders(secrets.encryptKey, wrongToken), secrets, now())).toEqual({ status: 401, reason: 'wrong verification token' });

    const stale = signedHeaders(secrets.encryptKey, raw, { timestampSec: Math.floor(Date.now() / 1000) - 6 * 60 });
    expect(verifyRequest(raw, stale, secrets, now())).toEqual({ status: 401, reason: 'stale or invalid timestamp' });
    const future = signedHeaders(secrets.encryptKey, raw, { timestampSec: Math.floor(Date.now() / 1000) + 6 * 60 });
    expect(verifyRequest(raw, future, secrets, now())).toMatchObject({ status: 401 });
    const { 'x-lark-signature': _drop, ...unsigned } = signedHeaders(secrets.encryptKey, raw);
    expect(verifyRequest(raw, unsigned, secrets, now())).toMatchObject({ status: 401 });
  });

  it('answers url_verification with the challenge, encrypted or not, and checks its token', () => {
    const plain = JSON.stringify({ type: 'url_verification', challenge: 'abc', token: secrets.verificationToken });
    expect(verifyRequest(plain, {}, secrets, now())).toEqual({ kind: 'challenge', challenge: 'abc' });
    const enc = encryptBody(secrets.encryptKey, { type: 'url_verification', challenge: 'xyz', token: secrets.verificationToken });
    expect(verifyRequest(enc, {}, secrets, now())).toEqual({ kind: 'challenge', challenge: 'xyz' });
    const bad = JSON.stringify({ type: 'url_verification', challenge: 'abc', token: 'wrong' });
    expect(verifyRequest(bad, {}, secrets, now())).toMatchObject({ status: 401 });
  });

  it('says 400 for malformed JSON and unknown envelopes', () => {
    expect(verifyRequest('{not json', {}, {}, now())).toMatchObject({ status: 400 });
    expect(verifyRequest('[1,2]', {}, {}, now())).toMatchObject({ status: 400 });
    const raw = JSON.stringify({ hello: 'world' });
    expect(verifyRequest(raw, {}, {}, now())).toMatchObject({ status: 400, reason: 'unknown envelope' });
  });

  it('accepts the v1 envelope and keys it on uuid', () => {
    const raw = JSON.stringify({ uuid: 'u-1', token: secrets.verificationToken, ts: '1', type: 'event_callback', event: { type: 'message', open_id: 'ou_a', open_chat_id: 'oc_1', open_message_id: 'om_1', msg_type: 'text', chat_type: 'private', text_without_at_bot: ' /help ' } });
    const r = verifyRequest(raw, signedHeaders(secrets.encryptKey, raw), secrets, now());
    expect(r).toMatchObject({ kind: 'event', eventId: 'v1:u-1', eventType: 'v1.message' });
    if ('payload' in r) expect(normaliseEvent(r.eventId, r.eventType, r.payload)).toMatchObject({ kind: 'message', text: '/help', senderId: 'ou_a', chatType: 'p2p' });
  });

  it('accepts a legacy card action signed with SHA-1 over the verification token', async () => {
    const { createHash } = await import('node:crypto');
    const raw = JSON.stringify({ open_id: 'ou_a', open_message_id: 'om_1', open_chat_id: 'oc_1', token: 'c-1', action: { value: { action: 'x' }, tag: 'button' } });
    const ts = String(Math.floor(Date.now() / 1000));
    const sig = createHash('sha1').update(ts + 'n1' + secrets.verificationToken + raw).digest('hex');
    const r = verifyRequest(raw, { 'x-lark-request-timestamp': ts, 'x-lark-request-nonce': 'n1', 'x-lark-signature': sig }, secrets, now());
    expect(r).toMatchObject({ kind: 'event', eventType: 'card.action.legacy' });
    if ('payload' in r) expect(normaliseEvent(r.eventId, r.eventType, r.payload)).toMatchObject({ kind: 'card', operatorId: 'ou_a', value: { action: 'x' }, messageId: 'om_1' });
    expect(verifyRequest(raw, { 'x-lark-request-timestamp': ts, 'x-lark-request-nonce': 'n1', 'x-lark-signature': 'bad' }, secrets, now())).toMatchObject({ status: 401 });
    // Without a verification token nothing can vouch for a legacy card action: refused, signed or not.
    expect(verifyRequest(raw, {}, { encryptKey: secrets.encryptKey }, now())).toMatchObject({ status: 401 });
  });
});

describe('normaliseEvent', () => {
  it('reads a group message with mentions and a card callback with a form', () => {
    const ev = textEvent({ token: 't', senderId: 'ou_s', chatId: 'oc_g', chatType: 'group', text: '@_user_1 /role add reviewer @_user_2', mentions: [{ key: '@_user_1', openId: 'ou_bot', name: '科招助手' }, { key: '@_user_2', openId: 'ou_z', name: '张三' }] });
    const n = normaliseEvent('e1', 'im.message.receive_v1', ev.event as Record<string, unknown>);
    expect(n).toMatchObject({ kind: 'message', chatType: 'group', senderId: 'ou_s' });
    if (n.kind !== 'message') throw new Error('expected a message');
    const split = splitCommand(n.text, n.mentions);
    expect(split.word).toBe('/role');
    expect(split.args).toEqual(['add', 'reviewer', '@_user_2']);
    expect(split.mentioned.map((m) => m.openId)).toEqual(['ou_z']);

    const card = cardEvent({ token: 't', operatorId: 'ou_r', value: { action: 'register.submit' }, formValue: { project_name: '氢能' }, messageId: 'om_9' });
    expect(normaliseEvent('e2', 'card.action.trigger', card.event as Record<string, unknown>)).toMatchObject({ kind: 'card', operatorId: 'ou_r', value: { action: 'register.submit' }, formValue: { project_name: '氢能' }, messageId: 'om_9' });
  });

  it('skips every @mention before the command, a person\'s as well as the bot\'s', () => {
    const wang = { key: '@_user_1', openId: 'ou_wang', name: '王招商' };
    const bot = { key: '@_user_2', openId: 'ou_bot', name: '科招助手' };
    const zhang = { key: '@_user_3', openId: 'ou_z', name: '张三' };
    expect(splitCommand('@_user_1 @_user_2 /lead KZ-2026-0001', [wang, bot])).toEqual({ word: '/lead', args: ['KZ-2026-0001'], mentioned: [] });
    expect(splitCommand('@_user_2 /role add reviewer @_user_3', [bot, zhang]).mentioned).toEqual([zhang]);
    // A key typed right against the command, and a key that is not the start of a longer one.
    expect(splitCommand('@_user_2/help', [bot]).word).toBe('/help');
    expect(splitCommand('@_user_1 @_user_12 帮助', [wang, { ...bot, key: '@_user_12' }]).word).toBe('帮助');
  });

  it('reads the command forms a Chinese input method types as the slash form', () => {
    expect(splitCommand('／my', []).word).toBe('/my');
    expect(splitCommand('、help', []).word).toBe('/help');
    expect(splitCommand('／ｍｙ', []).word).toBe('/my');
    expect(splitCommand('、 find 氢能', [])).toEqual({ word: '/find', args: ['氢能'], mentioned: [] });
    expect(splitCommand('@_user_1 ／lead KZ-2026-0001', [{ key: '@_user_1', openId: 'ou_bot', name: '科招助手' }])).toMatchObject({ word: '/lead', args: ['KZ-2026-0001'] });
    // Chinese words and a sentence starting with 、 are left as they are (the latter is no command).
    expect(splitCommand('我的项目', []).word).toBe('我的项目');
    expect(splitCommand('、我们下午再对一下', []).word).toBe('/我们下午再对一下');
  });

  it('ignores messages sent by apps and unknown event types', () => {
    const ev = textEvent({ token: 't', senderId: 'ou_s', chatId: 'oc_g', text: 'hi' });
    ((ev.event as Record<string, Record<string, unknown>>).sender).sender_type = 'app';
    expect(normaliseEvent('e1', 'im.message.receive_v1', ev.event as Record<string, unknown>).kind).toBe('ignored');
    expect(normaliseEvent('e2', 'im.chat.member.bot.added_v1', {}).kind).toBe('ignored');
  });
});

describe('the bot custom menu event (application.bot.menu_v6)', () => {
  const event = (key: string, openId = 'ou_menu1') => (botMenuEvent({ token: 't', operatorId: openId, eventKey: key }).event as Record<string, unknown>);

  it('becomes a menu message from the operator whose text is the event key', () => {
    const n = normaliseEvent('ev1', 'application.bot.menu_v6', event('我的项目'));
    expect(n).toMatchObject({ kind: 'message', eventId: 'ev1', senderId: 'ou_menu1', chatType: 'p2p', text: '我的项目', fromMenu: true });
  });

  it('is ignored without an operator open_id, or with a key over the documented 30 characters', () => {
    expect(normaliseEvent('ev2', 'application.bot.menu_v6', { event_key: '登记', operator: { operator_id: {} } }).kind).toBe('ignored');
    expect(normaliseEvent('ev3', 'application.bot.menu_v6', event('x'.repeat(31))).kind).toBe('ignored');
    expect(normaliseEvent('ev4', 'application.bot.menu_v6', event('')).kind).toBe('ignored');
  });
});
