// Prometheus metrics of one service instance (its own registry, so several instances can share a process in tests).
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'kezhao_' });
  const m = {
    registry,
    eventsReceived: new Counter({ name: 'kezhao_events_received_total', help: 'Lark events and callbacks received, by type and outcome', labelNames: ['type', 'outcome'] as const, registers: [registry] }),
    callbacksAnswered: new Counter({ name: 'kezhao_callbacks_answered_total', help: 'Card callbacks answered, by toast type', labelNames: ['toast'] as const, registers: [registry] }),
    messagesSent: new Counter({ name: 'kezhao_messages_sent_total', help: 'Outbox messages delivered to Lark, by operation', labelNames: ['op'] as const, registers: [registry] }),
    messagesFailed: new Counter({ name: 'kezhao_messages_failed_total', help: 'Failed delivery attempts, by reason', labelNames: ['reason'] as const, registers: [registry] }),
    outboxDepth: new Gauge({ name: 'kezhao_outbox_depth', help: 'Messages waiting in the outbox', registers: [registry] }),
    jobRuns: new Counter({ name: 'kezhao_job_runs_total', help: 'Scheduled job runs, by job and outcome', labelNames: ['job', 'outcome'] as const, registers: [registry] }),
  };
  return m;
}

export type Metrics = ReturnType<typeof createMetrics>;
