// better-sqlite3 is one connection. The Prisma adapter serialises transactions with a mutex, but a query
// made OUTSIDE a transaction while one is open runs on the same connection and silently becomes part of
// it (and is lost if it rolls back). This wrapper puts every top-level query behind the same lock as the
// transactions, so each transaction is really isolated from the rest of the process.
import type { SqlDriverAdapter, SqlDriverAdapterFactory, Transaction } from '@prisma/driver-adapter-utils';

class Lock {
  private tail: Promise<void> = Promise.resolve();

  acquire(): Promise<() => void> {
    let release!: () => void;
    const next = new Promise<void>((resolve) => (release = resolve));
    const ready = this.tail.then(() => release);
    this.tail = this.tail.then(() => next);
    return ready;
  }
}

function serialise(adapter: SqlDriverAdapter): SqlDriverAdapter {
  const lock = new Lock();
  const guarded = <A extends unknown[], R>(fn: (...args: A) => Promise<R>) => async (...args: A): Promise<R> => {
    const release = await lock.acquire();
    try {
      return await fn(...args);
    } finally {
      release();
    }
  };
  const wrapTx = (tx: Transaction, release: () => void): Transaction => {
    let done = false;
    const finish = () => {
      if (!done) {
        done = true;
        release();
      }
    };
    return new Proxy(tx, {
      get(target, prop) {
        if (prop === 'commit' || prop === 'rollback') {
          return async () => {
            try {
              await (target[prop] as () => Promise<void>).call(target);
            } finally {
              finish();
            }
          };
        }
        const value = Reflect.get(target, prop, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  };
  return new Proxy(adapter, {
    get(target, prop) {
      if (prop === 'queryRaw' || prop === 'executeRaw' || prop === 'executeScript') {
        const fn = Reflect.get(target, prop, target) as (...a: unknown[]) => Promise<unknown>;
        return guarded((...a: unknown[]) => fn.apply(target, a));
      }
      if (prop === 'startTransaction') {
        return async (...a: unknown[]) => {
          const release = await lock.acquire();
          try {
            const tx = await (target.startTransaction as (...x: unknown[]) => Promise<Transaction>).apply(target, a);
            return wrapTx(tx, release);
          } catch (err) {
            release();
            throw err;
          }
        };
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** Wraps a SQLite adapter factory so each connection serialises top-level queries with transactions. */
export function serialSqlite<F extends SqlDriverAdapterFactory>(factory: F): SqlDriverAdapterFactory {
  return {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: async () => serialise(await factory.connect()),
  };
}
