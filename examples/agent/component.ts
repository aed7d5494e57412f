import { defineComponent } from '../../src/index.ts';
import { type AgentServices, conversationMachine } from './conversation.machine.ts';
import { CONVERSATION_TOPICS } from './events.ts';

/**
 * One durable actor per conversation (the envelope's key). It checkpoints after every batch:
 * on a simulated clock a delay would wait for the next advance.
 *
 * @example
 * const system = await createSystem({ db, components: [conversations({ model, tool })] });
 * await system.publish('user.message', { type: 'user.message', text: 'Hello' }, { key: 'c-001' });
 */
export function conversations(services: AgentServices) {
  return defineComponent({
    name: 'conversations',
    logic: conversationMachine(services),
    subscribe: CONVERSATION_TOPICS,
    key: true,
    checkpoint: { maxDelayMs: 0 },
  });
}
