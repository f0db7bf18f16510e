import { PGlite } from '@electric-sql/pglite';
let t=Date.now();
const db = new PGlite();
await db.waitReady;
console.log('create ms', Date.now()-t);
const r = await db.query("select 1::int8 as a, 1.50::numeric as n, now() as t, '{\"a\":1}'::jsonb j, gen_random_uuid() u");
console.log(r.rows, typeof r.rows[0].a);
await db.exec('create table t(x int)');
// concurrency: is a plain query outside tx serialized with transaction?
const p1 = db.transaction(async tx => { await tx.query('insert into t values (1)'); await new Promise(r=>setTimeout(r,50)); await tx.query('select 1'); throw new Error('rollback'); }).catch(e=>console.log('tx err', e.message));
const p2 = (async()=>{ await new Promise(r=>setTimeout(r,10)); await db.query('insert into t values (2)'); console.log('outside insert done'); })();
await Promise.all([p1,p2]);
console.log((await db.query('select * from t')).rows);
t=Date.now();
const dump = await db.dumpDataDir('none');
console.log('dump', Date.now()-t, dump.size);
t=Date.now();
const db2 = new PGlite({loadDataDir: dump}); await db2.waitReady; console.log('load ms', Date.now()-t, (await db2.query('select * from t')).rows);
