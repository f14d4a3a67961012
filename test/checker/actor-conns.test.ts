import { describe, expect, it } from 'vitest';
import { Arena } from '../../src/checker/ints.js';
import { ActorState, ConnState, UserState } from '../../src/checker/state.js';

// An actor finds its connections by a search of a short list, and by a map once it has logged in
// more than a few times (state.ts CONNS_SEARCHED): both must find every connection, the newest
// of a number first, and nothing for a number never seen.
describe('ActorState.conn', () => {
  for (const count of [1, 3, 8, 9, 40]) {
    it(`finds each of ${count} connections by number`, () => {
      const user = new UserState('u', true, new Arena());
      const actor = new ActorState('u/d1', user, true);
      for (let n = 1; n <= count; n++) actor.addConn(new ConnState(n * 10, actor, n, n));
      for (let n = 1; n <= count; n++) expect(actor.conn(n * 10)?.openT).toBe(n);
      expect(actor.conn(5)).toBeUndefined();
      expect(actor.conns.map((c) => c.n)).toEqual(Array.from({ length: count }, (_, k) => (k + 1) * 10));
    });
  }
});
