// The house rules that keep the walls between features and packages firm. Each rule resolves an
// import's relative path to the file it names and judges that file's place in the tree.
import { dirname, relative, resolve, sep } from 'node:path';

/** Shared, feature-free code any feature may import. */
const SHARED = new Set(['common', 'config', 'database']);
/** What another feature may import: the module and the services, guards and decorators it exports. */
const PUBLIC_FACE = /\.(module|service|guard|decorator)(\.ts)?$/;
/**
 * Places that may reach into every feature: the composition root (app.module.ts, configure-app.ts,
 * main.ts, bin/), the registry of all entities and the migrations (database/), and the v0.9 importer,
 * which writes the rows of every feature in one transaction as a migration does.
 */
const COMPOSERS = new Set(['', 'bin', 'database', 'importer']);

function importSources(context, check) {
  const report = (node) => {
    const source = node.source?.value;
    if (typeof source === 'string') check(node.source, source);
  };
  return {
    ImportDeclaration: report,
    ExportNamedDeclaration: report,
    ExportAllDeclaration: report,
    ImportExpression: (node) =>
      node.source?.type === 'Literal' && typeof node.source.value === 'string' && check(node.source, node.source.value),
  };
}

/** The top folder of apps/portal/src a path lies in ('' for a file at the top), or null outside. */
function featureOf(portalSrc, path) {
  const rel = relative(portalSrc, path);
  if (rel.startsWith('..') || rel === '') return null;
  const parts = rel.split(sep);
  return parts.length === 1 ? '' : parts[0];
}

/** The package (apps/<x> or libs/<x>) a path lies in, or null. */
function packageOf(root, path) {
  const parts = relative(root, path).split(sep);
  if ((parts[0] === 'apps' || parts[0] === 'libs') && parts.length > 2) return `${parts[0]}/${parts[1]}`;
  return null;
}

export const featureBoundaries = {
  meta: {
    type: 'problem',
    docs: { description: 'A Portal feature imports another feature only through its module and exported services, guards and decorators.' },
    schema: [],
    messages: {
      internals:
        '{{from}}/ may not import {{target}}: another feature is reached only through its *.module.ts, *.service.ts, *.guard.ts or *.decorator.ts (never its entities/, dto/ or helpers). Export what you need from one of those, or move shared feature-free code to common/.',
      upward: '{{from}}/ is shared code and may not import the feature file {{target}}.',
    },
  },
  create(context) {
    const file = context.filename;
    const portalSrc = resolve(context.cwd, 'apps/portal/src');
    const from = featureOf(portalSrc, file);
    if (from === null || COMPOSERS.has(from)) return {};
    return importSources(context, (node, source) => {
      if (!source.startsWith('.')) return;
      const target = resolve(dirname(file), source);
      const to = featureOf(portalSrc, target);
      if (to === null || to === from || SHARED.has(to)) return;
      const shown = relative(portalSrc, target);
      if (SHARED.has(from)) {
        context.report({ node, messageId: 'upward', data: { from, target: shown } });
        return;
      }
      const inside = relative(resolve(portalSrc, to), target).split(sep);
      if (inside.length !== 1 || !PUBLIC_FACE.test(inside[0]))
        context.report({ node, messageId: 'internals', data: { from, target: shown } });
    });
  },
};

export const packageBoundaries = {
  meta: {
    type: 'problem',
    docs: { description: 'A package imports another package only by its name, never by a relative path into it.' },
    schema: [],
    messages: {
      relative: '{{from}} may not import {{target}} by relative path: import the package by name ({{hint}}).',
    },
  },
  create(context) {
    const file = context.filename;
    const root = context.cwd;
    const from = packageOf(root, file);
    if (!from) return {};
    return importSources(context, (node, source) => {
      if (!source.startsWith('.')) return;
      const target = resolve(dirname(file), source);
      const to = packageOf(root, target);
      if (!to || to === from) return;
      const hint = to.startsWith('libs/') ? `@agent-p2p/${to.slice(5)}` : 'test helpers come from @agent-p2p/testing';
      context.report({ node, messageId: 'relative', data: { from, target: relative(root, target), hint } });
    });
  },
};

export default {
  meta: { name: 'agent-p2p-boundaries' },
  rules: { 'feature-boundaries': featureBoundaries, 'package-boundaries': packageBoundaries },
};
