import type { Static } from '@sinclair/typebox';
import type { Assign } from './protocol.js';

/**
 * What a side speaks beyond protocol 1's frames, negotiated when the agent connects (docs/protocol.md §2, "Features").
 * Each side sends a frame, field or flow kind only when the other declared the feature that covers it; tokens a
 * side does not know are ignored, so either side may be upgraded first.
 */
export const Feature = {
  /** This side's hello/welcome take a `features` list (so the other may send one). */
  FeatureLists: 'features',
  /** Orchestrator: takes `events` frames (many events a frame). */
  EventsFrames: 'events',
  /** Orchestrator: takes `runModes` in the agent's state (which run modes the machine can serve now, and why not). */
  RunModes: 'run-modes',
  /** Orchestrator: takes `screenshot` in `completed` events (the PNG of the session's display when it ended badly). */
  Screenshots: 'screenshots',
  /** Orchestrator: takes `log-chunk` events (a session's output as the agent stores it, instead of a `log` event's lines). */
  LogChunks: 'log-chunks',
  /** Agent: takes `callback-key` frames (its callback signing key, after every welcome and on rotation). */
  CallbackKey: 'callback-key',
  /**
   * Agent: takes `sessiontoken` in an assign's session and gives it to the flow (FLOWHOST_SESSION_TOKEN, with
   * FLOWHOST_API_URL), masked in its logs. An orchestrator leaves the field out for agents that did not declare it.
   */
  SessionTokens: 'session-tokens',
  /** Agent: runs flows of this kind (`flow:<kind>` of shared/flow-definition.ts). */
  FlowCommand: 'flow:command',
  FlowShell: 'flow:shell',
  FlowNode: 'flow:node',
} as const;
export type Feature = (typeof Feature)[keyof typeof Feature];

/**
 * Upgrade request header in which the agent lists its features (comma-separated). The name predates negotiation:
 * orchestrators before it read `callback-key` from this header and ignore the rest.
 */
export const AGENT_FEATURES_HEADER = 'Flowhost-Agent-Capabilities';
/** Upgrade response header in which the orchestrator lists its features; agents before negotiation ignore it. */
export const ORCHESTRATOR_FEATURES_HEADER = 'Flowhost-Orchestrator-Features';

/** What this agent build speaks. */
export const AGENT_FEATURES: readonly Feature[] = [Feature.FeatureLists, Feature.CallbackKey, Feature.SessionTokens, Feature.FlowCommand, Feature.FlowShell, Feature.FlowNode];
/** What this orchestrator build speaks. */
export const ORCHESTRATOR_FEATURES: readonly Feature[] = [Feature.FeatureLists, Feature.EventsFrames, Feature.RunModes, Feature.Screenshots, Feature.LogChunks];

/**
 * What an agent that does not negotiate (it lists no `features`: a release before negotiation) is taken to run:
 * every flow kind of protocol 1, which such agents all run.
 */
const PRE_NEGOTIATION_AGENT: readonly Feature[] = [Feature.FlowCommand, Feature.FlowShell, Feature.FlowNode];

/** Longest header value read, most tokens kept: a peer's list is small. */
const MAX_HEADER_CHARS = 1024;
export const MAX_FEATURES = 64;

/** The tokens of a features header (one value or several); unknown tokens are kept (and ignored by callers). */
export function parseFeatureHeader(value: string | readonly string[] | undefined): ReadonlySet<string> {
  const text = (Array.isArray(value) ? value.join(',') : ((value as string | undefined) ?? '')).slice(0, MAX_HEADER_CHARS);
  const tokens = text.split(',').map((t) => t.trim().toLowerCase()).filter((t) => t !== '');
  return new Set(tokens.slice(0, MAX_FEATURES));
}

/** A header value listing `features`. */
export const featureHeader = (features: readonly string[]): string => features.join(', ');

/**
 * The features an agent runs with: its hello's list when it sent one (authoritative), else its upgrade header's;
 * an agent whose list lacks `features` predates negotiation and also runs what protocol 1 always had.
 */
export function agentFeatures(header: ReadonlySet<string>, hello?: readonly string[]): ReadonlySet<string> {
  const declared = hello ? new Set(hello) : header;
  if (declared.has(Feature.FeatureLists)) return declared;
  return new Set([...declared, ...PRE_NEGOTIATION_AGENT]);
}

/**
 * The features an orchestrator runs with: its welcome's list when it sent one, else its upgrade response header's
 * (none from an orchestrator before negotiation: the agent then sends only protocol 1's frames).
 */
export function orchestratorFeatures(header: ReadonlySet<string>, welcome?: readonly string[]): ReadonlySet<string> {
  return welcome ? new Set(welcome) : header;
}

type AssignFrame = Static<typeof Assign>;

/**
 * Assign fields newer than protocol 1, each with the feature an agent declares to take it. An offer using one goes
 * only to agents that declared it (to add a field: its schema in Assign, an entry here, the feature in AGENT_FEATURES).
 */
const GATED_ASSIGN_FIELDS: readonly { readonly uses: (a: AssignFrame) => boolean; readonly feature: string }[] = [];

/** The features an agent must have declared to run this offer. */
export function assignNeeds(assign: AssignFrame): string[] {
  return [`flow:${assign.flow.kind}`, ...GATED_ASSIGN_FIELDS.filter((g) => g.uses(assign)).map((g) => g.feature)];
}

/** Why an agent with `features` cannot run this offer, or undefined when it can. */
export function unmetNeeds(assign: AssignFrame, features: ReadonlySet<string>): string | undefined {
  const missing = assignNeeds(assign).filter((f) => !features.has(f));
  if (missing.length === 0) return undefined;
  return `the machine's agent did not declare ${missing.join(', ')}, which this offer needs; update the agent`;
}

/**
 * The assign an agent with `features` is sent: optional fields it did not declare are left out (the session works
 * without them; unlike GATED_ASSIGN_FIELDS, which keep an offer from such an agent).
 */
export function assignFor(assign: AssignFrame, features: ReadonlySet<string>): AssignFrame {
  if (assign.session.sessiontoken === undefined || features.has(Feature.SessionTokens)) return assign;
  const { sessiontoken: _dropped, ...session } = assign.session;
  return { ...assign, session };
}
