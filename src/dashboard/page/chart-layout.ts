import elkModule, { type ElkExtendedEdge, type ElkNode } from 'elkjs/lib/elk.bundled.js';
import type { ChartNode } from '../wire.ts';

/** A state placed on the picture, in absolute coordinates. */
export interface PlacedState {
  node: ChartNode;
  x: number;
  y: number;
  width: number;
  height: number;
  depth: number;
  /** Its parent is a parallel state: it is a region, drawn dashed. */
  region: boolean;
}

export interface PlacedEdge {
  id: string;
  points: { x: number; y: number }[];
  label: string;
  labelAt: { x: number; y: number } | undefined;
}

/** An initial-state dot and the arrow from it, drawn inside its compound state. */
export interface PlacedInitial {
  x: number;
  y: number;
}

export interface ChartLayout {
  width: number;
  height: number;
  states: PlacedState[];
  edges: PlacedEdge[];
  initials: PlacedInitial[];
}

const CHAR_WIDTH = 7;
const LABEL_HEIGHT = 22;
const INITIAL = '::initial';

// A CommonJS module: the type checker sees its `default` export, the bundler hands over module.exports itself.
const ELK = ((elkModule as { default?: unknown }).default ?? elkModule) as typeof elkModule.default;
const elk = new ELK();

/**
 * Lays a statechart out with ELK's layered algorithm: each compound and parallel state is a
 * box holding its children, every transition an edge routed across the hierarchy.
 */
export async function layoutChart(chart: ChartNode): Promise<ChartLayout> {
  const edges: ElkExtendedEdge[] = [];
  const labels = new Map<string, string>();
  const root = toElk(chart, edges, labels, true);
  root.edges = edges;
  const laid = await elk.layout(root, {
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'RIGHT',
      'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
      'elk.edgeRouting': 'ORTHOGONAL',
      'elk.layered.spacing.nodeNodeBetweenLayers': '40',
      'elk.spacing.nodeNode': '24',
      'elk.spacing.edgeLabel': '2',
    },
  });
  const byId = new Map<string, ChartNode>();
  const index = (n: ChartNode) => {
    byId.set(n.id, n);
    n.children.forEach(index);
  };
  index(chart);

  const states: PlacedState[] = [];
  const initials: PlacedInitial[] = [];
  const origin = new Map<string, { x: number; y: number }>();
  const place = (n: ElkNode, x0: number, y0: number, depth: number, parent: ChartNode | undefined) => {
    const x = x0 + (n.x ?? 0);
    const y = y0 + (n.y ?? 0);
    origin.set(n.id, { x, y });
    if (n.id.endsWith(INITIAL)) {
      initials.push({ x: x + 5, y: y + 5 });
    } else {
      const node = byId.get(n.id);
      if (node && depth > 0) states.push({ node, x, y, width: n.width ?? 0, height: n.height ?? 0, depth, region: parent?.type === 'parallel' });
    }
    for (const child of n.children ?? []) place(child, x, y, depth + 1, byId.get(n.id));
  };
  place(laid, 0, 0, 0, undefined);

  const placedEdges: PlacedEdge[] = (laid.edges ?? []).map((e) => {
    const container = (e as ElkExtendedEdge & { container?: string }).container;
    const offset = (container && origin.get(container)) || { x: 0, y: 0 };
    const points = (e.sections ?? [])
      .flatMap((s) => [s.startPoint, ...(s.bendPoints ?? []), s.endPoint])
      .map((p) => ({ x: p.x + offset.x, y: p.y + offset.y }));
    const label = e.labels?.[0];
    return {
      id: e.id,
      points,
      label: labels.get(e.id) ?? '',
      labelAt: label && label.x !== undefined && label.y !== undefined ? { x: label.x + offset.x, y: label.y + offset.y + 10 } : undefined,
    };
  });
  return { width: laid.width ?? 0, height: laid.height ?? 0, states, edges: placedEdges, initials };
}

function toElk(node: ChartNode, edges: ElkExtendedEdge[], labels: Map<string, string>, isRoot = false): ElkNode {
  node.transitions.forEach((t, i) => {
    for (const target of t.targets) {
      const id = `${node.id}->${target}#${i}`;
      const text = t.guard ? `${t.label} [${t.guard}]` : t.label;
      labels.set(id, text);
      edges.push({ id, sources: [node.id], targets: [target], labels: [{ text, width: text.length * 6.2, height: 14 }] });
    }
  });
  const labelWidth = node.key.length * CHAR_WIDTH + 24;
  if (node.children.length === 0) {
    const round = node.type === 'history';
    return { id: node.id, width: round ? 30 : Math.max(labelWidth, 70), height: round ? 30 : 36 };
  }
  const children = node.children.map((c) => toElk(c, edges, labels));
  if (node.initial) {
    children.unshift({ id: `${node.id}${INITIAL}`, width: 10, height: 10 });
    edges.push({ id: `${node.id}${INITIAL}->${node.initial}`, sources: [`${node.id}${INITIAL}`], targets: [node.initial] });
  }
  return {
    id: node.id,
    children,
    layoutOptions: {
      'elk.padding': isRoot ? '[top=12,left=12,bottom=12,right=12]' : `[top=${LABEL_HEIGHT + 8},left=12,bottom=12,right=12]`,
      ...(node.type === 'parallel' ? { 'elk.direction': 'DOWN' } : {}),
      'elk.nodeSize.minimum': `(${labelWidth}, 40)`,
      'elk.nodeSize.constraints': 'MINIMUM_SIZE',
    },
  };
}

/**
 * The ids of the states an actor is in, from its state value: `{ review: { legal: 'pending' } }`
 * is in `review`, `review.legal` and `review.legal.pending`. Paths go by keys, so states with
 * ids of their own are found too.
 */
export function activeStates(chart: ChartNode, value: unknown): Set<string> {
  const active = new Set<string>([chart.id]);
  const visit = (node: ChartNode, v: unknown) => {
    if (typeof v === 'string') {
      const child = node.children.find((c) => c.key === v);
      if (child) active.add(child.id);
      return;
    }
    if (typeof v !== 'object' || v === null) return;
    for (const [key, inner] of Object.entries(v)) {
      const child = node.children.find((c) => c.key === key);
      if (!child) continue;
      active.add(child.id);
      visit(child, inner);
    }
  };
  visit(chart, value);
  return active;
}
