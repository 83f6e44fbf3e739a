/**
 * The folders of src/ import one way: no folder imports a folder that imports it back, however
 * long the way round, and the lowest layers import nothing above them. Read from the import
 * lines themselves, so a new file cannot slip a circle in unnoticed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const srcRoot = resolve(new URL('../../src', import.meta.url).pathname);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** The top-level folder of src/ a file belongs to; files right in src/ are the composition root. */
function folderOf(file: string): string {
  const [first, ...rest] = relative(srcRoot, file).split('/');
  return rest.length === 0 ? '(root)' : first!;
}

/** Folder → the folders its files import (relative imports inside src/ only). */
function folderGraph(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const file of sourceFiles(srcRoot)) {
    const from = folderOf(file);
    const edges = graph.get(from) ?? new Set<string>();
    graph.set(from, edges);
    const text = readFileSync(file, 'utf8');
    for (const [, specifier] of text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+'(\.[^']+)'/g)) {
      const target = resolve(dirname(file), specifier!);
      if (!target.startsWith(srcRoot)) continue;
      const to = folderOf(target);
      if (to !== from) edges.add(to);
    }
  }
  return graph;
}

/** Strongly connected components of more than one folder (Tarjan). */
function circles(graph: Map<string, Set<string>>): string[][] {
  let index = 0;
  const order = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string) => {
    order.set(node, index);
    low.set(node, index);
    index += 1;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!order.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, order.get(next)!));
      }
    }
    if (low.get(node) === order.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const node of graph.keys()) if (!order.has(node)) visit(node);
  return found;
}

describe('the import graph of src/', () => {
  const graph = folderGraph();

  it('has no folders that import each other, directly or the long way round', () => {
    expect(circles(graph)).toEqual([]);
  });

  it('keeps the shared types, limits and errors at the bottom', () => {
    expect([...(graph.get('domain') ?? [])]).toEqual([]);
    expect([...(graph.get('errors') ?? [])].filter((to) => to !== 'domain')).toEqual([]);
  });

  it('keeps the stores below every feature: they import only shared types, errors, configuration and the SQL layer', () => {
    expect([...(graph.get('stores') ?? [])].filter((to) => !['domain', 'errors', 'config', 'sql'].includes(to))).toEqual([]);
  });

  it('keeps the SQL layer free of the gateway: it imports nothing of the project', () => {
    expect([...(graph.get('sql') ?? [])]).toEqual([]);
  });

  it('registers methods at the composition root only: no folder imports it', () => {
    const importers = [...graph].filter(([, edges]) => edges.has('(root)')).map(([folder]) => folder);
    expect(importers).toEqual([]);
  });
});
