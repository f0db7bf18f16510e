/** `npm run bench -- <name>`: runs one benchmark (or all with no name), then prints the summary table. */
import { printSummary } from './lib/summary';

const benches: Record<string, () => Promise<void>> = {
  reservations: async () => (await import('./reservations')).run(),
  orders: async () => (await import('./orders')).runOrdersBench(),
  ingest: async () => (await import('./ingest')).runIngestBench(),
  pipeline: async () => (await import('./pipeline')).runPipelineBench(),
  split: async () => (await import('./split')).runSplitBench(),
  parsers: async () => (await import('./csv-parsers')).runParsersBench(),
  webhooks: async () => (await import('./webhooks')).runWebhooksBench(),
  cli: async () => (await import('./cli')).runCliBench(),
  fairness: async () => (await import('./fairness')).runFairnessBench(),
  idempotency: async () => (await import('./idempotency')).runIdempotencyBench(),
  kafka: async () => (await import('./kafka')).runKafkaBench(),
  'kafka-clients': async () => (await import('./kafka-clients')).runKafkaClientsBench(),
  compare: async () => (await import('./compare')).runCompareBench(),
  holds: async () => (await import('./holds')).runHoldsBench(),
};

const names = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const chosen = names.length > 0 ? names : Object.keys(benches);
for (const name of chosen) {
  const bench = benches[name];
  if (!bench) {
    console.error(`Unknown benchmark "${name}". Known: ${Object.keys(benches).join(', ')}`);
    process.exit(2);
  }
  await bench();
}
printSummary();
