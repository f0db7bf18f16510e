// A tenant flooding the service from its own process: HOG_CONCURRENCY requests to HOG_URL always
// in flight, with the key in HOG_KEY, until SIGTERM; then prints how many were served and refused.
import { Agent, request } from 'undici';

const concurrency = Number(process.env.HOG_CONCURRENCY || 100);
const dispatcher = new Agent({ connections: concurrency });
const counts = { served: 0, refused: 0 };
let stop = false;
process.on('SIGTERM', () => (stop = true));
const worker = async () => {
  while (!stop) {
    const res = await request(process.env.HOG_URL, { headers: { authorization: `Bearer ${process.env.HOG_KEY}` }, dispatcher }).catch(() => undefined);
    if (!res) continue;
    await res.body.text();
    if (res.statusCode === 429) counts.refused++;
    else counts.served++;
  }
};
process.send?.('started');
await Promise.all(Array.from({ length: concurrency }, worker));
await dispatcher.close();
process.send?.(counts);
