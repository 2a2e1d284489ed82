/**
 * Samsa's share consumer (KIP-932): three members of one share group on one partition each get
 * distinct records and together all of them (implicit acknowledgement); in explicit mode a
 * RELEASEd record comes back with its delivery count up, a REJECTed one never does; records a
 * member holds without acknowledging go to another member once their lock runs out.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createClient, type ShareRecord } from '../../src/client/index.js';
import { withBroker } from '../helpers/broker.js';

const value = (r: ShareRecord) => r.value!.toString();

test("Samsa's share consumer: three members split one partition's records; RELEASE redelivers, REJECT does not; an expired lock hands records on", { timeout: 90_000 }, async () => {
  await withBroker(async (broker) => {
    const kafka = createClient({ bootstrapServers: broker.bootstrap });
    try {
      const admin = kafka.admin();
      await admin.createTopics([{ topic: 'jobs', numPartitions: 1 }]);
      for (const group of ['workers', 'careful', 'slow'])
        await admin.incrementalAlterConfigs({ type: 'group', name: group }, [
          { name: 'share.auto.offset.reset', op: 'set', value: 'earliest' },
          { name: 'share.record.lock.duration.ms', op: 'set', value: '1500' },
        ]);
      const producer = kafka.producer();
      await producer.send({ topic: 'jobs', messages: Array.from({ length: 60 }, (_, i) => ({ value: `job-${i}` })) });

      // Three members, implicit acknowledgement: each poll accepts the one before.
      const members = [0, 1, 2].map(() => kafka.shareConsumer({ groupId: 'workers', maxRecords: 5 }));
      for (const m of members) m.subscribe(['jobs']);
      const byMember: string[][] = [[], [], []];
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline && byMember.flat().length < 60) {
        const rounds = await Promise.all(members.map((m) => m.poll({ timeoutMs: 300 })));
        rounds.forEach((rs, i) => byMember[i]!.push(...rs.map(value)));
      }
      const all = byMember.flat();
      assert.equal(new Set(all).size, all.length, 'no record went to two members');
      assert.deepEqual([...all].sort(), Array.from({ length: 60 }, (_, i) => `job-${i}`).sort(), 'together they got every record');
      assert.ok(byMember.filter((rs) => rs.length > 0).length >= 2, `the records were shared: ${byMember.map((rs) => rs.length).join('/')}`);
      for (const m of members) await m.close();

      // Explicit: release job-0, reject job-1, accept the rest; job-0 comes back with delivery count 2.
      const careful = kafka.shareConsumer({ groupId: 'careful', acknowledgementMode: 'explicit' });
      careful.subscribe(['jobs']);
      let first: ShareRecord[] = [];
      for (let i = 0; i < 50 && first.length === 0; i++) first = await careful.poll({ timeoutMs: 300 });
      assert.ok(first.length > 0);
      await assert.rejects(careful.poll(), /not acknowledged: in explicit mode acknowledge each one/);
      for (const r of first) careful.acknowledge(r, value(r) === 'job-0' ? 'release' : value(r) === 'job-1' ? 'reject' : 'accept');
      const again: ShareRecord[] = [];
      const until = Date.now() + 20_000;
      let seenAll = first.length;
      while (Date.now() < until && (again.length === 0 || seenAll < 60)) {
        const rs = await careful.poll({ timeoutMs: 300 });
        for (const r of rs) {
          if (value(r) === 'job-0') again.push(r);
          else seenAll++;
          careful.acknowledge(r, 'accept');
        }
      }
      assert.deepEqual(again.map((r) => [value(r), r.deliveryCount]), [['job-0', 2]], 'the released record came back once, delivered twice');
      await careful.close();

      // A member that holds records without acknowledging: once the 1.5 s lock runs out, another gets them (delivery count 2).
      const holder = kafka.shareConsumer({ groupId: 'slow', acknowledgementMode: 'explicit', maxRecords: 10 });
      holder.subscribe(['jobs']);
      let held: ShareRecord[] = [];
      for (let i = 0; i < 50 && held.length === 0; i++) held = await holder.poll({ timeoutMs: 300 });
      assert.ok(held.length > 0);
      const taker = kafka.shareConsumer({ groupId: 'slow', maxRecords: 100 });
      taker.subscribe(['jobs']);
      const taken = new Map<string, number>();
      const end = Date.now() + 20_000;
      while (Date.now() < end && !held.every((r) => taken.has(value(r)))) for (const r of await taker.poll({ timeoutMs: 300 })) taken.set(value(r), r.deliveryCount);
      for (const r of held) assert.equal(taken.get(value(r)), 2, `${value(r)} went to the other member on its second delivery`);
      await taker.close();
    } finally {
      await kafka.close();
    }
  }, { config: { 'group.share.min.record.lock.duration.ms': '1000' } });
});
