/**
 * WorkQueue on Amazon SQS (or anything speaking its API). One SQS queue per port queue name.
 *
 * - receive: long polling (up to `waitSeconds`, aborted when the worker stops), the receive
 *   count as the attempt number, the receipt handle as the delivery's proof.
 * - extend: ChangeMessageVisibility; an invalid receipt means another delivery took the job.
 * - ack: deletes are gathered for a moment and sent as DeleteMessageBatch (10 per call).
 * - fail: retry = the message stays and becomes visible after the backoff; dead = it is moved to
 *   the queue's dead-letter queue (from its RedrivePolicy, which SQS also applies on its own
 *   after maxReceiveCount receives, e.g. when workers keep dying mid-job).
 * - dedupeKey: on a FIFO queue it is the MessageDeduplicationId (SQS's 5-minute window); a
 *   standard queue cannot deduplicate, which the port allows: handlers are idempotent.
 */
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
  SQSServiceException,
  type Message,
} from '@aws-sdk/client-sqs';
import { backoffMs, type DeadJob, type Job, type SendOptions, type WorkQueue } from '../../ports/work-queue';

export interface SqsWorkQueueOptions {
  /** Port queue name → SQS queue URL. */
  queues: Readonly<Record<string, string>>;
  /** An endpoint other than AWS's (ElasticMQ, LocalStack, local-aws-sqs); default: the queue URL's origin when it is not AWS. */
  endpoint?: string;
  region?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Long-poll wait of one receive, 0–20 s. */
  waitSeconds?: number;
  /** How long acknowledgements wait to be sent together. */
  ackBatchMs?: number;
}

interface QueueSetup {
  url: string;
  dlqUrl: string | undefined;
  maxReceiveCount: number;
}

const AWS_HOST = /(^|\.)amazonaws\.com(\.cn)?$/;

export class SqsWorkQueue implements WorkQueue {
  readonly client: SQSClient;
  private readonly waitSeconds: number;
  private readonly ackBatchMs: number;
  private readonly setups = new Map<string, Promise<QueueSetup>>();
  private readonly pendingAcks = new Map<string, { entries: { receipt: string; done: (error?: unknown) => void }[]; timer: NodeJS.Timeout }>();

  constructor(private readonly options: SqsWorkQueueOptions) {
    const first = Object.values(options.queues)[0];
    const origin = URL.canParse(first ?? '') ? new URL(first!) : undefined;
    const endpoint = options.endpoint ?? (origin && !AWS_HOST.test(origin.hostname) ? origin.origin : undefined);
    const region = options.region ?? origin?.hostname.match(/^sqs\.([a-z0-9-]+)\.amazonaws\.com/)?.[1] ?? 'us-east-1';
    this.client = new SQSClient({ endpoint, region, credentials: options.credentials });
    this.waitSeconds = Math.min(20, Math.max(0, options.waitSeconds ?? 20));
    this.ackBatchMs = options.ackBatchMs ?? 5;
  }

  /** The queue's URL and its dead-letter queue, read once from its RedrivePolicy. */
  private setup(queue: string): Promise<QueueSetup> {
    let setup = this.setups.get(queue);
    if (!setup) {
      setup = this.readSetup(queue);
      setup.catch(() => this.setups.delete(queue));
      this.setups.set(queue, setup);
    }
    return setup;
  }

  private async readSetup(queue: string): Promise<QueueSetup> {
    const url = this.options.queues[queue];
    if (!url) throw new Error(`no SQS queue is configured for the "${queue}" queue`);
    const { Attributes } = await this.client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['RedrivePolicy'] }));
    if (!Attributes?.RedrivePolicy) return { url, dlqUrl: undefined, maxReceiveCount: 5 };
    const policy = JSON.parse(Attributes.RedrivePolicy) as { deadLetterTargetArn: string; maxReceiveCount: number | string };
    const dlqName = policy.deadLetterTargetArn.split(':').pop()!;
    const { QueueUrl } = await this.client.send(new GetQueueUrlCommand({ QueueName: dlqName }));
    return { url, dlqUrl: QueueUrl, maxReceiveCount: Number(policy.maxReceiveCount) };
  }

  async send(queue: string, payload: unknown, options: SendOptions = {}): Promise<void> {
    const { url } = await this.setup(queue);
    const fifo = url.endsWith('.fifo');
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: JSON.stringify(payload),
        // SQS delays at most 15 minutes; FIFO queues take no per-message delay.
        DelaySeconds: fifo ? undefined : Math.min(900, Math.ceil((options.delayMs ?? 0) / 1000)),
        MessageGroupId: fifo ? (options.dedupeKey ?? queue) : undefined,
        MessageDeduplicationId: fifo ? (options.dedupeKey ?? crypto.randomUUID()) : undefined,
      }),
    );
  }

  async receive<T>(queue: string, options: { max: number; visibilityMs: number; wait?: boolean; signal?: AbortSignal }): Promise<Job<T>[]> {
    const setup = await this.setup(queue);
    let messages: Message[] = [];
    try {
      const answer = await this.client.send(
        new ReceiveMessageCommand({
          QueueUrl: setup.url,
          MaxNumberOfMessages: Math.min(10, Math.max(1, options.max)),
          VisibilityTimeout: Math.ceil(options.visibilityMs / 1000),
          WaitTimeSeconds: options.wait === false ? 0 : this.waitSeconds,
          MessageSystemAttributeNames: ['ApproximateReceiveCount'],
          // The older name of the same request, still honoured by SQS and all its emulators know.
          AttributeNames: ['ApproximateReceiveCount' as never],
        }),
        { abortSignal: options.signal },
      );
      messages = answer.Messages ?? [];
    } catch (error) {
      if (options.signal?.aborted) return [];
      throw error;
    }
    return messages.map((message) => ({
      id: message.MessageId!,
      queue,
      payload: JSON.parse(message.Body ?? 'null') as T,
      attempt: Number(message.Attributes?.ApproximateReceiveCount ?? 1),
      maxAttempts: setup.maxReceiveCount,
      receipt: message.ReceiptHandle!,
    }));
  }

  async extend(job: Job, visibilityMs: number): Promise<boolean> {
    return this.changeVisibility(job, Math.ceil(visibilityMs / 1000));
  }

  /** Deletes are batched: the job is gone when the promise resolves. */
  async ack(job: Job): Promise<void> {
    const { url } = await this.setup(job.queue);
    await new Promise<void>((resolve, reject) => {
      let pending = this.pendingAcks.get(url);
      if (!pending) {
        pending = { entries: [], timer: setTimeout(() => void this.flushAcks(url), this.ackBatchMs) };
        this.pendingAcks.set(url, pending);
      }
      pending.entries.push({ receipt: job.receipt, done: (error) => (error ? reject(error) : resolve()) });
      if (pending.entries.length === 10) {
        clearTimeout(pending.timer);
        void this.flushAcks(url);
      }
    });
  }

  private async flushAcks(url: string): Promise<void> {
    const pending = this.pendingAcks.get(url);
    if (!pending) return;
    this.pendingAcks.delete(url);
    try {
      const answer = await this.client.send(
        new DeleteMessageBatchCommand({
          QueueUrl: url,
          Entries: pending.entries.map((entry, i) => ({ Id: String(i), ReceiptHandle: entry.receipt })),
        }),
      );
      const failed = new Map((answer.Failed ?? []).map((f) => [f.Id, f]));
      pending.entries.forEach((entry, i) => {
        const failure = failed.get(String(i));
        // A stale receipt means another delivery owns the job now: like the table queue, nothing to do.
        if (!failure || failure.Code === 'ReceiptHandleIsInvalid') entry.done();
        else entry.done(new Error(`SQS could not delete the message: ${failure.Code} ${failure.Message ?? ''}`));
      });
    } catch (error) {
      for (const entry of pending.entries) entry.done(error);
    }
  }

  async fail(job: Job, error: string, options: { dead?: boolean } = {}): Promise<'retry' | 'dead'> {
    const setup = await this.setup(job.queue);
    const dead = options.dead === true || job.attempt >= job.maxAttempts;
    if (!dead) {
      await this.changeVisibility(job, Math.ceil(backoffMs(job.attempt) / 1000));
      return 'retry';
    }
    if (!setup.dlqUrl) throw new Error(`the SQS queue for "${job.queue}" has no dead-letter queue (set a RedrivePolicy)`);
    // Copied first, deleted second: a crash between the two leaves the job in both places, never in none.
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: setup.dlqUrl,
        MessageBody: JSON.stringify({
          id: job.id,
          queue: job.queue,
          payload: job.payload,
          attempts: job.attempt,
          last_error: error.slice(0, 2000),
          created_at: new Date().toISOString(),
        }),
      }),
    );
    await this.client.send(new DeleteMessageCommand({ QueueUrl: setup.url, ReceiptHandle: job.receipt })).catch(() => undefined);
    return 'dead';
  }

  /** A look at the dead-letter queue (SQS has no peek, so this is approximate by nature). */
  async deadLetters(queue: string, limit: number): Promise<DeadJob[]> {
    const setup = await this.setup(queue);
    const seen = new Map<string, DeadJob>();
    if (setup.dlqUrl) {
      await this.walkDeadLetters(setup.dlqUrl, Math.ceil(limit / 10) + 2, async (messages) => {
        for (const message of messages) seen.set(message.MessageId!, toDeadJob(message, queue));
        return seen.size >= limit;
      });
    }
    return [...seen.values()].slice(0, limit);
  }

  /** Moves one dead job back to its queue with fresh attempts. `id` is the dead-letter message's id. */
  async retryDead(id: string): Promise<boolean> {
    for (const queue of Object.keys(this.options.queues)) {
      const { dlqUrl } = await this.setup(queue);
      if (!dlqUrl) continue;
      let moved = false;
      await this.walkDeadLetters(dlqUrl, 20, async (messages) => {
        const found = messages.find((m) => m.MessageId === id);
        if (!found) return false;
        await this.send(queue, toDeadJob(found, queue).payload);
        await this.client.send(new DeleteMessageCommand({ QueueUrl: dlqUrl, ReceiptHandle: found.ReceiptHandle }));
        moved = true;
        return true;
      });
      if (moved) return true;
    }
    return false;
  }

  /**
   * Receives up to `rounds` batches of a dead-letter queue, hidden for 30 s, and hands each to
   * `visit` (true: stop); then makes every message received visible again (a deleted one's
   * receipt is simply refused).
   */
  private async walkDeadLetters(dlqUrl: string, rounds: number, visit: (messages: Message[]) => Promise<boolean>): Promise<void> {
    const held: string[] = [];
    try {
      for (let round = 0; round < rounds; round++) {
        const { Messages = [] } = await this.client.send(
          new ReceiveMessageCommand({
            QueueUrl: dlqUrl,
            MaxNumberOfMessages: 10,
            VisibilityTimeout: 30,
            WaitTimeSeconds: 0,
          }),
        );
        if (Messages.length === 0) return;
        held.push(...Messages.map((m) => m.ReceiptHandle!));
        if (await visit(Messages)) return;
      }
    } finally {
      await Promise.all(
        held.map((receipt) =>
          this.client.send(new ChangeMessageVisibilityCommand({ QueueUrl: dlqUrl, ReceiptHandle: receipt, VisibilityTimeout: 0 })).catch(() => undefined),
        ),
      );
    }
  }

  /** SQS pushes nothing: the worker's long-polling receive is the wake-up. */
  async subscribe(): Promise<() => Promise<void>> {
    return async () => {};
  }

  /** Always "ask again now": the next receive long-polls, so an idle worker costs one call per wait. */
  async nextVisibleInMs(): Promise<number | undefined> {
    return 0;
  }

  async close(): Promise<void> {
    for (const url of Array.from(this.pendingAcks.keys())) await this.flushAcks(url); // a copy: flushing deletes
    this.client.destroy();
  }

  private async changeVisibility(job: Job, seconds: number): Promise<boolean> {
    const { url } = await this.setup(job.queue);
    try {
      await this.client.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: job.receipt, VisibilityTimeout: Math.min(43_200, seconds) }));
      return true;
    } catch (error) {
      if (error instanceof SQSServiceException && /ReceiptHandleIsInvalid|MessageNotInflight|InvalidParameterValue/.test(error.name)) return false;
      throw error;
    }
  }
}

function toDeadJob(message: Message, queue: string): DeadJob {
  const body = JSON.parse(message.Body ?? '{}') as Partial<{
    id: string;
    queue: string;
    payload: unknown;
    attempts: number;
    last_error: string;
    created_at: string;
  }>;
  // A message SQS moved by itself (RedrivePolicy) is the bare job payload, without our wrapper.
  const wrapped = body.queue !== undefined && 'payload' in body;
  const at = wrapped && body.created_at ? new Date(body.created_at) : new Date();
  return {
    id: message.MessageId!,
    queue: wrapped ? body.queue! : queue,
    payload: wrapped ? body.payload : body,
    attempts: wrapped ? (body.attempts ?? 0) : 0,
    last_error: wrapped ? (body.last_error ?? null) : "moved by the queue's RedrivePolicy",
    created_at: at,
    updated_at: at,
  };
}
