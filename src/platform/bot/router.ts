// A small listener router in the spirit of bolt-js: global middleware, commands with an English slash
// form and a Chinese word, card actions keyed by `value.action`, and a file listener. The transports
// (webhook route, long connection) hand it normalised events; nothing here knows which one delivered.
import type { CardActionEvent, CardJson, CardReply, MessageEvent, Mention } from '../lark/types.ts';
import type { IdentitySource } from '../lark/identity.ts';
import { enqueue, cardContent, textContent } from '../delivery/outbox.ts';
import { loadPerson, rememberName, type Person, type Role } from '../people.ts';
import { splitCommand } from '../lark/intake.ts';
import { button, buttonRow, card, header, markdown, type CardElement } from '../cards/kit.ts';
import { md } from '../cards/template.ts';
import type { Services } from './services.ts';
import { z } from 'zod';
import { cardFailure, ERRORS } from '../errors.ts';
import { SUBMIT_NAME_PREFIX } from '../cards/kit.ts';

export interface MessageContext {
  services: Services;
  event: MessageEvent;
  person: Person;
  /** Arguments after the command word (mention keys stay as they are; see `mentioned`). */
  args: string[];
  /** People @mentioned in the arguments. */
  mentioned: Mention[];
  /** Replies under the user's message: text, a card, or `{ fileKey }` of a file uploaded to Lark. */
  reply(message: CardJson | string | { fileKey: string }): Promise<void>;
  /** Sends to the sender in the private chat with the bot (from a group: what the group should not read). */
  replyPrivately(message: CardJson | string): Promise<void>;
}

export interface CommandDef {
  /** English name: `/name`. */
  name: string;
  /** Chinese words that also run it, e.g. ['登记']. */
  words: string[];
  /** One line for /help, in Chinese. */
  summary: string;
  /** Usage line for /help, e.g. "/register [tech|talent|platform|service|fund]". */
  usage: string;
  /** Who may run it; empty or undefined = everyone. */
  roles?: Role[];
  /**
   * For a command open to everyone whose run() refuses others with its own explanation (登记 names whom to
   * ask): /help lists it under these roles, and not at all for people with none of them.
   */
  listedFor?: Role[];
  /** How to use it, in a sentence or two of plain Chinese: the answer to 「怎么登记？」. Defaults to summary. */
  howTo?: string;
  run(ctx: MessageContext): Promise<void>;
}

/**
 * A handler for free text no command word matched (e.g. a pasted lead). Returns true when it answered;
 * otherwise the next handler, then the menu, gets the text.
 */
export type TextHandler = (ctx: MessageContext, text: string) => Promise<boolean>;

/** The card action of the menu card's buttons: runs the command named by `value.command` for the clicker. */
export const MENU_ACTION = 'menu.run';

/** A card action's context; `value` is the button's value as its schema parsed it (see Bot.action). */
export interface ActionContext<V = Record<string, unknown>> {
  services: Services;
  event: CardActionEvent;
  person: Person;
  value: V;
  form: Record<string, unknown>;
}

export type ActionHandler<V = Record<string, unknown>> = (ctx: ActionContext<V>) => Promise<CardReply>;

interface ActionRoute {
  schema: z.ZodType;
  handler: ActionHandler<unknown>;
}

/**
 * A positive database id in a card value: a number, or digits as a string (a submit button's name
 * decodes digits to a number; older cards carried strings).
 */
export const valueId = z
  .union([z.number(), z.string().regex(/^\d{1,15}$/).transform(Number)])
  .pipe(z.number().int().positive().max(Number.MAX_SAFE_INTEGER));

/** A card-callback answer with only a toast. */
export const toast = (type: NonNullable<CardReply['toast']>['type'], content: string): CardReply => ({ toast: { type, content } });

/** A file listener; returning false passes the file on to the next one (registered later). */
export type FileHandler = (ctx: MessageContext) => Promise<void | boolean>;
export type Middleware = (ctx: MessageContext, next: () => Promise<void>) => Promise<void>;

export const HINT = '未识别的指令。发送 /help 或「帮助」查看您可以使用的指令。';

/** A command word typed right against its argument (`登记科创`, `项目0001`): the argument is short, one line. */
const MAX_GLUED_ARG = 20;
const QUESTION = /^(?:请问|请教一下|请教)?\s*(?:我)?(?:该|要|应该)?(?:怎么|如何|怎样|咋|怎么样)(?:才能|能|可以)?(.+?)[呢啊吗呀]?[?？]*$/;
const USAGE_QUESTION = /^(.+?)(?:怎么用|怎么弄|怎么办|如何使用|怎么操作)[呢啊吗呀]?[?？]*$/;

/** Levenshtein distance, stopping early above `max`. */
function editDistance(a: string[], b: string[], max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

export class Bot {
  readonly commands: CommandDef[] = [];
  private readonly actions = new Map<string, ActionRoute>();
  private readonly middleware: Middleware[] = [];
  private readonly fileHandlers: FileHandler[] = [];
  private readonly textHandlers: TextHandler[] = [];
  /** Command names the menu card offers, in order (see setMenu). */
  private menuNames: string[] = [];
  /** Who the bot is (its open_id), to tell a group message to the bot from one that mentions only people. */
  private identity?: IdentitySource;

  constructor(readonly services: Services) {}

  /** Sets where the bot learns its own open_id (set by the composition root, whatever the transport). */
  setIdentity(identity: IdentitySource): this {
    this.identity = identity;
    return this;
  }

  use(mw: Middleware): this {
    this.middleware.push(mw);
    return this;
  }

  command(def: CommandDef): this {
    this.commands.push(def);
    return this;
  }

  /**
   * A card action: `schema` parses the button's value (the routing key `action` aside); a value it refuses
   * (an old card, a forged or garbled value) gets the catalogue's expired-card toast and never reaches
   * `handler`.
   */
  action<S extends z.ZodType>(name: string, schema: S, handler: ActionHandler<z.output<S>>): this {
    if (this.actions.has(name)) throw new Error(`card action ${name} registered twice`);
    this.actions.set(name, { schema, handler: handler as ActionHandler<unknown> });
    return this;
  }

  /** Adds a file listener; listeners are asked in the order they were added (see FileHandler). */
  file(handler: FileHandler): this {
    this.fileHandlers.push(handler);
    return this;
  }

  /** Free text no command matched goes to these, in order, before the menu card. */
  text(handler: TextHandler): this {
    this.textHandlers.push(handler);
    return this;
  }

  /** The commands the menu card offers (by name), shown to each person only when he may use them. */
  setMenu(names: string[]): this {
    this.menuNames = names;
    return this;
  }

  /** Commands `person` may run. */
  commandsFor(person: Person): CommandDef[] {
    return this.commands.filter((c) => mayRun(c, person));
  }

  /**
   * The command a word names: `/name`, the bare name or one of the Chinese words, in any letter case.
   * `splitCommand` has already turned the input-method forms (`／my`, `、help`) into `/`.
   */
  findCommand(word: string): CommandDef | undefined {
    const w = (word.startsWith('/') ? word.slice(1) : word).toLowerCase();
    if (!w) return undefined;
    return this.commands.find((c) => c.name === w || c.words.some((x) => x.toLowerCase() === w));
  }

  /**
   * Whether `person` is meant to use the command: he may run it, and when it is listed for some roles only
   * (runs for everyone but refuses with an explanation), he has one of them.
   */
  offers(c: CommandDef, person: Person): boolean {
    return mayRun(c, person) && (!c.listedFor?.length || c.listedFor.some((r) => person.roles.has(r)));
  }

  /**
   * The command a message names, forgivingly: the exact word; the word with trailing question marks; or a
   * command word typed against a short argument (`登记科创` → 登记 科创, `项目0001` → 项目 0001).
   */
  matchCommand(word: string, args: string[]): { command: CommandDef; args: string[] } | undefined {
    const exact = this.findCommand(word) ?? this.findCommand(word.replace(/[?？!！。.]+$/, ''));
    if (exact) return { command: exact, args };
    const w = (word.startsWith('/') ? word.slice(1) : word).toLowerCase();
    let best: { command: CommandDef; key: string } | undefined;
    for (const c of this.commands) {
      for (const key of [...c.words.map((x) => x.toLowerCase()), c.name]) {
        if (!w.startsWith(key) || w.length === key.length) continue;
        const rest = w.slice(key.length);
        // `/mytest` is not `/my test`; an English name needs a non-letter after it.
        if (/^[a-z]+$/.test(key) && /^[a-z]/.test(rest)) continue;
        if (Array.from(rest).length > MAX_GLUED_ARG || args.length > 2) continue;
        if (!best || key.length > best.key.length) best = { command: c, key };
      }
    }
    if (!best) return undefined;
    const rest = word.slice(word.length - (w.length - best.key.length)).replace(/^[\s:：,，]+/, '');
    return { command: best.command, args: rest ? [rest, ...args] : args };
  }

  /** The command a question asks about (`怎么登记项目？`, `待办怎么用`), or undefined. */
  questionAbout(text: string): CommandDef | undefined {
    const t = text.replace(/\s+/g, '');
    const about = QUESTION.exec(t)?.[1] ?? USAGE_QUESTION.exec(t)?.[1];
    if (!about) return undefined;
    let best: { command: CommandDef; len: number } | undefined;
    for (const c of this.commands) {
      for (const key of c.words) {
        if (about.includes(key) && (!best || key.length > best.len)) best = { command: c, len: key.length };
      }
    }
    return best?.command;
  }

  /** A command word one typo away from `word` (`帮组` → 帮助), among those `person` is offered. */
  suggestion(word: string, person: Person): CommandDef | undefined {
    const w = Array.from((word.startsWith('/') ? word.slice(1) : word).toLowerCase());
    if (w.length < 2 || w.length > 8) return undefined;
    for (const c of this.commands.filter((x) => this.offers(x, person))) {
      for (const key of [...c.words, c.name]) {
        const k = Array.from(key.toLowerCase());
        if (k.length >= 2 && editDistance(w, k, 1) <= 1) return c;
      }
    }
    return undefined;
  }

  /** The small menu card answering text the bot did not understand: one button per command on offer. */
  menuCard(person: Person, note?: string, first?: CommandDef): CardJson {
    const offered = this.menuNames
      .map((n) => this.commands.find((c) => c.name === n))
      .filter((c): c is CommandDef => !!c && this.offers(c, person));
    const shown = first && !offered.includes(first) ? [first, ...offered] : offered;
    const elements: CardElement[] = [];
    elements.push(markdown(note ?? '没有看懂您的意思。您可以点下面的按钮，或直接发送按钮上的文字：'));
    if (shown.length > 0) {
      elements.push(buttonRow(shown.map((c, i) => button(c.words[0] ?? c.name, { action: MENU_ACTION, command: c.name }, i === 0 && first ? 'primary_filled' : 'primary'))));
    }
    if (!offered.some((c) => c.name === 'help')) elements.push(markdown('发送「帮助」查看您可以使用的全部指令。', 'notation'));
    return card(header('科招助手', 'blue'), elements);
  }

  /** What to answer to a question about `command`: how to use it, or that this person cannot. */
  private howTo(command: CommandDef, person: Person): CardJson {
    const word = command.words[0] ?? command.name;
    if (!this.offers(command, person)) return this.menuCard(person, `「${md(word)}」需要相应的角色，您目前不能使用。如需开通，请联系管理员。`);
    const text = command.howTo ?? `${command.summary}。发送「${word}」即可。`;
    return card(header(`怎么${word}`, 'blue'), [
      markdown(md(text)),
      buttonRow([button(word, { action: MENU_ACTION, command: command.name }, 'primary_filled')]),
    ]);
  }

  /**
   * Whether a group message is addressed to the bot: it @mentions the bot. Until the bot knows its own
   * open_id (see src/platform/lark/identity.ts), any @mention counts.
   */
  private async addressed(event: MessageEvent): Promise<boolean> {
    if (event.mentions.length === 0) return false;
    const self = await this.identity?.current();
    return self ? event.mentions.some((m) => m.openId === self.openId) : true;
  }

  async handleMessage(event: MessageEvent): Promise<void> {
    const { services } = this;
    // In a group the bot answers only when addressed. Lark delivers just the messages that @mention it,
    // unless the app was also granted every group message (im:message.group_msg): then the rest is chat
    // between people (also when they @mention each other), and a hint under each of them would be noise.
    if (event.chatType === 'group' && !(await this.addressed(event))) return;
    for (const m of event.mentions) await rememberName(services.db, m.openId, m.name);
    const person = await loadPerson(services.db, event.senderId, services.env.BOT_ADMINS);
    const { word, args, mentioned } = splitCommand(event.text, event.mentions);
    let replies = 0;
    const ctx: MessageContext = {
      services,
      event,
      person,
      args,
      mentioned,
      // A bot-menu tap has no message to reply under: the answer goes to the person's chat with the bot.
      reply: event.fromMenu ? (message) => ctx.replyPrivately(message as CardJson | string) : async (message) => {
        await enqueue(services.db, [{
          op: 'reply',
          targetId: event.messageId,
          // The chat, so replies are paced per chat (5/s) like sends.
          receiveIdType: 'chat_id',
          receiveId: event.chatId,
          ...(typeof message === 'string'
            ? { msgType: 'text' as const, content: textContent(message) }
            : 'fileKey' in message && typeof message.fileKey === 'string'
              ? { msgType: 'file' as const, content: JSON.stringify({ file_key: message.fileKey }) }
              : { msgType: 'interactive' as const, content: cardContent(message) }),
          // Deterministic: if a crash makes us handle this event again, Lark drops the repeat.
          uuid: `re:${event.messageId}:${replies++}`,
        }]);
        services.kickOutbox();
      },
      replyPrivately: async (message) => {
        await enqueue(services.db, [{
          op: 'send',
          receiveIdType: 'open_id',
          receiveId: event.senderId,
          ...(typeof message === 'string'
            ? { msgType: 'text' as const, content: textContent(message) }
            : { msgType: 'interactive' as const, content: cardContent(message) }),
          uuid: `pm:${event.messageId}:${replies++}`,
        }]);
        services.kickOutbox();
      },
    };
    const final = async () => {
      if (event.messageType === 'file') {
        for (const handler of this.fileHandlers) if ((await handler(ctx)) !== false) return;
        await ctx.reply('暂不支持处理此类文件。');
        return;
      }
      if (event.messageType !== 'text') {
        await ctx.reply(HINT);
        return;
      }
      // The text as typed (lines kept), without the mention keys.
      const text = event.mentions.reduce((t, m) => t.split(m.key).join(' '), event.text).trim();
      const exact = this.findCommand(word) ?? this.findCommand(word.replace(/[?？!！。.]+$/, ''));
      // A question first: 「待办怎么用」 is about 待办, not 待办 with the argument 怎么用.
      const asked = exact ? undefined : this.questionAbout(text);
      if (asked) {
        await ctx.reply(this.howTo(asked, person));
        return;
      }
      const matched = exact ? { command: exact, args } : this.matchCommand(word, args);
      if (!matched) {
        for (const handler of this.textHandlers) if (await handler(ctx, text)) return;
        const guess = this.suggestion(word, person);
        const note = guess ? `您是不是想：${md(guess.words[0] ?? guess.name)}？` : undefined;
        await ctx.reply(this.menuCard(person, note, guess));
        return;
      }
      const { command } = matched;
      ctx.args = matched.args;
      if (!mayRun(command, person)) {
        await ctx.reply(`您没有权限使用「${command.words[0] ?? command.name}」指令。如需开通，请联系管理员。`);
        return;
      }
      await command.run(ctx);
    };
    await compose(this.middleware, ctx, final);
  }

  async handleCardAction(event: CardActionEvent): Promise<CardReply> {
    const value = routingValue(event);
    const name = typeof value?.action === 'string' ? value.action : undefined;
    const route = name ? this.actions.get(name) : undefined;
    const parsed = value && route ? route.schema.safeParse(value) : undefined;
    if (!route || !parsed?.success) return cardFailure(ERRORS.CARD_EXPIRED);
    const person = await loadPerson(this.services.db, event.operatorId, this.services.env.BOT_ADMINS);
    return route.handler({ services: this.services, event, person, value: parsed.data, form: event.formValue ?? {} });
  }
}

/** A submit button's name as submitName (src/platform/cards/kit.ts) writes it: letters, digits and `_XX` escapes. */
const SUBMIT_NAME = new RegExp(`^${SUBMIT_NAME_PREFIX}(?:[A-Za-z0-9]|_[0-9A-F]{2}){1,1000}$`);
const submitValueSchema = z
  .record(z.string().regex(/^[A-Za-z][A-Za-z0-9]{0,31}$/), z.union([z.string().max(200), z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER), z.boolean()]))
  .refine((v) => typeof v.action === 'string' && v.action !== '');

/**
 * The routing value of a submit button's name (see submitName), or undefined when the name is garbled:
 * not our shape, bad escapes or UTF-8, a repeated or malformed key.
 */
export function decodeSubmitName(name: string): Record<string, unknown> | undefined {
  if (!SUBMIT_NAME.test(name)) return undefined;
  const body = name.slice(SUBMIT_NAME_PREFIX.length);
  const bytes: number[] = [];
  for (let i = 0; i < body.length; i++) {
    if (body[i] === '_') {
      bytes.push(parseInt(body.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(body.charCodeAt(i));
  }
  let plain: string;
  try {
    plain = new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array(bytes));
  } catch {
    return undefined;
  }
  const out: Record<string, unknown> = {};
  for (const pair of plain.split('&')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) return undefined;
    const key = pair.slice(0, eq);
    if (Object.hasOwn(out, key)) return undefined;
    let v: string;
    try {
      v = decodeURIComponent(pair.slice(eq + 1));
    } catch {
      return undefined;
    }
    out[key] = /^\d{1,15}$/.test(v) ? Number(v) : v === 'true' ? true : v === 'false' ? false : v;
  }
  const parsed = submitValueSchema.safeParse(out);
  return parsed.success ? parsed.data : undefined;
}

/**
 * What a card action routes on. A form submit is routed by the submit button's `name`, which is what Feishu
 * documents for it (action.name + action.form_value); a plain button by its callback `value`. A name in our
 * shape that does not decode is a forged or garbled card: no route (the "expired" toast).
 */
function routingValue(event: CardActionEvent): Record<string, unknown> | undefined {
  if (event.name?.startsWith(SUBMIT_NAME_PREFIX)) return decodeSubmitName(event.name);
  return typeof event.value.action === 'string' ? event.value : undefined;
}

function mayRun(c: CommandDef, p: Person): boolean {
  return !c.roles?.length || c.roles.some((r) => p.roles.has(r));
}

async function compose(mws: Middleware[], ctx: MessageContext, final: () => Promise<void>): Promise<void> {
  let index = -1;
  const dispatch = async (i: number): Promise<void> => {
    if (i <= index) throw new Error('next() called twice');
    index = i;
    if (i === mws.length) return final();
    await mws[i](ctx, () => dispatch(i + 1));
  };
  await dispatch(0);
}
