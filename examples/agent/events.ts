/** A user's message to the agent; the key of its envelope is the conversation id. */
export interface UserMessage {
  type: 'user.message';
  text: string;
}

/** A human's answer to an approval the agent asked for. */
export interface ApprovalGranted {
  type: 'approval.granted';
}

export interface ApprovalDenied {
  type: 'approval.denied';
}

export type ConversationEvent = UserMessage | ApprovalGranted | ApprovalDenied;

/** The agent's answer to the user's message. */
export interface AgentReplied {
  type: 'agent.replied';
  conversation: string;
  text: string;
}

/** The model wants a risky action done; a human answers with `approval.granted` or `approval.denied`. */
export interface ApprovalRequested {
  type: 'agent.approval-requested';
  conversation: string;
  action: string;
}

/** Nobody answered an approval in time; the agent goes on without the action. */
export interface AgentTimeout {
  type: 'agent.timeout';
  conversation: string;
  action: string;
}

/** The model or the tool failed; the conversation waits for the next message. */
export interface AgentFailed {
  type: 'agent.failed';
  conversation: string;
  error: string;
}

export type ConversationEmitted = AgentReplied | ApprovalRequested | AgentTimeout | AgentFailed;

/** The topics the conversations component subscribes to: what it emits goes elsewhere. */
export const CONVERSATION_TOPICS = ['user.message', 'approval.granted', 'approval.denied'];
