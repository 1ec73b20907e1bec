// Learning the bot's own open_id: once, in the background; a failure is logged once and retried later.
import { describe, expect, it } from 'vitest';
import { BotIdentityLoader } from '../../src/platform/lark/identity.ts';

function logger() {
  const lines: string[] = [];
  return { lines, log: { info: (m: string) => lines.push(`info ${m}`), warn: (m: string) => lines.push(`warn ${m}`) } };
}

describe('BotIdentityLoader', () => {
  it('fetches once, and callers wait for the fetch in flight', async () => {
    let calls = 0;
    const { lines, log } = logger();
    const loader = new BotIdentityLoader({ fetch: async () => (calls++, { openId: 'ou_me', name: '科招助手' }), log });
    expect(await loader.current()).toBeUndefined(); // not started
    loader.start();
    loader.start();
    expect(await Promise.all([loader.current(), loader.current()])).toEqual([{ openId: 'ou_me', name: '科招助手' }, { openId: 'ou_me', name: '科招助手' }]);
    expect(calls).toBe(1);
    expect(lines).toEqual([]);
    loader.stop();
  });

  it('after a failure: unknown, one warning, then a retry learns it', async () => {
    let calls = 0;
    const { lines, log } = logger();
    const loader = new BotIdentityLoader({
      fetch: async () => {
        calls += 1;
        if (calls <= 2) throw new Error('bot info: HTTP 500');
        return { openId: 'ou_me', name: '科招助手' };
      },
      log,
      retryMs: 20,
    });
    loader.start();
    expect(await loader.current()).toBeUndefined();
    const until = Date.now() + 5000;
    while (calls < 3 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    expect(await loader.current()).toEqual({ openId: 'ou_me', name: '科招助手' });
    expect(lines.filter((l) => l.startsWith('warn'))).toHaveLength(1);
    expect(lines[0]).toContain('HTTP 500');
    expect(lines.at(-1)).toContain('ou_me');
    loader.stop();
  });

  it('stops retrying when stopped', async () => {
    let calls = 0;
    const loader = new BotIdentityLoader({ fetch: async () => { calls += 1; throw new Error('down'); }, log: logger().log, retryMs: 20 });
    loader.start();
    await loader.current();
    loader.stop();
    await new Promise((r) => setTimeout(r, 100));
    expect(calls).toBe(1);
  });
});
