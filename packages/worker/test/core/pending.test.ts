/** WorkerState.pending: the intrusive list of requests in progress (src/pending.ts). */
import t from 'tap';
import { PendingList, type PendingLinks } from '../../src/pending.js';

class Item implements PendingLinks<Item> {
  pendingPrev: Item | null = null;
  pendingNext: Item | null = null;
  constructor(readonly name: string) {}
}

t.test('add, delete from the head, the middle and the tail; size and the copy follow', async (t) => {
  const list = new PendingList<Item>();
  const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((name) => new Item(name)) as [Item, Item, Item, Item];
  for (const item of [a, b, c, d]) list.add(item);
  t.equal(list.size, 4);
  t.same(list.toArray().map((i) => i.name).sort(), ['a', 'b', 'c', 'd']);
  list.delete(b); // middle
  list.delete(d); // head (the newest)
  list.delete(a); // tail (the oldest)
  t.equal(list.size, 1);
  t.same(list.toArray().map((i) => i.name), ['c']);
  list.delete(c);
  t.equal(list.size, 0);
  t.same(list.toArray(), []);
  list.add(a);
  t.same(list.toArray().map((i) => i.name), ['a'], 'usable again once empty');
});

t.test('a deleted item points at no other (a finished request keeps none alive)', async (t) => {
  const list = new PendingList<Item>();
  const items = Array.from({ length: 5 }, (_, i) => new Item(String(i)));
  for (const item of items) list.add(item);
  for (const item of [items[2], items[0], items[4]] as Item[]) {
    list.delete(item);
    t.equal(item.pendingPrev, null);
    t.equal(item.pendingNext, null);
  }
  t.same(list.toArray().map((i) => i.name).sort(), ['1', '3']);
});

t.test('the copy is safe to walk while its items are deleted (a drain cutting every request)', async (t) => {
  const list = new PendingList<Item>();
  const items = Array.from({ length: 100 }, (_, i) => new Item(String(i)));
  for (const item of items) list.add(item);
  let cut = 0;
  for (const item of list.toArray()) {
    list.delete(item);
    cut++;
  }
  t.equal(cut, 100);
  t.equal(list.size, 0);
});
