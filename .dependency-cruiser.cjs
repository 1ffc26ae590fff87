/**
 * The rooms of src/ and which way they may lean (`npm run lint` checks it with dependency-cruiser; value imports
 * only — `import type` is free). No file cycle anywhere; and the folders are layered: a folder imports only folders of
 * lower layers, never one of its own layer or above — so no two folders ever import each other.
 * docs/ARCHITECTURE.md draws the same layers (a test keeps the two the same).
 */
const { LAYERS } = require('./scripts/layers.cjs');

const folder = (name) => (name === 'app' ? 'src/app\\.ts$' : `src/${name}/`);
const layerRules = LAYERS.flatMap((layer, i) =>
  layer.flatMap((name) => {
    const above = LAYERS.slice(i + 1).flat();
    const sameLayer = layer.filter((other) => other !== name);
    if (!above.length && !sameLayer.length) return [];
    return {
      name: `layer-${name}`,
      comment: `${name} (layer ${i}) may import only lower layers: not ${[...sameLayer, ...above].join(', ')}`,
      severity: 'error',
      from: { path: `^${folder(name)}` },
      to: { path: `^(${[...sameLayer, ...above].map(folder).join('|')})` },
    };
  }),
);

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'no import cycle between files of src/',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'every-folder-layered',
      comment: 'a new folder of src/ gets a layer in .dependency-cruiser.cjs (and docs/ARCHITECTURE.md)',
      severity: 'error',
      from: { path: '^src/', pathNot: `^(${LAYERS.flat().map(folder).join('|')})` },
      to: {},
    },
    ...layerRules,
  ],
  options: {
    tsConfig: { fileName: 'tsconfig.json' },
    // Type-only imports vanish when compiled: they are not dependencies at run time.
    tsPreCompilationDeps: false,
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(\\.test\\.ts$|node_modules)' },
    includeOnly: '^src/',
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
