#!/usr/bin/env node
/**
 * The scale-out engines, run for real on loopback without Docker: an Apache Kafka broker
 * (single-node KRaft), ElasticMQ (SQS API) and S3Proxy (S3 API on a filesystem backend).
 *
 *   npm run engines -- up [kafka|sqs|s3|all]…   fetch the jars (first use), start, wait, print env
 *   npm run engines -- down [kafka|sqs|s3|all]… stop what `up` started, by pid
 *   npm run engines -- env [--export] [--prefix P]  the variables that point the service at them
 *
 * Jars come from Maven Central through the small pom.xml of each engine (engines/<name>/), into
 * .cache/engines/<name>/lib (git-ignored), fetched again only when the pom changes. Each engine
 * keeps its data, log and pid under .cache/engines/<name>/. Needs java (17) and mvn on PATH.
 * The functions are exported too: the end-to-end test kills and restarts the broker with them.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CACHE = path.join(ROOT, '.cache', 'engines');
const HOST = '127.0.0.1';
const S3_IDENTITY = { accessKeyId: 'oms-local', secretAccessKey: 'oms-local-secret' };

/** Each engine: its ports, how it starts, how to tell it is up, and the service's variables for it. */
export const ENGINES = {
  kafka: {
    port: 9092,
    controllerPort: 9093,
    readyLine: 'Kafka Server started',
    env: () => ({ KAFKA_BROKERS: `${HOST}:9092` }),
    prepare(dir) {
      const properties = path.join(dir, 'server.properties');
      writeFileSync(
        properties,
        [
          'process.roles=broker,controller',
          'node.id=1',
          `controller.quorum.bootstrap.servers=${HOST}:9093`,
          `listeners=PLAINTEXT://${HOST}:9092,CONTROLLER://${HOST}:9093`,
          `advertised.listeners=PLAINTEXT://${HOST}:9092`,
          'controller.listener.names=CONTROLLER',
          'inter.broker.listener.name=PLAINTEXT',
          'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
          `log.dirs=${path.join(dir, 'data')}`,
          'num.partitions=1',
          'offsets.topic.replication.factor=1',
          'offsets.topic.num.partitions=6',
          'transaction.state.log.replication.factor=1',
          'transaction.state.log.min.isr=1',
          'share.coordinator.state.topic.replication.factor=1',
          'share.coordinator.state.topic.min.isr=1',
          'group.initial.rebalance.delay.ms=0',
          'auto.create.topics.enable=false',
          '',
        ].join('\n'),
      );
      // A new data directory is formatted once, as a standalone controller quorum.
      if (!existsSync(path.join(dir, 'data', 'meta.properties'))) {
        const clusterId = randomBytes(16).toString('base64url'); // 22 characters
        java(dir, ['kafka.tools.StorageTool', 'format', '--standalone', '-t', clusterId, '-c', properties], { sync: true });
      }
      return {
        jvm: ['-Xmx512m', '-Xms256m', `-Dlog4j2.configurationFile=${path.join(ROOT, 'engines', 'kafka', 'log4j2.yaml')}`],
        main: ['kafka.Kafka', properties],
      };
    },
  },
  sqs: {
    port: 9324,
    env: () => ({ SQS_ENDPOINT: `http://${HOST}:9324`, SQS_QUEUE_URL: `http://${HOST}:9324/000000000000/oms-ingest` }),
    prepare: () => ({
      jvm: ['-Xmx256m', `-Dconfig.file=${path.join(ROOT, 'engines', 'sqs', 'elasticmq.conf')}`],
      main: ['org.elasticmq.server.Main'],
    }),
  },
  s3: {
    port: 9000,
    env: () => ({
      S3_ENDPOINT: `http://${HOST}:9000`,
      S3_BUCKET: 'oms-uploads',
      S3_FORCE_PATH_STYLE: 'true',
      S3_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: S3_IDENTITY.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3_IDENTITY.secretAccessKey,
    }),
    prepare(dir) {
      const data = path.join(dir, 'data');
      mkdirSync(path.join(data, 'oms-uploads'), { recursive: true }); // a bucket is a folder on this backend
      const properties = path.join(dir, 's3proxy.properties');
      writeFileSync(
        properties,
        [
          `s3proxy.endpoint=http://${HOST}:9000`,
          's3proxy.authorization=aws-v2-or-v4',
          `s3proxy.identity=${S3_IDENTITY.accessKeyId}`,
          `s3proxy.credential=${S3_IDENTITY.secretAccessKey}`,
          'jclouds.provider=filesystem',
          `jclouds.filesystem.basedir=${data}`,
          '',
        ].join('\n'),
      );
      return {
        jvm: ['-Xmx256m', `-Dlogback.configurationFile=${path.join(ROOT, 'engines', 's3', 'logback.xml')}`],
        main: ['org.gaul.s3proxy.Main', '--properties', properties],
      };
    },
  },
};

const NAMES = Object.keys(ENGINES);
const dirOf = (name) => path.join(CACHE, name);
const pidFile = (name) => path.join(dirOf(name), 'pid');

function java(dir, args, { sync = false, log } = {}) {
  const javaBin = process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
  const classpath = path.join(dir, 'lib', '*');
  if (sync) {
    const result = spawnSync(javaBin, ['-cp', classpath, ...args], { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`${args[0]} failed:\n${result.stdout}${result.stderr}`);
    return undefined;
  }
  return spawn(javaBin, ['-cp', classpath, ...args], { detached: true, stdio: ['ignore', log, log] });
}

/** The jars, fetched by Maven when missing or when the engine's pom.xml changed. */
function fetchJars(name) {
  const pom = path.join(ROOT, 'engines', name, 'pom.xml');
  const lib = path.join(dirOf(name), 'lib');
  const digest = createHash('sha256').update(readFileSync(pom)).digest('hex');
  const stamp = path.join(lib, '.pom-sha256');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === digest) return;
  console.error(`engines: fetching ${name}'s jars with Maven (first use)…`);
  rmSync(lib, { recursive: true, force: true });
  const result = spawnSync('mvn', ['-B', '-q', '-f', pom, 'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${lib}`], {
    stdio: 'inherit',
  });
  if (result.status !== 0) throw new Error(`Maven could not fetch ${name}'s jars (engines/${name}/pom.xml)`);
  writeFileSync(stamp, digest);
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function runningPid(name) {
  if (!existsSync(pidFile(name))) return undefined;
  const pid = Number(readFileSync(pidFile(name), 'utf8'));
  return isAlive(pid) ? pid : undefined;
}

const portAnswers = (port) =>
  new Promise((resolve) => {
    const socket = net.connect({ host: HOST, port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });

/** Up: its port answers and, for Kafka, its log says the server started. */
async function waitReady(name, pid, timeoutMs = 120_000) {
  const engine = ENGINES[name];
  const log = path.join(dirOf(name), 'engine.log');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) throw new Error(`${name} exited while starting; the end of ${log}:\n${readFileSync(log, 'utf8').slice(-3000)}`);
    const logged = !engine.readyLine || readFileSync(log, 'utf8').includes(engine.readyLine);
    if (logged && (await portAnswers(engine.port))) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${name} did not answer on ${HOST}:${engine.port} within ${timeoutMs / 1000} s; see ${log}`);
}

export async function up(names = NAMES) {
  for (const name of names) {
    if (runningPid(name)) continue;
    const engine = ENGINES[name];
    for (const port of [engine.port, engine.controllerPort].filter(Boolean))
      if (await portAnswers(port)) throw new Error(`${name}: port ${port} on ${HOST} is taken by another program`);
    fetchJars(name);
    const dir = dirOf(name);
    const { jvm, main } = engine.prepare(dir);
    const logPath = path.join(dir, 'engine.log');
    writeFileSync(logPath, '');
    const log = openSync(logPath, 'a');
    const child = java(dir, [...jvm, ...main], { log });
    closeSync(log);
    child.unref();
    writeFileSync(pidFile(name), String(child.pid));
    await waitReady(name, child.pid);
    console.error(`engines: ${name} is up (pid ${child.pid}, ${HOST}:${engine.port})`);
  }
}

/** Stops by pid: SIGTERM and a wait for a clean shutdown, or at once with `signal` SIGKILL. */
export async function down(names = NAMES, signal = 'SIGTERM') {
  for (const name of names) {
    const pid = runningPid(name);
    if (pid) {
      process.kill(pid, signal);
      for (let i = 0; i < 120 && runningPid(name); i++) await new Promise((resolve) => setTimeout(resolve, 250));
      if (runningPid(name)) process.kill(pid, 'SIGKILL');
      console.error(`engines: ${name} stopped (pid ${pid})`);
    }
    rmSync(pidFile(name), { force: true });
  }
}

/** The service's variables for the engines that run now. */
export function envOf(names = NAMES) {
  return Object.assign({}, ...names.filter((name) => runningPid(name)).map((name) => ENGINES[name].env()));
}

function parseNames(words) {
  const names = words.filter((w, i) => !w.startsWith('--') && words[i - 1] !== '--prefix');
  if (names.length === 0 || names.includes('all')) return NAMES;
  for (const name of names) if (!NAMES.includes(name)) throw new Error(`unknown engine "${name}": one of ${NAMES.join(', ')}, all`);
  return names;
}

function printEnv(args) {
  const at = args.indexOf('--prefix');
  const prefix = at >= 0 ? (args[at + 1] ?? '') : '';
  for (const [key, value] of Object.entries(envOf())) console.log(`${args.includes('--export') ? 'export ' : ''}${prefix}${key}=${value}`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [command, ...args] = process.argv.slice(2);
  try {
    if (command === 'up') {
      await up(parseNames(args));
      printEnv(args);
    } else if (command === 'down') await down(parseNames(args), args.includes('--kill') ? 'SIGKILL' : 'SIGTERM');
    else if (command === 'env') printEnv(args);
    else {
      console.error('usage: npm run engines -- up|down [kafka|sqs|s3|all]… | env [--export] [--prefix P]');
      process.exitCode = 2;
    }
  } catch (error) {
    console.error(`engines: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}
