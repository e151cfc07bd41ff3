const { NxAppWebpackPlugin } = require('@nx/webpack/app-plugin');
const { basename, dirname, join, relative } = require('node:path');

/**
 * The webpack configuration of every runnable in this workspace: the project and the workspace
 * libraries bundled into dist/<project folder>/main.js; packages from node_modules stay external
 * and are listed in a generated package.json for `npm ci --omit=dev` in images. `assets` are
 * copied beside main.js (paths from the workspace root).
 */
module.exports = (projectDir, { assets = [] } = {}) => ({
  output: { path: join(__dirname, '../../dist', relative(join(__dirname, '../..'), projectDir)), clean: true },
  devtool: 'source-map',
  plugins: [
    new NxAppWebpackPlugin({
      target: 'node',
      compiler: 'tsc',
      main: './src/main.ts',
      tsConfig: './tsconfig.json',
      outputHashing: 'none',
      optimization: false,
      sourceMap: true,
      skipTypeChecking: true,
      generatePackageJson: true,
      assets: assets.map((path) => ({ input: dirname(path), glob: basename(path), output: '.' })),
    }),
  ],
});
