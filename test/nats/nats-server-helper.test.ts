import { describe, expect, it } from 'vitest';
import { findNatsServer } from '../support/nats-server.ts';

describe('the nats-server test helper', () => {
  it('fails with the install command when the binary is missing', () => {
    expect(() => findNatsServer('/nonexistent-a:/nonexistent-b', [])).toThrow(/apt-get install nats-server/);
  });

  it('finds the installed binary', () => {
    expect(findNatsServer()).toMatch(/nats-server$/);
  });
});
